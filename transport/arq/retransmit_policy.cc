// Sender retransmission decisions; the rules are in retransmit_policy.h.
#include "transport/arq/retransmit_policy.h"

#include <algorithm>
#include <cmath>

namespace hitless::arq {
namespace {

constexpr int kCopiesLimit = 16;

Duration Scale(Duration d, double f) {
  return Duration::Nanoseconds(std::llround(static_cast<double>(d.ToNanoseconds()) * f));
}

}  // namespace

RetransmitPolicy::RetransmitPolicy(RetransmitPolicyConfig config, RetransmitBuffer* buffer)
    : config_(config),
      buffer_(buffer),
      ready_(std::max<size_t>(config.max_requests, 1)),
      waiting_(std::max<size_t>(config.max_requests, 1)) {
  config_.max_copies = std::clamp(config_.max_copies, 1, kCopiesLimit);
  config_.max_requests = std::max<size_t>(config_.max_requests, 1);
}

int RetransmitPolicy::CopiesFor(double loss_rate, double target, int max_copies, double min_loss) {
  max_copies = std::clamp(max_copies, 1, kCopiesLimit);
  if (!std::isfinite(loss_rate)) loss_rate = 0.5;
  if (!std::isfinite(min_loss)) min_loss = 0;
  if (!std::isfinite(target)) target = 1e-6;
  const double p = std::clamp(std::max(loss_rate, min_loss), 1e-9, 0.5);
  const double t = std::clamp(target, 1e-15, 0.5);
  // The epsilon keeps an exact ratio (ln 1e-6 / ln 0.01 = 3) from rounding up.
  const double n = std::ceil(std::log(t) / std::log(p) - 1e-9);
  return std::clamp(static_cast<int>(std::min(n, double{kCopiesLimit})), 1, max_copies);
}

double RetransmitPolicy::CapBytesPerSecond(Time now) const {
  if (config_.cap_fraction_of_stream <= 0 && config_.cap_min_bytes_per_second <= 0) {
    return std::numeric_limits<double>::infinity();
  }
  const double stream = buffer_->StreamRateBytesPerSecond(now);
  if (budget_room_) {
    double cap = std::max(*budget_room_, config_.cap_floor_fraction * stream);
    if (config_.cap_max_bytes_per_second > 0) cap = std::min(cap, config_.cap_max_bytes_per_second);
    return std::max(cap, 1500.0);  // one datagram per second at the least
  }
  double cap = config_.cap_fraction_of_stream * stream;
  cap = std::max(cap, config_.cap_min_bytes_per_second);
  if (config_.cap_max_bytes_per_second > 0) cap = std::min(cap, config_.cap_max_bytes_per_second);
  return std::max(cap, 0.0);
}

void RetransmitPolicy::Refill(Time now) {
  rate_ = CapBytesPerSecond(now);
  depth_ = std::isinf(rate_)
               ? rate_
               : std::max(rate_ * config_.bucket_depth.ToSecondsF(), config_.min_bucket_bytes);
  if (!last_refill_) {
    tokens_ = depth_;
    last_refill_ = now;
    return;
  }
  if (now > *last_refill_) {
    tokens_ = std::min(depth_, tokens_ + rate_ * (now - *last_refill_).ToSecondsF());
    last_refill_ = now;
  }
  tokens_ = std::min(tokens_, depth_);
}

void RetransmitPolicy::OnNack(std::span<const NackRange> ranges, Time now, NackKind kind) {
  size_t budget = config_.max_seqs_per_nack;
  const std::optional<int64_t> lowest = buffer_->lowest_seq();
  const std::optional<int64_t> highest = buffer_->highest_seq();
  for (const NackRange& r : ranges) {
    if (r.count <= 0 || !SeqInRange(r.first)) {
      ++stats_.invalid_ranges;
      continue;
    }
    const int64_t count = std::min(r.count, kMaxSeq - r.first + 1);
    const int64_t last = r.first + count - 1;
    stats_.nack_seqs += static_cast<uint64_t>(count);
    // Only the stored span is examined; the rest is unknown by arithmetic,
    // so a hostile range costs nothing.
    if (!lowest || last < *lowest || r.first > *highest) {
      stats_.unknown_seq += static_cast<uint64_t>(count);
      continue;
    }
    const int64_t lo = std::max(r.first, *lowest);
    const int64_t hi = std::min(last, *highest);
    stats_.unknown_seq += static_cast<uint64_t>(count - (hi - lo + 1));
    for (int64_t s = lo; s <= hi; ++s) {
      if (budget == 0) {
        stats_.nack_overflow += static_cast<uint64_t>(hi - s + 1);
        break;
      }
      --budget;
      Consider(s, now, kind);
    }
  }
}

void RetransmitPolicy::Consider(int64_t seq, Time now, NackKind kind) {
  StoredPacket* p = buffer_->Find(seq);
  if (p == nullptr) {
    ++stats_.unknown_seq;
    return;
  }
  const Time deadline = Deadline(*p);
  if (now >= deadline - link_.one_way) {
    ++stats_.too_late;
    return;
  }
  RetransmitState& st = p->arq;
  if (st.queued) {
    ++stats_.already_queued;
    return;
  }
  if (st.last_retransmit &&
      now - *st.last_retransmit < Scale(link_.srtt, config_.suppress_rtt_factor)) {
    ++stats_.suppressed;
    return;
  }
  if (pending() >= config_.max_requests) {
    ++stats_.queue_full;
    return;
  }
  int copies = 1;
  if (kind == NackKind::kUnaskable ||
      deadline - now < Scale(link_.srtt, config_.last_chance_rtts)) {
    copies = CopiesFor(link_.loss_rate, config_.target_residual_loss, config_.max_copies,
                       config_.min_loss_for_copies);
    if (copies > 1) ++stats_.last_chance;
  }
  st.queued = true;
  st.capped = false;
  st.copies = static_cast<uint8_t>(copies);
  st.copies_left = st.copies;
  ready_.push({deadline, seq});
  blocked_until_.reset();  // a new head may be cheaper: let PopDue look
  ++stats_.requests;
}

size_t RetransmitPolicy::PopDue(Time now, std::vector<Retransmission>& out, size_t max_packets) {
  out.clear();
  blocked_until_.reset();
  Refill(now);
  while (!waiting_.empty() && waiting_.top().first <= now) {
    const int64_t seq = waiting_.top().second;
    waiting_.pop();
    const StoredPacket* p = buffer_->Find(seq);
    if (p == nullptr || !p->arq.queued) {
      ++stats_.expired_in_queue;
      continue;
    }
    ready_.push({Deadline(*p), seq});
  }
  while (!ready_.empty() && out.size() < max_packets) {
    const auto [deadline, seq] = ready_.top();
    StoredPacket* p = buffer_->Find(seq);
    if (p == nullptr) {
      ++stats_.expired_in_queue;
      ready_.pop();
      continue;
    }
    RetransmitState& st = p->arq;
    if (now >= deadline - link_.one_way) {
      ++stats_.too_late_in_queue;
      st.queued = false;
      st.copies_left = 0;
      ready_.pop();
      continue;
    }
    const auto size = static_cast<double>(p->size);
    const double need = std::min(size, depth_);
    if (tokens_ < need) {
      if (!st.capped) ++stats_.capped;
      st.capped = true;
      const double wait_s = rate_ > 0 ? std::min((need - tokens_) / rate_, 1.0) : 1.0;
      blocked_until_ = now + Duration::SecondsF(wait_s) + Duration::Nanoseconds(1);
      break;
    }
    tokens_ -= size;
    const uint32_t copy = st.copies - st.copies_left;
    if (copy == 0) {
      st.last_retransmit = now;
      ++st.retransmissions;
      ++stats_.retransmitted;
    } else {
      ++stats_.copies;
    }
    stats_.retransmitted_bytes += p->size;
    out.push_back({.seq = seq,
                   .send_time = p->send_time,
                   .bytes = p->bytes,
                   .size = p->size,
                   .copy = copy,
                   .copies = st.copies});
    --st.copies_left;
    ready_.pop();
    if (st.copies_left == 0) {
      st.queued = false;
      st.capped = false;
    } else if (const Duration spacing = CopySpacing(deadline, now, st.copies_left);
               spacing > Duration::Zero()) {
      waiting_.push({now + spacing, seq});
    } else {
      ready_.push({deadline, seq});
    }
  }
  return out.size();
}

Duration RetransmitPolicy::CopySpacing(Time deadline, Time now, uint32_t copies_left) const {
  Duration spacing = std::max(config_.copy_spacing, link_.burst_span);
  if (spacing > config_.copy_spacing && copies_left > 0) {
    // Every remaining copy must still leave one way before the deadline.
    const Duration room = (deadline - link_.one_way - now) / static_cast<int64_t>(copies_left + 1);
    spacing = std::max(config_.copy_spacing, std::min(spacing, room));
  }
  return spacing;
}

std::optional<Time> RetransmitPolicy::NextWakeup() const {
  std::optional<Time> next;
  if (!waiting_.empty()) next = waiting_.top().first;
  if (!ready_.empty()) {
    // Not blocked: something is sendable now (last_refill_ is the latest now
    // PopDue saw; Time::Zero() if it never ran, i.e. immediately).
    const Time ready_at = blocked_until_ ? *blocked_until_ : last_refill_.value_or(Time::Zero());
    if (!next || ready_at < *next) next = ready_at;
  }
  return next;
}

}  // namespace hitless::arq
