// Runs a multipath sender session and a receiver session across the
// deterministic simulator: one impaired link pair per path (its own delay,
// loss, rate and timeline of outages), a constant-bitrate test stream into
// SenderSession::OnMedia, the receiver's output verified by a
// teststream::Checker. Shared by the multipath simulator tests.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fec/fec.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"
#include "transport/path/sender_paths.h"
#include "transport/session/sender_session.h"

namespace hitless::sim {

struct PathLink {
  std::string forward = "delay 20ms";  // netem spec, sender -> receiver
  std::string reverse = "delay 20ms";  // receiver -> sender
  // Outages of both directions: [at, at + duration) after the start.
  std::vector<std::pair<Duration, Duration>> outages;
};

struct MultipathRun {
  std::vector<PathLink> paths;
  path::SenderPathsConfig config;  // mode etc.; path_count is set from `paths`
  Duration latency = Duration::Milliseconds(500);
  uint64_t bitrate_bps = 10'000'000;
  Duration duration = Duration::Seconds(30);
  uint64_t seed = 1;
  std::optional<FecEncoderConfig> fec;
  bool arq = true;
  // Called every `trace_interval` of simulated time with the sender (for
  // diagnosis: path states, weights).
  std::function<void(Duration, const session::SenderSession&)> trace;
  Duration trace_interval = Duration::Seconds(1);
};

struct MultipathResult {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t missing = 0;
  uint64_t duplicates_out = 0;
  uint64_t out_of_order = 0;
  uint64_t retransmitted = 0;
  double retransmit_overhead = 0;  // retransmitted bytes / original DATA bytes
  uint64_t nacks = 0;
  uint64_t path_duplicates = 0;         // receiver: copies from another path
  std::vector<uint64_t> data_per_path;  // original DATA scheduled per path
  std::vector<uint64_t> lost_per_path;  // forward datagrams the link dropped
  std::vector<uint64_t> times_down;     // sender's transitions to down per path
  uint64_t switches = 0;
  uint64_t failovers = 0;
  // Backup: last failover, ms after the start (outage start as the sender
  // saw it = the old path's last packet heard; detection; first packet on
  // the new path).
  std::optional<double> failover_outage_ms, failover_detected_ms, failover_first_packet_ms;
  double delivered_bps = 0;  // unique payload bits delivered / duration
  double latency_p99_ms = 0, latency_max_ms = 0;
  std::string details;  // ARQ counters of both ends, for diagnosis
};

MultipathResult RunMultipath(const MultipathRun& run);

// "path 0: 12345 data, 3 lost; ..." for test logs.
std::string Describe(const MultipathResult& r);

}  // namespace hitless::sim
