// AdaptiveFecPolicy: estimation windows, the residual-loss formula and the
// choice of m and interleave (the math is in adaptive_policy.h).
#include "fec/adaptive_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "fec/fec.h"

namespace hitless {
namespace {

absl::Status Invalid(const char* field, const char* rule) {
  return absl::InvalidArgumentError(absl::StrFormat("adaptive FEC: %s %s", field, rule));
}

// Weight of a new sample in a time-constant-`tau` average after `dt`.
double Weight(Duration dt, Duration tau) {
  return 1.0 - std::exp(-static_cast<double>(dt.ToNanoseconds()) /
                        static_cast<double>(tau.ToNanoseconds()));
}

}  // namespace

absl::Status ValidateAdaptiveFecConfig(const AdaptiveFecConfig& c) {
  if (c.k < 1 || c.k > 254) return Invalid("k", "must be in 1..254");
  if (c.max_repairs < 1 || c.max_repairs > c.k || c.k + c.max_repairs > 255) {
    return Invalid("max_repairs", "must be in 1..k with k + max_repairs <= 255");
  }
  if (c.min_repairs < 0 || c.min_repairs > c.max_repairs) {
    return Invalid("min_repairs", "must be in 0..max_repairs");
  }
  if (c.max_interleave < 1 || c.max_interleave > kMaxInterleave ||
      c.k * c.max_interleave > kMaxBlockSpan) {
    return Invalid("max_interleave", "must be >= 1 with k x max_interleave <= 1024");
  }
  if (!(c.target_residual > 0 && c.target_residual < 1)) {
    return Invalid("target_residual", "must be in (0, 1)");
  }
  if (!(c.initial_loss >= 0 && c.initial_loss < 1)) return Invalid("initial_loss", "must be in [0, 1)");
  if (!(c.initial_burst >= 1)) return Invalid("initial_burst", "must be >= 1");
  if (c.window <= Duration::Zero() || c.attack <= Duration::Zero() ||
      c.decay <= Duration::Zero() || c.hold < Duration::Zero() || c.min_window_packets < 1) {
    return Invalid("window/attack/decay/hold/min_window_packets", "must be positive");
  }
  return absl::OkStatus();
}

double ExpectedResidualLoss(int k, int m, int interleave, double loss, double burst) {
  if (loss <= 0) return 0;
  if (loss >= 1) return 1;
  const int n = k + m;
  const int c = std::max(1, static_cast<int>(std::ceil(burst / std::max(1, interleave) - 1e-9)));
  const int units = (n + c - 1) / c;
  const int tolerated = m / c;
  // pmf(j) = C(units, j) p^j (1-p)^(units-j), computed iteratively in logs
  // for the start so (1-p)^units cannot underflow to zero for long blocks.
  const double odds = loss / (1 - loss);
  double log_pmf = units * std::log1p(-loss);  // j = 0
  double residual = 0;
  for (int j = 1; j <= units; ++j) {
    log_pmf += std::log(static_cast<double>(units - j + 1) / j) + std::log(odds);
    if (j > tolerated) {
      const double lost_fraction = std::min(1.0, static_cast<double>(j * c) / n);
      residual += std::exp(log_pmf) * lost_fraction;
    }
  }
  return std::min(1.0, residual);
}

AdaptiveFecPolicy::AdaptiveFecPolicy(const AdaptiveFecConfig& config, Time now)
    : config_(config),
      window_start_(now),
      fast_(config.initial_loss),
      slow_(config.initial_loss),
      fast_events_(config.initial_loss / config.initial_burst),
      slow_events_(fast_events_),
      burst_(config.initial_burst) {
  decision_ = Choose();
}

double AdaptiveFecPolicy::loss_estimate() const { return std::max(fast_, slow_); }

bool AdaptiveFecPolicy::OnReport(int64_t received, int64_t lost, int64_t loss_events, Time now) {
  window_received_ += received;
  window_lost_ += lost;
  window_events_ += loss_events;
  const Duration span = now - window_start_;
  const int64_t lost_count = std::max<int64_t>(0, window_lost_);
  const int64_t expected = lost_count + std::max<int64_t>(0, window_received_);
  if (span < config_.window || expected < config_.min_window_packets) return false;

  const double p = static_cast<double>(lost_count) / static_cast<double>(expected);
  fast_ += Weight(span, config_.attack) * (p - fast_);
  slow_ += Weight(span, config_.decay) * (p - slow_);
  // Burst length as a ratio of averages (loss rate / loss-event rate): a
  // per-window ratio would be biased by windows that cut a burst in two.
  const double events =
      static_cast<double>(std::clamp<int64_t>(window_events_, 0, lost_count)) /
      static_cast<double>(expected);
  fast_events_ += Weight(span, config_.attack) * (events - fast_events_);
  slow_events_ += Weight(span, config_.decay) * (events - slow_events_);
  double burst = 1;
  if (fast_events_ > 0) burst = std::max(burst, fast_ / fast_events_);
  if (slow_events_ > 0) burst = std::max(burst, slow_ / slow_events_);
  burst_ = burst;
  ++windows_;
  window_start_ = now;
  window_received_ = window_lost_ = window_events_ = 0;

  const FecDecision wanted = Choose();
  if (wanted == decision_) {
    lower_since_.reset();
    return false;
  }
  // Switch at once when the current choice misses the target; a cheaper
  // choice (fewer repairs, or a shallower interleave) waits for `hold`.
  const bool short_of_target =
      ExpectedResidualLoss(config_.k, decision_.m, decision_.interleave, loss_estimate(),
                           burst_) > config_.target_residual &&
      decision_.m < config_.max_repairs;
  if (!short_of_target) {
    if (!lower_since_) lower_since_ = now;
    if (now - *lower_since_ < config_.hold) return false;
  }
  lower_since_.reset();
  decision_ = wanted;
  return true;
}

FecDecision AdaptiveFecPolicy::Choose() const {
  const double p = loss_estimate();
  FecDecision d;
  // 25% beyond the mean burst keeps c = 1 while the estimate wanders
  // around an integer (c jumping 1 -> 2 would double m).
  d.interleave = burst_ < 1.5 ? 1
                              : std::clamp(static_cast<int>(std::ceil(1.25 * burst_)), 1,
                                           config_.max_interleave);
  d.m = config_.max_repairs;
  for (int m = config_.min_repairs; m <= config_.max_repairs; ++m) {
    if (ExpectedResidualLoss(config_.k, m, d.interleave, p, burst_) <= config_.target_residual) {
      d.m = m;
      break;
    }
  }
  if (d.m == 0) d.interleave = 1;
  return d;
}

}  // namespace hitless
