#include "jitter/drift_estimator.h"

#include <algorithm>
#include <cmath>

namespace hitless::jitter {
namespace {

// Sender timestamps are clamped to +-2^50 us (35 years) so that every sum of a
// timestamp, an offset and a local time fits in int64 nanoseconds.
constexpr int64_t kMaxTsUs = int64_t{1} << 50;

int64_t TsToNs(int64_t ts_us) { return std::clamp(ts_us, -kMaxTsUs, kMaxTsUs) * 1'000; }

// The q-quantile of v (0 <= q <= 1, nearest rank, reorders v); v must not be
// empty.
double Quantile(std::vector<double>& v, double q) {
  const auto rank = static_cast<size_t>(std::lround(q * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

}  // namespace

DriftEstimator::DriftEstimator(const DriftEstimatorConfig& config) : config_(config) {
  config_.history_windows = std::max(config_.history_windows, 1);
  config_.relock_windows = std::max(config_.relock_windows, 1);
  config_.max_drift = std::max(config_.max_drift, 0.0);
  config_.max_slew = std::max(config_.max_slew, 0.0);
  config_.floor_quantile = std::clamp(config_.floor_quantile, 0.0, 1.0);
  if (config_.window <= Duration::Zero()) config_.window = Duration::Seconds(1);
  lag_ns_ = static_cast<double>(std::max(config_.lag, Duration::Zero()).ToNanoseconds());
  const auto k = static_cast<size_t>(config_.history_windows);
  history_.reserve(k + 1);
  outliers_.reserve(static_cast<size_t>(config_.relock_windows));
  scratch_.reserve(std::max<size_t>(k * (k + 1) / 2, k + 1));
}

void DriftEstimator::Reset() {
  has_ref_ = false;
  window_count_ = 0;
  history_.clear();
  outliers_.clear();
  slope_ = 0.0;
  intercept_ = 0.0;
  has_output_ = false;
  warmup_ = true;
  offset_ = 0.0;
}

void DriftEstimator::SetTransitEstimate(Duration transit) {
  const double old = transit_ns_;
  transit_ns_ = static_cast<double>(transit.ToNanoseconds());
  // During warm-up the offset is a plain function of the window; afterwards
  // the change is slewed in by Advance().
  if (has_output_ && warmup_) offset_ += old - transit_ns_;
}

double DriftEstimator::XOf(Time t) const {
  return static_cast<double>((t - x_ref_).ToNanoseconds());
}

DriftEstimator::Point DriftEstimator::WindowMinimum() const {
  const double gap = static_cast<double>(config_.lone_outlier_gap.ToNanoseconds());
  return window_count_ >= 2 && min2_.y - min1_.y > gap ? min2_ : min1_;
}

void DriftEstimator::OnSample(Time arrival, int64_t ts_us) {
  if (has_ref_ && arrival < last_now_) arrival = last_now_;
  const int64_t ts_ns = TsToNs(ts_us);
  const int64_t d = arrival.ToNanoseconds() - ts_ns;
  if (!has_ref_) {
    has_ref_ = true;
    x_ref_ = arrival;
    y_ref_ = d;
    last_now_ = arrival;
  }
  Advance(arrival);

  const Point p{XOf(arrival), static_cast<double>(d - y_ref_)};
  if (window_count_ == 0) {
    window_start_ = arrival;
    min1_ = p;
  } else if (p.y < min1_.y) {
    min2_ = min1_;
    min1_ = p;
  } else if (window_count_ == 1 || p.y < min2_.y) {
    min2_ = p;
  }
  ++window_count_;

  if (warmup_) {
    offset_ = WindowMinimum().y - transit_ns_;
    has_output_ = true;
  }
}

void DriftEstimator::Advance(Time now) {
  if (!has_ref_ || now <= last_now_) return;
  CloseWindowIfDue(now);
  if (has_output_ && !warmup_) {
    const double dt = static_cast<double>((now - last_now_).ToNanoseconds());
    const double predicted = offset_ + slope_ * dt;
    const double bound = config_.max_slew * dt;
    const double correction = std::clamp(TargetAt(XOf(now)) - predicted, -bound, bound);
    offset_ = predicted + correction;
  }
  last_now_ = now;
}

void DriftEstimator::CloseWindowIfDue(Time now) {
  if (window_count_ == 0 || now < window_start_ + config_.window) return;
  const Point p = WindowMinimum();
  window_count_ = 0;
  AddWindowMinimum(p);
}

void DriftEstimator::AddWindowMinimum(Point p) {
  if (warmup_) {
    history_.push_back(p);
    Refit();
    warmup_ = false;
    // Continuous with the warm-up output: both are the window value.
    offset_ = TargetAt(p.x + lag_ns_);
    return;
  }
  const double threshold = static_cast<double>(config_.relock_threshold.ToNanoseconds());
  if (std::abs(p.y - FitAt(p.x)) > threshold) {
    outliers_.push_back(p);
    if (static_cast<int>(outliers_.size()) < config_.relock_windows) return;
    // A persistent jump: the outliers become the history and the output steps.
    history_.assign(outliers_.begin(), outliers_.end());
    outliers_.clear();
    Refit();
    offset_ = TargetAt(XOf(last_now_));
    ++relocks_;
    return;
  }
  outliers_.clear();
  history_.push_back(p);
  if (static_cast<int>(history_.size()) > config_.history_windows) {
    history_.erase(history_.begin());
  }
  Refit();
}

void DriftEstimator::Refit() {
  // Theil-Sen: the median of pairwise slopes, over pairs at least half a
  // window apart (closer pairs are mostly noise).
  const double min_dx = static_cast<double>(config_.window.ToNanoseconds()) / 2;
  scratch_.clear();
  for (size_t i = 0; i < history_.size(); ++i) {
    for (size_t j = i + 1; j < history_.size(); ++j) {
      const double dx = history_[j].x - history_[i].x;
      if (std::abs(dx) >= min_dx) scratch_.push_back((history_[j].y - history_[i].y) / dx);
    }
  }
  slope_ = scratch_.empty() ? 0.0 : Quantile(scratch_, 0.5);
  slope_ = std::clamp(slope_, -config_.max_drift, config_.max_drift);
  scratch_.clear();
  for (const Point& p : history_) scratch_.push_back(p.y - slope_ * p.x);
  intercept_ = Quantile(scratch_, config_.floor_quantile);
}

std::optional<Duration> DriftEstimator::offset() const {
  if (!has_output_) return std::nullopt;
  return Duration::Nanoseconds(y_ref_ + std::llround(offset_));
}

std::optional<Time> DriftEstimator::LocalTime(int64_t ts_us) const {
  if (!has_output_) return std::nullopt;
  return Time::FromNanoseconds(TsToNs(ts_us) + y_ref_ + std::llround(offset_));
}

}  // namespace hitless::jitter
