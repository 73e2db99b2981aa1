// SendBudget: delivery rate, queueing delay and the budget (send_budget.h).
#include "transport/path/send_budget.h"

#include <algorithm>
#include <cmath>

namespace hitless::path {
namespace {

// Receiver timestamps further apart than this are a restart or a stall:
// start the window over rather than average across it.
constexpr uint64_t kMaxReportGapUs = 10'000'000;
// A window in which the sender sent less than this is idle.
constexpr uint64_t kIdleWindowBytes = 4 * 1500;

}  // namespace

SendBudget::SendBudget(SendBudgetConfig config)
    : config_(config), fec_headroom_(config.fec_initial_headroom) {}

std::optional<Duration> SendBudget::base_rtt() const {
  std::optional<Duration> base;
  for (const Bucket& b : base_) {
    if (b.min && (!base || *b.min < *base)) base = b.min;
  }
  return base;
}

std::optional<double> SendBudget::capacity(Time now) const {
  if (!capacity_ || now - last_congestion_ >= config_.capacity_memory) return std::nullopt;
  return capacity_;
}

double SendBudget::fec_budget(double media_rate, Time now, double min_headroom) const {
  if (const auto c = capacity(now)) return std::min(*budget_, config_.fec_capacity_fraction * *c);
  const double ramp = media_rate * (1 + std::max(fec_headroom_, min_headroom));
  return budget_ ? std::min(*budget_, ramp) : ramp;
}

Duration SendBudget::DelayThreshold() const {
  const Duration base = base_rtt().value_or(Duration::Zero());
  const auto fraction = Duration::Nanoseconds(
      std::llround(static_cast<double>(base.ToNanoseconds()) * config_.queue_delay_fraction));
  return std::max(config_.min_queue_delay, fraction);
}

Duration SendBudget::JitterThreshold() const {
  return Duration::Nanoseconds(
      std::llround(static_cast<double>(rtt_jitter_.ToNanoseconds()) * config_.jitter_multiple));
}

bool SendBudget::JitterBound() const { return JitterThreshold() > DelayThreshold(); }

Duration SendBudget::QueueThreshold() const {
  return std::max(DelayThreshold(), JitterThreshold());
}

void SendBudget::NoteRtt(Duration rtt, Time now) {
  if (!window_min_rtt_ || rtt < *window_min_rtt_) window_min_rtt_ = rtt;
  if (last_rtt_) {
    const Duration d = rtt > *last_rtt_ ? rtt - *last_rtt_ : *last_rtt_ - rtt;
    rtt_jitter_ = rtt_jitter_ + (d - rtt_jitter_) / 16;
  }
  last_rtt_ = rtt;
  const Duration span = config_.base_window / static_cast<int64_t>(base_.size());
  Bucket* head = &base_[base_head_];
  if (!head->min) {
    *head = Bucket{now, rtt};
    return;
  }
  if (now - head->start >= span) {
    base_head_ = (base_head_ + 1) % base_.size();
    head = &base_[base_head_];
    *head = Bucket{now, rtt};  // overwrites the oldest sub-window
    return;
  }
  head->min = std::min(*head->min, rtt);
}

void SendBudget::OnReport(uint32_t receiver_time_us, uint32_t received_bytes,
                          std::optional<Duration> rtt, Time now) {
  if (rtt) NoteRtt(*rtt, now);
  if (last_time_us_) {
    const uint64_t dt_us = static_cast<uint32_t>(receiver_time_us - *last_time_us_);
    const uint64_t bytes = static_cast<uint32_t>(received_bytes - *last_bytes_);
    if (dt_us == 0 || dt_us > kMaxReportGapUs) {
      window_bytes_ = 0;
      window_us_ = 0;
      window_sent_start_ = sent_bytes_;
    } else {
      window_bytes_ += bytes;
      window_us_ += dt_us;
    }
  } else {
    window_sent_start_ = sent_bytes_;
    last_window_at_ = now;
  }
  last_time_us_ = receiver_time_us;
  last_bytes_ = received_bytes;
  if (window_us_ >= static_cast<uint64_t>(config_.window.ToMicroseconds())) {
    CloseWindow(static_cast<double>(window_us_) * 1e-6, window_bytes_, now);
    window_bytes_ = 0;
    window_us_ = 0;
    window_min_rtt_.reset();
  }
}

void SendBudget::CloseWindow(double seconds, uint64_t bytes, Time now) {
  ++stats_.windows;
  const uint64_t sent = sent_bytes_ - window_sent_start_;
  window_sent_start_ = sent_bytes_;
  const Duration since_last = now - last_window_at_;
  last_window_at_ = now;
  // An idle path (keepalives only, before the media starts) says nothing
  // about what it could carry.
  if (sent < kIdleWindowBytes) {
    ++stats_.idle_windows;
    return;
  }
  // Nothing (or far less than was sent) arrived: the path is out, which says
  // nothing about its capacity.
  if (bytes == 0 || (sent > 0 && static_cast<double>(bytes) < 0.5 * static_cast<double>(sent))) {
    ++stats_.outage_windows;
    return;
  }
  const double rate = static_cast<double>(bytes) / seconds;
  const double keep = std::exp(-seconds / config_.rate_time_constant.ToSecondsF());
  // Up at once (what was delivered is a floor on the capacity), down slowly
  // (one slow window is not a smaller path).
  delivery_rate_ = rate >= delivery_rate_ ? rate : keep * delivery_rate_ + (1 - keep) * rate;

  const std::optional<Duration> base = base_rtt();
  queueing_delay_ = window_min_rtt_ && base ? std::max(*window_min_rtt_ - *base, Duration::Zero())
                                            : Duration::Zero();
  congested_windows_ = queueing_delay_ > QueueThreshold() ? congested_windows_ + 1 : 0;
  // Persistence is asked only where jitter sets the threshold: a path
  // without it is cut on the first window, as a queue is the only thing
  // that moves its minimum.
  congested_ = congested_windows_ >= (JitterBound() ? config_.congestion_windows : 1);
  const double ceiling = config_.probe_headroom * delivery_rate_;
  if (congested_) {
    if (now >= hold_until_ || !budget_) {
      ++stats_.congestion_events;
      budget_ = config_.decrease * rate;
      capacity_ = capacity(now) ? 0.7 * *capacity_ + 0.3 * rate : rate;
      hold_until_ = now + base.value_or(Duration::Zero()) + config_.window;
    }
    last_congestion_ = now;
    return;
  }
  if (!capacity(now)) {
    if (capacity_) fec_headroom_ = config_.fec_initial_headroom;  // forgotten: probe gently
    capacity_.reset();  // none known, or not confirmed for capacity_memory
    budget_ = ceiling;
    fec_headroom_ += config_.fec_ramp_per_second * std::max(since_last.ToSecondsF(), 0.0);
    return;
  }
  // Regrowth after a cut, up to the capacity congestion showed: nothing but
  // a real queue can prove more, and the FEC ceiling keeps below it.
  const double growth = 1 + config_.increase_per_second * std::max(since_last.ToSecondsF(), 0.0);
  budget_ = std::min({*budget_ * growth, ceiling, *capacity_});
}

}  // namespace hitless::path
