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
  if (!(c.initial_loss >= 0 && c.initial_loss < 1))
    return Invalid("initial_loss", "must be in [0, 1)");
  if (!(c.initial_burst >= 1)) return Invalid("initial_burst", "must be >= 1");
  if (!(c.initial_packet_rate > 0)) return Invalid("initial_packet_rate", "must be positive");
  if (c.window <= Duration::Zero() || c.attack <= Duration::Zero() ||
      c.max_block_delay <= Duration::Zero() || c.decay <= Duration::Zero() ||
      c.hold < Duration::Zero() || c.min_window_packets < 1) {
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
    : config_(config), window_start_(now), packet_rate_(config.initial_packet_rate) {
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
  const double span_s = static_cast<double>(span.ToNanoseconds()) * 1e-9;
  packet_rate_ += (1 - Kept(span, config_.attack)) * (packets / span_s - packet_rate_);
  fast_.Add(Kept(span, config_.attack), packets, lost_packets, events);
  slow_.Add(Kept(span, config_.decay), packets, lost_packets, events);
  ++windows_;
  window_start_ = now;
  window_received_ = window_lost_ = window_events_ = 0;

  const double p = loss_estimate();
  const double b = burst_estimate();
  const FecDecision wanted = Choose();
  const auto overhead = [](const FecDecision& d) {
    return static_cast<double>(d.m) / static_cast<double>(d.k);
  };
  if (wanted == decision_) {
    pending_.reset();
    return false;
  }
  // Switch at once when the current choice misses the target by more than
  // the estimate's noise (a factor of 2). Any other change waits until
  // changes the same way (cheaper, or dearer) have been wanted for `hold`,
  // so estimate noise does not flap the encoder; a cheaper choice then takes
  // the most protective of those wanted meanwhile.
  // Above the budget's cap: FEC is overflowing the path. Leave at once.
  const bool over_budget = overhead(decision_) > budget_cap_ + 1e-9;
  const bool well_short =
      over_budget ||
      ExpectedResidualLoss(decision_.k, decision_.m, decision_.interleave, p, b) > 2 * fec_target();
  if (!well_short) {
    const bool cheaper = overhead(wanted) < overhead(decision_) ||
                         (wanted.m == decision_.m && wanted.interleave < decision_.interleave);
    if (!pending_ || pending_->cheaper != cheaper) {
      pending_ = Pending{.since = now, .cheaper = cheaper, .choice = wanted};
    } else if (!cheaper || overhead(wanted) > overhead(pending_->choice)) {
      pending_->choice = wanted;
    }
    if (now - pending_->since < config_.hold) return false;
    decision_ = pending_->choice;
  } else {
    decision_ = wanted;
  }
  pending_.reset();
  return true;
}

double AdaptiveFecPolicy::fec_target() const {
  if (arq_rounds_ <= 0) return config_.target_residual;
  const double arq_fails = std::pow(loss_estimate(), arq_rounds_);
  if (arq_fails <= config_.target_residual / 0.5) return 0.5;
  return std::min(0.5, config_.target_residual / arq_fails);
}

FecDecision AdaptiveFecPolicy::Shape(int k, int interleave, double target, double p,
                                     double b) const {
  const int floor = arq_rounds_ >= 0 ? 0 : config_.min_repairs;
  const double max_overhead =
      static_cast<double>(config_.max_repairs) / static_cast<double>(config_.k);
  int cap =
      std::clamp(static_cast<int>(std::floor(max_overhead * k + 1e-9)), 1, std::min(k, 255 - k));
  if (budget_cap_ < max_overhead) {
    cap = std::min(cap, static_cast<int>(std::floor(std::max(budget_cap_, 0.0) * k + 1e-9)));
  }
  FecDecision d{.k = k, .m = cap, .interleave = interleave};
  for (int m = std::min(floor, cap); m <= cap; ++m) {
    if (ExpectedResidualLoss(k, m, interleave, p, b) <= target) {
      d.m = m;
      break;
    }
  }
  return d;
}

FecDecision AdaptiveFecPolicy::Choose() const {
  const double p = loss_estimate();
  const double b = burst_estimate();
  const double target = fec_target();
  const double span_s = static_cast<double>(config_.max_block_delay.ToNanoseconds()) * 1e-9;
  const int span = std::max(1, static_cast<int>(packet_rate_ * span_s));
  FecDecision best = Shape(std::clamp(span, 1, config_.k), 1, target, p, b);
  if (b >= 1.5) {
    // 25% beyond the mean burst keeps c = 1 while the estimate wanders
    // around an integer; at least 4 sources per block.
    const int interleave = std::min(
        {static_cast<int>(std::ceil(1.25 * b)), config_.max_interleave, std::max(1, span / 4)});
    if (interleave > 1) {
      const FecDecision deep =
          Shape(std::clamp(span / interleave, 1, config_.k), interleave, target, p, b);
      const double r_best = ExpectedResidualLoss(best.k, best.m, best.interleave, p, b);
      const double r_deep = ExpectedResidualLoss(deep.k, deep.m, deep.interleave, p, b);
      const bool best_ok = r_best <= target;
      const bool deep_ok = r_deep <= target;
      const auto overhead = [](const FecDecision& d) {
        return static_cast<double>(d.m) / static_cast<double>(d.k);
      };
      if ((deep_ok && (!best_ok || overhead(deep) < overhead(best))) ||
          (!deep_ok && !best_ok && r_deep < r_best)) {
        best = deep;
      }
    }
  }
  if (best.m == 0) best.interleave = 1;
  return best;
}

}  // namespace hitless
