#include "jitter/tsbpd_buffer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "transport/base/bug.h"

namespace hitless::jitter {
namespace {

// Timestamps are clamped to +-2^50 us (35 years), as the drift estimator does,
// so differences and sums of them fit in int64 nanoseconds.
constexpr int64_t kMaxTsUs = int64_t{1} << 50;
constexpr double kMaxEstimatedTsUs = static_cast<double>(kMaxTsUs);
// Sequence steps above this are too far apart to teach the nominal interval.
constexpr int64_t kMaxIntervalStep = 64;

}  // namespace

std::optional<DropReason> ToDropReason(InsertResult result) {
  switch (result) {
    case InsertResult::kAccepted:
      return std::nullopt;
    case InsertResult::kDuplicate:
      return DropReason::kDuplicate;
    case InsertResult::kTooLate:
      return DropReason::kTooLate;
    case InsertResult::kBufferFull:
      return DropReason::kBufferFull;
    case InsertResult::kOversized:
      return DropReason::kOversized;
  }
  return std::nullopt;
}

namespace {
DriftEstimatorConfig WithLag(DriftEstimatorConfig drift, Duration latency) {
  drift.lag = latency;
  return drift;
}
}  // namespace

TsbpdBuffer::TsbpdBuffer(const TsbpdConfig& config)
    : config_(config), drift_(WithLag(config.drift, config.latency)) {
  constexpr size_t kMaxSlots = size_t{1} << 24;
  config_.capacity = std::bit_ceil(std::clamp<size_t>(config_.capacity, 1, kMaxSlots));
  config_.max_capacity =
      config_.max_capacity == 0
          ? config_.capacity
          : std::max(config_.capacity,
                     std::bit_floor(std::clamp<size_t>(config_.max_capacity, 1, kMaxSlots)));
  config_.max_payload = std::min<size_t>(config_.max_payload, UINT32_MAX);
  initial_capacity_ = config_.capacity;
  slots_.resize(config_.capacity);
  stride_ = config_.keep_payloads ? config_.max_payload : 0;
  payloads_.reset(new uint8_t[config_.capacity * stride_]);
}

bool TsbpdBuffer::Grow() {
  if (config_.max_capacity <= config_.capacity) return false;
  Resize(config_.capacity * 2);
  ++stats_.grown;
  return true;
}

void TsbpdBuffer::Resize(size_t capacity) {
  std::vector<Slot> old_slots(capacity);
  std::unique_ptr<uint8_t[]> old_payloads(new uint8_t[capacity * stride_]);
  old_slots.swap(slots_);
  old_payloads.swap(payloads_);
  const size_t old_capacity = config_.capacity;
  config_.capacity = capacity;
  // Growing: held and released slots all lie within one old window below and
  // above next_seq_, so they stay distinct. Shrinking (only when the held
  // window fits): the newer of two colliding slots wins, and a held slot is
  // always newer than a released one.
  for (size_t i = 0; i < old_capacity; ++i) {
    const Slot& slot = old_slots[i];
    if (slot.state == SlotState::kEmpty) continue;
    Slot& to = slots_[Index(slot.seq)];
    if (to.state != SlotState::kEmpty && to.seq > slot.seq) continue;
    to = slot;
    if (slot.state == SlotState::kHeld && stride_ != 0) {
      std::memcpy(payloads_.get() + Index(slot.seq) * stride_, old_payloads.get() + i * stride_,
                  slot.size);
    }
  }
}

void TsbpdBuffer::MaybeShrink(Time now) {
  constexpr Duration kEpoch = Duration::Seconds(10);
  if (!epoch_start_) epoch_start_ = now;
  if (now - *epoch_start_ < kEpoch) return;
  const auto cap = static_cast<int64_t>(config_.capacity);
  const int64_t span = started_ ? highest_ - next_seq_ + 1 : 0;
  if (config_.capacity > initial_capacity_ && epoch_span_ < cap / 4 && span < cap / 4) {
    Resize(config_.capacity / 2);
    ++stats_.shrunk;
  }
  epoch_start_ = now;
  epoch_span_ = span;
}

size_t TsbpdBuffer::Index(int64_t seq) const {
  return static_cast<size_t>(static_cast<uint64_t>(seq) & (config_.capacity - 1));
}

bool TsbpdBuffer::IsHeld(int64_t seq) const {
  const Slot& s = SlotFor(seq);
  return s.state == SlotState::kHeld && s.seq == seq;
}

std::optional<Time> TsbpdBuffer::ReleaseOf(int64_t ts_us) const {
  const std::optional<Time> local = drift_.LocalTime(ts_us);
  if (!local) return std::nullopt;
  return *local + config_.latency;
}

std::optional<Time> TsbpdBuffer::HeldRelease(const Slot& slot) const {
  const std::optional<Time> release = ReleaseOf(slot.ts_us);
  if (!release) return std::nullopt;
  return std::min(*release, slot.latest);
}

std::optional<int64_t> TsbpdBuffer::next_seq() const {
  if (!started_) return std::nullopt;
  return next_seq_;
}

InsertResult TsbpdBuffer::Insert(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload,
                                 Time now, uint8_t flags, Duration path_excess) {
  now = std::max(now, last_now_);
  last_now_ = now;
  ts_us = std::clamp(ts_us, -kMaxTsUs, kMaxTsUs);
  if (payload.size() > config_.max_payload) {
    ++stats_.oversized;
    return InsertResult::kOversized;
  }
  const bool repaired = (flags & (kFlagRetransmitted | kFlagRecovered)) != 0;
  // Repairs do not tell the path's delay; but some mapping is better than none.
  if (!repaired || !drift_.has_estimate()) {
    // A slower path's packet is sampled as if sent `path_excess` later:
    // arrival - ts then shows the fastest path's delay (and `now` stays
    // monotonic for the estimator).
    drift_.OnSample(now, ts_us + std::max(path_excess, Duration::Zero()).ToMicroseconds());
  } else {
    drift_.Advance(now);
  }
  if (!started_) {
    started_ = true;
    next_seq_ = seq;
    highest_ = seq;
    highest_ts_us_ = ts_us;
  }
  const auto too_late = [&] {
    ++stats_.too_late;
    if ((flags & kFlagRetransmitted) != 0) ++stats_.too_late_retransmitted;
    return InsertResult::kTooLate;
  };

  const Time release = *ReleaseOf(ts_us);  // the estimator has a sample by now
  const auto cap = static_cast<int64_t>(config_.capacity);
  if (seq < next_seq_) {
    const Slot& s = SlotFor(seq);
    if (s.seq == seq && s.state == SlotState::kReleased) {
      ++stats_.duplicates;
      return InsertResult::kDuplicate;
    }
    // Before anything has left, a reordered older packet moves the start back.
    const bool can_move_back = !moved_ && !pending_skip_ && highest_ - seq < cap;
    if (!can_move_back || release < now) return too_late();
    next_seq_ = seq;
  }
  if (IsHeld(seq)) {
    ++stats_.duplicates;
    return InsertResult::kDuplicate;
  }
  if (release < now) return too_late();
  if (seq - next_seq_ >= cap) {
    // Room for the window first: grow while packets below the new base are
    // still held (the stream needs rate x latency slots).
    while (held_ > 0 && head_ < seq - static_cast<int64_t>(config_.capacity) + 1 && Grow()) {
    }
  }
  if (seq - next_seq_ >= static_cast<int64_t>(config_.capacity)) {
    const int64_t new_base = seq - static_cast<int64_t>(config_.capacity) + 1;
    if (held_ > 0 && head_ < new_base) {
      ++stats_.buffer_full;
      return InsertResult::kBufferFull;
    }
    // Only missing seqs lie below the new base: abandon them (reported at the
    // next PopReady) rather than wedge the stream.
    if (!pending_skip_) {
      pending_skip_ = true;
      pending_skip_from_ = next_seq_;
    }
    next_seq_ = new_base;
    moved_ = true;
  }
  Store(seq, ts_us, payload, now, flags);

  const Duration margin = release - now;
  for (auto [bit, m] : {std::pair{kFlagRetransmitted, &stats_.retransmit_margin},
                        std::pair{kFlagRecovered, &stats_.recovered_margin}}) {
    if ((flags & bit) == 0) continue;
    ++m->count;
    m->min = std::min(m->min, margin);
    m->sum += margin;
  }
  return InsertResult::kAccepted;
}

void TsbpdBuffer::Store(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload, Time now,
                        uint8_t flags) {
  Slot& s = SlotFor(seq);
  if (s.state == SlotState::kHeld) {
    // The window invariant (held seqs within capacity of next_seq_) forbids it.
    HITLESS_BUG("TsbpdBuffer slot collision");
    --held_;
    ++stats_.discarded;
  }
  if (!payload.empty() && stride_ != 0) {
    std::memcpy(payloads_.get() + Index(seq) * stride_, payload.data(), payload.size());
  }
  s.seq = seq;
  s.ts_us = ts_us;
  s.arrival = now;
  // A packet is never due later than latency after it arrived (arrival is
  // after sending); twice that leaves room for a young clock mapping, and
  // keeps a packet stamped far in the future from holding the stream.
  s.latest = now + config_.latency * 2;
  if (*ReleaseOf(ts_us) > s.latest) ++stats_.capped;
  s.size = static_cast<uint32_t>(payload.size());
  s.flags = flags;
  s.state = SlotState::kHeld;
  head_ = held_ == 0 ? seq : std::min(head_, seq);
  ++held_;
  ++stats_.inserted;
  if (seq > highest_) {
    LearnInterval(seq, ts_us);
    highest_ = seq;
    highest_ts_us_ = ts_us;
  }
  epoch_span_ = std::max(epoch_span_, highest_ - next_seq_ + 1);
}

void TsbpdBuffer::LearnInterval(int64_t seq, int64_t ts_us) {
  const int64_t step = seq - highest_;
  if (step > kMaxIntervalStep || ts_us < highest_ts_us_) return;
  const double sample = static_cast<double>(ts_us - highest_ts_us_) / static_cast<double>(step);
  interval_us_ = interval_us_ == 0.0 ? sample : interval_us_ + (sample - interval_us_) / 16;
}

void TsbpdBuffer::Abandon(int64_t first, int64_t end, TsbpdSink& sink) {
  if (end <= first) return;
  stats_.skipped += static_cast<uint64_t>(end - first);
  sink.OnSkip(first, end - first);
}

std::optional<int64_t> TsbpdBuffer::HeldAbove(int64_t seq) const {
  for (int64_t s = seq + 1; s <= highest_; ++s) {
    if (IsHeld(s)) return s;
  }
  return std::nullopt;
}

void TsbpdBuffer::PopReady(Time now, TsbpdSink& sink) {
  now = std::max(now, last_now_);
  last_now_ = now;
  drift_.Advance(now);
  MaybeShrink(now);
  if (pending_skip_) {
    pending_skip_ = false;
    Abandon(pending_skip_from_, next_seq_, sink);
  }
  while (held_ > 0) {
    Slot& s = SlotFor(head_);
    const std::optional<Time> release = HeldRelease(s);
    if (!release || *release > now) break;
    Abandon(next_seq_, head_, sink);
    ReleasedPacket packet;
    packet.seq = head_;
    packet.ts_us = s.ts_us;
    packet.flags = s.flags;
    packet.arrival = s.arrival;
    packet.release_time = *release;
    packet.payload =
        stride_ == 0 ? std::span<const uint8_t>()
                     : std::span<const uint8_t>(payloads_.get() + Index(head_) * stride_, s.size);
    sink.OnRelease(packet);
    s.state = SlotState::kReleased;
    --held_;
    ++stats_.delivered;
    last_delivered_seq_ = head_;
    last_delivered_ts_us_ = s.ts_us;
    next_seq_ = head_ + 1;
    moved_ = true;
    if (held_ > 0) {
      const std::optional<int64_t> above = HeldAbove(head_);
      if (!above) {
        HITLESS_BUG("TsbpdBuffer lost track of held packets");
        held_ = 0;
        break;
      }
      head_ = *above;
    }
  }
}

std::optional<Time> TsbpdBuffer::NextRelease() const {
  if (held_ == 0) return std::nullopt;
  return HeldRelease(SlotFor(head_));
}

std::optional<TsbpdBuffer::Known> TsbpdBuffer::KnownBelow(int64_t seq) const {
  const auto cap = static_cast<int64_t>(config_.capacity);
  if (held_ > 0 && head_ < seq) {
    for (int64_t s = std::min(seq - 1, highest_); s >= head_ && s > seq - cap; --s) {
      if (IsHeld(s)) return Known{s, SlotFor(s).ts_us};
    }
  }
  if (last_delivered_seq_) return Known{*last_delivered_seq_, last_delivered_ts_us_};
  return std::nullopt;
}

std::optional<TsbpdBuffer::Known> TsbpdBuffer::KnownAbove(int64_t last) const {
  if (last >= highest_) return std::nullopt;
  const auto cap = static_cast<int64_t>(config_.capacity);
  for (int64_t s = last + 1; s <= highest_ && s < last + cap; ++s) {
    if (IsHeld(s)) return Known{s, SlotFor(s).ts_us};
  }
  return Known{highest_, highest_ts_us_};
}

std::optional<Time> TsbpdBuffer::Interpolate(int64_t seq, const std::optional<Known>& below,
                                             const std::optional<Known>& above) const {
  double ts = 0.0;
  if (below && above) {
    const double frac =
        static_cast<double>(seq - below->seq) / static_cast<double>(above->seq - below->seq);
    ts =
        static_cast<double>(below->ts_us) + frac * static_cast<double>(above->ts_us - below->ts_us);
  } else if (below) {
    ts = static_cast<double>(below->ts_us) + interval_us_ * static_cast<double>(seq - below->seq);
  } else if (above) {
    ts = static_cast<double>(above->ts_us) - interval_us_ * static_cast<double>(above->seq - seq);
  } else if (seq == highest_) {
    ts = static_cast<double>(highest_ts_us_);
  } else {
    return std::nullopt;
  }
  ts = std::clamp(ts, -kMaxEstimatedTsUs, kMaxEstimatedTsUs);
  return ReleaseOf(std::llround(ts));
}

std::optional<Time> TsbpdBuffer::EstimatedReleaseTime(int64_t seq) const {
  if (!started_ || seq < next_seq_) return std::nullopt;
  if (IsHeld(seq)) return HeldRelease(SlotFor(seq));
  return Interpolate(seq, KnownBelow(seq), KnownAbove(seq));
}

void TsbpdBuffer::EstimateGapReleaseTimes(
    int64_t first, int64_t count, int64_t step,
    absl::FunctionRef<void(int64_t chunk_first, int64_t chunk_count, Time release)> out) const {
  if (!started_ || count <= 0) return;
  step = std::max<int64_t>(step, 1);
  const int64_t end = first + count;
  const int64_t from = std::max(first, next_seq_);  // below next_seq_: gone
  if (from >= end) return;
  const std::optional<Known> below = KnownBelow(from);
  const std::optional<Known> above = KnownAbove(end - 1);
  for (int64_t chunk = first; chunk < end; chunk += step) {
    if (chunk < next_seq_) continue;
    const std::optional<Time> release =
        IsHeld(chunk) ? HeldRelease(SlotFor(chunk)) : Interpolate(chunk, below, above);
    if (release) out(chunk, std::min(step, end - chunk), *release);
  }
}

void TsbpdBuffer::Reset() {
  stats_.discarded += held_;
  for (Slot& s : slots_) s.state = SlotState::kEmpty;
  started_ = false;
  moved_ = false;
  held_ = 0;
  pending_skip_ = false;
  last_delivered_seq_.reset();
  interval_us_ = 0.0;
  drift_.Reset();
}

TsbpdStats TsbpdBuffer::stats() const {
  TsbpdStats out = stats_;
  out.relocks = drift_.relocks();
  out.capacity = config_.capacity;
  out.level_packets = held_;
  if (held_ > 0) {
    int64_t top = highest_;
    while (top > head_ && !IsHeld(top)) --top;
    out.level_span = std::max(Duration::Zero(),
                              Duration::Microseconds(SlotFor(top).ts_us - SlotFor(head_).ts_us));
  }
  return out;
}

}  // namespace hitless::jitter
