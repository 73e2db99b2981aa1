// RFC 6298 RTT estimation plus a windowed minimum; see rtt_estimator.h.
#include "transport/arq/rtt_estimator.h"

#include <algorithm>

namespace hitless::arq {

RttEstimator::RttEstimator(RttEstimatorConfig config)
    : config_(config),
      srtt_(config.initial_rtt),
      rttvar_(config.initial_rtt / 2),
      latest_(config.initial_rtt) {
  ComputeRto();
}

void RttEstimator::OnSample(Duration rtt, Time now) {
  if (rtt < Duration::Zero()) {
    ++rejected_;
    return;
  }
  latest_ = rtt;
  if (samples_ == 0) {
    // RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    // RFC 6298 2.3, in this order (RTTVAR uses the old SRTT), alpha = 1/8,
    // beta = 1/4.
    const Duration err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (rttvar_ * 3 + err) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
  }
  ++samples_;
  ComputeRto();
  UpdateMin(rtt, now);
}

void RttEstimator::BackOff() { rto_ = std::min(rto_ * 2, config_.max_rto); }

void RttEstimator::ComputeRto() {
  const Duration rto = srtt_ + std::max(config_.clock_granularity, rttvar_ * 4);
  rto_ = std::clamp(rto, config_.min_rto, config_.max_rto);
}

Duration RttEstimator::min_rtt() const { return samples_ == 0 ? config_.initial_rtt : min_[0].rtt; }

// Kathleen Nichols' windowed filter (QUICHE WindowedFilter, min variant).
void RttEstimator::UpdateMin(Duration rtt, Time now) {
  const Duration window = config_.min_rtt_window;
  const WindowedSample sample{rtt, now};
  if (samples_ == 1 || rtt <= min_[0].rtt || now - min_[2].at > window) {
    min_.fill(sample);
    return;
  }
  if (rtt <= min_[1].rtt) {
    min_[1] = sample;
    min_[2] = sample;
  } else if (rtt <= min_[2].rtt) {
    min_[2] = sample;
  }
  if (now - min_[0].at > window) {
    // The best has aged out: promote the runners-up. The second may be old
    // too (the third is newer than the window, checked above).
    min_[0] = min_[1];
    min_[1] = min_[2];
    min_[2] = sample;
    if (now - min_[0].at > window) {
      min_[0] = min_[1];
      min_[1] = min_[2];
    }
    return;
  }
  if (min_[1].rtt == min_[0].rtt && now - min_[1].at > window / 4) {
    // A quarter window without a better second: take it from this quarter.
    min_[1] = sample;
    min_[2] = sample;
    return;
  }
  if (min_[2].rtt == min_[1].rtt && now - min_[2].at > window / 2) {
    min_[2] = sample;
  }
}

}  // namespace hitless::arq
