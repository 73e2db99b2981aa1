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

// How much of an exponentially decaying sum with time constant `tau` is
// kept after `dt`.
double Kept(Duration dt, Duration tau) {
  return std::exp(-static_cast<double>(dt.ToNanoseconds()) /
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
  const double c = std::max(1.0, burst / std::max(1, interleave));
  const int units = std::max(1, static_cast<int>(std::lround(n / c)));
  const int tolerated = static_cast<int>(std::floor(m / c + 1e-9));
  // pmf(j) = C(units, j) p^j (1-p)^(units-j), computed iteratively in logs
  // for the start so (1-p)^units cannot underflow to zero for long blocks.
  const double odds = loss / (1 - loss);
  double log_pmf = units * std::log1p(-loss);  // j = 0
  double residual = 0;
  for (int j = 1; j <= units; ++j) {
    log_pmf += std::log(static_cast<double>(units - j + 1) / j) + std::log(odds);
    if (j > tolerated) {
      const double lost_fraction = std::min(1.0, j * c / n);
      residual += std::exp(log_pmf) * lost_fraction;
    }
  }
  return std::min(1.0, residual);
}

AdaptiveFecPolicy::AdaptiveFecPolicy(const AdaptiveFecConfig& config, Time now)
    : config_(config), window_start_(now) {
  // The prior counts as a few windows' worth of packets in both averages.
  const double prior_packets = 4.0 * static_cast<double>(config.min_window_packets);
  for (Average* a : {&fast_, &slow_}) {
    a->packets = prior_packets;
    a->lost = config.initial_loss * prior_packets;
    a->events = a->lost / config.initial_burst;
  }
  decision_ = Choose();
}

void AdaptiveFecPolicy::Average::Add(double weight_kept, double p, double l, double e) {
  packets = packets * weight_kept + p;
  lost = lost * weight_kept + l;
  events = events * weight_kept + e;
}

const AdaptiveFecPolicy::Average& AdaptiveFecPolicy::Current() const {
  const double slow = slow_.rate();
  // The fast average wins only when it is above the slow one by more than
  // its own sampling noise (two standard deviations of a binomial rate over
  // the fast average's packets, plus one packet).
  const double n = std::max(fast_.packets, 1.0);
  const double noise = 2 * std::sqrt(std::max(slow, 1e-6) * (1 - slow) / n) + 1 / n;
  return fast_.rate() > slow + noise ? fast_ : slow_;
}

double AdaptiveFecPolicy::loss_estimate() const { return Current().rate(); }

double AdaptiveFecPolicy::burst_estimate() const {
  const Average& a = Current();
  return a.events > 0 ? std::max(1.0, a.lost / a.events) : 1.0;
}

bool AdaptiveFecPolicy::OnReport(int64_t received, int64_t lost, int64_t loss_events, Time now) {
  window_received_ += received;
  window_lost_ += lost;
  window_events_ += loss_events;
  const Duration span = now - window_start_;
  const int64_t lost_count = std::max<int64_t>(0, window_lost_);
  const int64_t expected = lost_count + std::max<int64_t>(0, window_received_);
  if (span < config_.window || expected < config_.min_window_packets) return false;

  const auto packets = static_cast<double>(expected);
  const auto lost_packets = static_cast<double>(lost_count);
  const auto events = static_cast<double>(std::clamp<int64_t>(window_events_, 0, lost_count));
  fast_.Add(Kept(span, config_.attack), packets, lost_packets, events);
  slow_.Add(Kept(span, config_.decay), packets, lost_packets, events);
  ++windows_;
  window_start_ = now;
  window_received_ = window_lost_ = window_events_ = 0;

  const double p = loss_estimate();
  const double b = burst_estimate();
  const FecDecision wanted = Choose();
  if (wanted == decision_) {
    lower_since_.reset();
    return false;
  }
  // Switch at once when the current choice misses the target by more than
  // the estimate's noise (a factor of 2); any other change waits for `hold`
  // so estimate noise does not flap the encoder.
  const bool well_short =
      ExpectedResidualLoss(config_.k, decision_.m, decision_.interleave, p, b) >
          2 * config_.target_residual &&
      decision_.m < config_.max_repairs;
  if (!well_short) {
    if (!lower_since_) lower_since_ = now;
    if (now - *lower_since_ < config_.hold) return false;
  }
  lower_since_.reset();
  decision_ = wanted;
  return true;
}

FecDecision AdaptiveFecPolicy::Choose() const {
  const double p = loss_estimate();
  const double burst = burst_estimate();
  FecDecision d;
  // 25% beyond the mean burst keeps c = 1 while the estimate wanders
  // around an integer (c jumping 1 -> 2 would double m).
  d.interleave = burst < 1.5 ? 1
                             : std::clamp(static_cast<int>(std::ceil(1.25 * burst)), 1,
                                          config_.max_interleave);
  d.m = config_.max_repairs;
  for (int m = config_.min_repairs; m <= config_.max_repairs; ++m) {
    if (ExpectedResidualLoss(config_.k, m, d.interleave, p, burst) <= config_.target_residual) {
      d.m = m;
      break;
    }
  }
  if (d.m == 0) d.interleave = 1;
  return d;
}

}  // namespace hitless
