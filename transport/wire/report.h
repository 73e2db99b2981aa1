// REPORT packets: the receiver's periodic feedback to the sender: highest
// sequence, cumulative counters (received, lost on the network, recovered by
// FEC/ARQ, abandoned, loss events), jitter, buffer level, an RTT echo, and
// per-path health.
// Counters are cumulative modulo 2^32: consumers take differences between
// consecutive reports with unsigned wrap-around subtraction.
// Layout: docs/wire-format.md ("REPORT").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/wire/header.h"

namespace hitless {

inline constexpr size_t kReportFixedSize = 49;
inline constexpr size_t kReportPathSize = 16;

enum class PathState : uint8_t {
  kUnknown = 0,
  kActive = 1,    // carrying media
  kStandby = 2,   // healthy, held in reserve (backup mode)
  kDegraded = 3,  // usable but lossy or slow
  kDown = 4,      // nothing heard within the path timeout
};
inline constexpr uint8_t kMaxPathState = 4;
inline constexpr uint16_t kMaxLossPermille = 1000;

struct PathReport {
  uint8_t path_id = 0;  // unique within a report
  PathState state = PathState::kUnknown;
  uint16_t loss_permille = 0;  // 0..1000
  uint32_t rtt_us = 0;
  uint32_t jitter_us = 0;
  uint32_t last_heard_ms = 0;  // since the last packet on this path

  friend bool operator==(const PathReport&, const PathReport&) = default;
};

struct ReportBody {
  uint32_t highest_sequence = 0;  // highest DATA sequence received
  uint32_t received = 0;          // cumulative, mod 2^32
  uint32_t lost = 0;              // missing on the network (before repair)
  uint32_t recovered = 0;         // repaired by FEC or ARQ
  uint32_t abandoned = 0;         // never repaired in time (residual loss)
  uint32_t jitter_us = 0;
  uint32_t buffer_level_ms = 0;
  uint32_t echo_timestamp_us = 0;  // timestamp of the packet echoed for RTT
  uint32_t echo_delay_us = 0;      // time between its receipt and this report
  // Cumulative loss events: times the highest sequence jumped over >= 1
  // missing packet (a run of consecutive losses counts once), so
  // lost / loss_events is the mean burst length (FEC sizing).
  uint32_t loss_events = 0;
  // Cumulative bytes of this session's datagrams received (every type, every
  // copy, every path): the sender's delivery-rate sample (send budget).
  uint32_t received_bytes = 0;
  // Cumulative DATA that arrived after its release time (too late to play):
  // a latency budget shorter than the path's delay, or queueing.
  uint32_t late = 0;
  std::vector<PathReport> paths;  // 0..kMaxPaths

  friend bool operator==(const ReportBody&, const ReportBody&) = default;
};

// Parses a plaintext REPORT body. Errors: kTruncated if the fixed fields or
// the announced path entries are cut short; kOversized if longer than
// kMaxBodySize; kBadField for path count >
// kMaxPaths, an unknown path state, loss > 1000 permille or a repeated path
// id; kTrailingBytes for bytes after the last path entry.
absl::StatusOr<ReportBody> ParseReport(std::span<const uint8_t> body);

// Writes a REPORT packet (header.type is ignored). Returns the datagram size,
// or 0 if the body breaks a ParseReport rule, the header is invalid or it
// does not fit in `out`.
size_t Serialize(const Header& header, const ReportBody& body, std::span<uint8_t> out);

}  // namespace hitless
