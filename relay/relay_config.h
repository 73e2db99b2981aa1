// The hitless-relay configuration file (TOML, read with toml++).
//
//   [relay]                       # every key optional
//   listen  = "0.0.0.0:9000"      # --listen overrides
//   metrics = "127.0.0.1:9100"    # --metrics overrides
//   latency = "120ms"             # sessions run at least this
//   open    = false               # also accept streams not listed (no secrets)
//   [limits]
//   max_streams = 64
//   max_subscribers = 256         # per stream
//   handshakes_per_second = 200
//   max_stream_memory_mb = 1024
//   [[stream]]
//   id = "match1"
//   publish_secret = "..."        # empty or absent: anyone may publish
//   subscribe_secret = "..."
//   latency = "500ms"
//   [[upstream]]                  # pull a stream from another relay
//   address = "relay-eu.example:9000"
//   stream = "match1"
//   secret = "..."                # that relay's subscribe secret
//   latency = "500ms"
//
// A file without [[stream]] tables is open (any stream id, no secrets)
// unless it says open = false. Unknown tables and keys are errors (a typo
// must not silently drop a secret). Every error names the file, the line
// and the problem. Durations are strings ("500ms", "2s") or integers (ms).
// Stateless; addresses are resolved while loading (startup and SIGHUP only).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "relay/relay.h"
#include "transport/io/endpoint.h"

namespace hitless::relay {

struct UpstreamEntry {
  UpstreamConfig upstream;
  std::string address_text;
  io::UdpEndpoint address;
  friend bool operator==(const UpstreamEntry& a, const UpstreamEntry& b) {
    return a.upstream == b.upstream && a.address == b.address;
  }
};

struct DaemonConfig {
  std::optional<std::string> listen;
  std::optional<std::string> metrics;
  // open, streams, limits and latency; the rest keeps RelayConfig's defaults.
  RelayConfig relay;
  std::vector<UpstreamEntry> upstreams;
};

// Parses `text`; `source` names it in errors ("relay.toml").
// InvalidArgument: "relay.toml:12: stream \"x\": latency: ...".
absl::StatusOr<DaemonConfig> ParseDaemonConfig(std::string_view text, std::string_view source);
// Reads and parses the file at `path` (NotFound / PermissionDenied when it
// cannot be read).
absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path);

}  // namespace hitless::relay
