// RttEstimator: round-trip time from report echoes, per RFC 6298.
//
// State: smoothed RTT (SRTT), RTT variation (RTTVAR), retransmission timeout
// (RTO = SRTT + max(G, 4 * RTTVAR), clamped to [min_rto, max_rto], doubled by
// BackOff), the latest sample, and a windowed minimum (Kathleen Nichols'
// three-sample filter as in QUICHE/BBR: O(1) memory, exact to within a
// quarter window). Timers: none; the min-RTT window ages only with samples.
// Before the first sample every getter returns the configured initial RTT
// (RFC 6298 2.1: RTO starts at its initial value).
#pragma once

#include <array>
#include <cstdint>

#include "transport/base/time.h"

namespace hitless::arq {

struct RttEstimatorConfig {
  Duration initial_rtt = Duration::Milliseconds(100);
  // RFC 6298 says 1 s; live video over known paths wants it far lower.
  Duration min_rto = Duration::Milliseconds(10);
  Duration max_rto = Duration::Seconds(60);
  Duration clock_granularity = Duration::Milliseconds(1);  // G
  Duration min_rtt_window = Duration::Seconds(10);
};

class RttEstimator {
 public:
  explicit RttEstimator(RttEstimatorConfig config = {});

  // Feeds one RTT sample measured at `now` (e.g. now - echo timestamp - echo
  // delay). Negative samples (clock or echo errors) are ignored and counted;
  // a zero sample is accepted. `now` must not decrease between calls.
  void OnSample(Duration rtt, Time now);
  // RFC 6298 5.5: doubles the RTO (up to max_rto) after a timeout. The next
  // sample recomputes it from SRTT and RTTVAR.
  void BackOff();

  bool has_sample() const { return samples_ > 0; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  Duration rto() const { return rto_; }
  Duration latest_rtt() const { return latest_; }
  // Smallest sample within the last min_rtt_window (initial_rtt before any).
  Duration min_rtt() const;
  // srtt / 2: the one-way delay estimate the retransmit policy uses.
  Duration one_way() const { return srtt_ / 2; }
  uint64_t samples() const { return samples_; }
  uint64_t rejected_samples() const { return rejected_; }

 private:
  struct WindowedSample {
    Duration rtt = Duration::Zero();
    Time at = Time::Zero();
  };
  void UpdateMin(Duration rtt, Time now);
  void ComputeRto();

  RttEstimatorConfig config_;
  Duration srtt_;
  Duration rttvar_;
  Duration rto_;
  Duration latest_;
  std::array<WindowedSample, 3> min_{};  // best, second best, third best
  uint64_t samples_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace hitless::arq
