// Small fixed-size control packets: KEEPALIVE (liveness, path probes and RTT
// echoes) and SHUTDOWN (orderly close with a reason). Both carry the
// per-session control counter in the header's sequence field.
// Layout: docs/wire-format.md ("KEEPALIVE", "SHUTDOWN").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "transport/wire/header.h"

namespace hitless {

inline constexpr size_t kKeepaliveSize = 12;
// The relayed form: kKeepaliveSize + upstream transit (docs/wire-format.md,
// "KEEPALIVE" and "Relayed streams").
inline constexpr size_t kRelayedKeepaliveSize = 16;
inline constexpr size_t kShutdownSize = 1;

struct KeepaliveBody {
  uint32_t probe_id = 0;           // chosen by the prober, echoed in the reply
  uint32_t echo_timestamp_us = 0;  // header timestamp being echoed; 0 if none
  uint32_t echo_delay_us = 0;      // time between its receipt and this reply
  // Set only by a relay hop: the stream's DATA carries the origin's sequence
  // numbers and timestamps, and `upstream_transit_us` is how long the hops
  // before this one take from the origin's input to the relay (one-way, µs).
  // The receiver maps DATA timestamps to its clock subtracting it, and
  // echoes KEEPALIVE timestamps (not DATA's) in its REPORTs.
  bool relayed = false;
  uint32_t upstream_transit_us = 0;

  friend bool operator==(const KeepaliveBody&, const KeepaliveBody&) = default;
};

// Shutdown reasons. Informational: any value is accepted on receive.
inline constexpr uint8_t kShutdownNormal = 0;
inline constexpr uint8_t kShutdownError = 1;
inline constexpr uint8_t kShutdownTimeout = 2;
inline constexpr uint8_t kShutdownReplaced = 3;  // a newer session took over

struct ShutdownBody {
  uint8_t reason = kShutdownNormal;

  friend bool operator==(const ShutdownBody&, const ShutdownBody&) = default;
};

// Parses a plaintext KEEPALIVE body: 12 bytes, or 16 (relayed). Errors:
// kTruncated if shorter than 12 bytes; kTrailingBytes for 13-15 or more
// than 16.
absl::StatusOr<KeepaliveBody> ParseKeepalive(std::span<const uint8_t> body);

// Parses a plaintext SHUTDOWN body. Errors: kTruncated if empty;
// kTrailingBytes if longer than 1 byte.
absl::StatusOr<ShutdownBody> ParseShutdown(std::span<const uint8_t> body);

// Write a KEEPALIVE / SHUTDOWN packet (header.type is ignored). Return the
// datagram size, or 0 if the header is invalid or it does not fit in `out`.
size_t Serialize(const Header& header, const KeepaliveBody& body, std::span<uint8_t> out);
size_t Serialize(const Header& header, const ShutdownBody& body, std::span<uint8_t> out);

}  // namespace hitless
