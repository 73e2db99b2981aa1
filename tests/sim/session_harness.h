// Runs a sender and a receiver session across the deterministic simulator:
// a constant-bitrate test stream into SenderSession::OnMedia, impaired links
// both ways, ReceiverSession's output verified by a teststream::Checker
// (end-to-end latency = release time - media entry time, one virtual clock).
// Shared by the simulator tests and the README table generator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fec/adaptive_policy.h"
#include "fec/fec.h"
#include "transport/base/time.h"

namespace hitless::sim {

struct ArqRun {
  std::string forward = "delay 30ms";  // netem spec, sender -> receiver
  std::string reverse = "delay 30ms";  // receiver -> sender
  Duration latency = Duration::Milliseconds(240);
  uint64_t bitrate_bps = 10'000'000;
  Duration duration = Duration::Seconds(60);
  uint32_t initial_sequence = 1000;
  uint64_t seed = 1;
  std::optional<FecEncoderConfig> fec;  // FEC on top of ARQ
  // Adaptive FEC (Reed-Solomon; `fec` supplies max_block_delay, or defaults).
  std::optional<AdaptiveFecConfig> fec_adaptive;
  bool arq = true;  // false: the receiver sends no NACK (FEC alone)
  // Forward-link parameter changes: at this time after the start, the
  // forward link's impairments become this netem spec.
  std::vector<std::pair<Duration, std::string>> forward_changes;
  bool send_budget = true;  // SenderConfig::send_budget
  // Outages of both directions: (start after the beginning, length).
  std::vector<std::pair<Duration, Duration>> outages;
  Duration release_window = Duration::Zero();  // ReceiverConfig::release_window
};

struct ArqResult {
  uint64_t sent = 0;                // media datagrams in
  uint64_t delivered = 0;           // unique media datagrams out
  uint64_t missing = 0;             // residual loss (sent - delivered)
  uint64_t duplicates_out = 0;      // duplicates at the output (must be 0)
  uint64_t out_of_order = 0;        // reordered at the output (must be 0)
  uint64_t lost_on_network = 0;     // DATA the forward link dropped
  uint64_t retransmitted = 0;       // retransmitted datagrams, copies included
  uint64_t nacks = 0;               // NACK packets
  double retransmit_overhead = 0;   // retransmitted bytes / original DATA bytes
  double control_overhead = 0;      // reverse-link bytes / original DATA bytes
  double fec_overhead = 0;          // FEC_REPAIR bytes / original DATA bytes
  uint64_t fec_recovered = 0;       // packets rebuilt by FEC and used
  uint64_t arq_recovered = 0;       // packets repaired by retransmission
  uint64_t no_time_to_repair = 0;   // gaps never NACKed: deadline nearer than an RTT
  uint64_t too_late_at_sender = 0;  // NACKed sequences the sender refused as too late
  double latency_min_ms = 0, latency_max_ms = 0, latency_p99_ms = 0;
  uint64_t receiver_wakeups = 0;  // the receiver's timer wake-ups
  // Adaptive FEC: every change of the repair count, (seconds since start, m).
  std::vector<std::pair<double, int>> fec_m_changes;
  // Send budget (single path): cuts, FEC repairs it withheld, DATA that
  // reached the receiver after its release time, and the sender's queueing
  // estimate over the stream (mean and max of 100 ms samples), with the
  // samples themselves (seconds, budget bit/s, queueing ms).
  uint64_t congestion_events = 0;
  uint64_t fec_withheld = 0;
  uint64_t late = 0;
  double queueing_mean_ms = 0, queueing_max_ms = 0;
  std::vector<std::tuple<double, double, double>> budget_samples;
};

ArqResult RunArq(const ArqRun& run);

// The netem spec of a bottleneck at `factor` x `bitrate_bps` with a drop-tail
// queue holding `queue_ms` at that rate, 30 ms of delay and `loss` ("1%").
std::string BottleneckSpec(double factor, int queue_ms, const std::string& loss,
                           uint64_t bitrate_bps = 10'000'000);
// `run` with FEC as the URL options give it, blocks closed within a quarter
// of the latency (at most 100 ms): fec=rs,k=K,m=M / fec=adaptive.
ArqRun WithFixedFec(ArqRun run, int k = 20, int m = 4);
ArqRun WithAdaptiveFec(ArqRun run);

}  // namespace hitless::sim
