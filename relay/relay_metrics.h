// What hitless-relay reports: Prometheus text (/metrics), JSON (/streams and
// --stats-json) and the terminal status line, all from one snapshot.
//
// Prometheus names follow its conventions: hitless_relay_ prefix, base
// units in the name (_bytes, _seconds), _total on counters; a label per
// reason (evictions, refusals, drops). Per stream (label stream) and per
// subscriber (labels stream, subscriber = its address, session = its id):
// packets and bytes in and out, lost on the network and recovered by how,
// residual loss the subscriber reported, retransmissions, NACKs, drops by
// reason, RTT, the subscriber's buffer level (its deadline margin) and the
// hop's repair queue depth. Pure functions of the snapshot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "relay/relay.h"
#include "relay/relay_config.h"
#include "relay/relay_driver.h"
#include "relay/srt_legs.h"
#include "transport/base/time.h"

namespace hitless::relay {

struct RelaySnapshot {
  const Relay* relay = nullptr;
  const SocketStats* listen = nullptr;          // nullptr: none (simulator)
  const ForwardDelay* forward_delay = nullptr;  // nullptr: none (simulator)
  struct UpstreamRow {
    size_t index = 0;
    const UpstreamEntry* entry = nullptr;
    const SocketStats* socket = nullptr;
  };
  std::vector<UpstreamRow> upstreams;  // active ones
  Time now;
  Duration uptime;
  std::string listen_address;
  std::vector<SrtLegView> srt_legs;                       // --srt-listen's callers
  std::optional<endpoints::SrtServer::Stats> srt_server;  // --srt-listen's handshakes
};

RelaySnapshot SnapshotOf(const RelayDriver& driver, Duration uptime);

// The Prometheus text exposition format (version 0.0.4).
std::string PrometheusText(const RelaySnapshot& s);
// {"streams":[...]}: every stream, its publisher and subscribers.
std::string StreamsJson(const RelaySnapshot& s);
// Every counter: relay totals, streams, upstreams (newline-terminated).
std::string RelayStatsJson(const RelaySnapshot& s);

// One line for a terminal: streams, sessions, rates since the last call.
class RelayStatusLine {
 public:
  std::string Render(const RelaySnapshot& s);

 private:
  std::optional<Time> last_;
  uint64_t last_in_ = 0;
  uint64_t last_out_ = 0;
};

}  // namespace hitless::relay
