// Receiver loss tracking and NACK scheduling; see loss_tracker.h.
#include "transport/arq/loss_tracker.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hitless::arq {
namespace {

constexpr int64_t kMaxTimeNs = int64_t{1} << 62;
constexpr Duration kMaxRtt = Duration::Seconds(60);

Duration Scale(Duration d, double f) {
  return Duration::Nanoseconds(std::llround(static_cast<double>(d.ToNanoseconds()) * f));
}

Time ClampTime(Time t) {
  return Time::FromNanoseconds(std::clamp(t.ToNanoseconds(), -kMaxTimeNs, kMaxTimeNs));
}

}  // namespace

void RecoveryMargin::Add(Duration margin) {
  ++count;
  min = std::min(min, margin);
  sum += margin;
  size_t bucket = 0;
  while (bucket < kEdgesMs.size() && margin >= Duration::Milliseconds(kEdgesMs[bucket])) {
    ++bucket;
  }
  ++histogram[bucket];
}

LossTracker::LossTracker(LossTrackerConfig config)
    : config_(config),
      window_(int64_t{1} << std::clamp(config.receive_window_log2, 6, 24)),
      received_bits_(static_cast<size_t>(window_ / 64), 0),
      missing_(static_cast<size_t>(window_)),
      rtt_(config.default_rtt) {
  // The window must cover every tracked sequence (see OnNewHighest).
  config_.max_missing =
      std::clamp<size_t>(config_.max_missing, 1, static_cast<size_t>(window_ / 2));
  // Live timers never exceed max_missing (RebuildTimers), so after a rebuild
  // at least half the reservation is free: the heap never reallocates.
  timers_.reserve(2 * config_.max_missing + 64);
  due_.reserve(timers_.capacity());
  config_.near_deadline_divisor = std::max(config_.near_deadline_divisor, 1);
  SetRtt(config.default_rtt);
}

ArrivalResult LossTracker::OnPacket(int64_t seq, Time now, ArrivalOrigin origin) {
  if (!SeqInRange(seq)) {
    ++stats_.invalid;
    return {.kind = ArrivalKind::kInvalid};
  }
  if (!highest_ || seq > *highest_) return OnNewHighest(seq, now);
  return OnOlder(seq, now, origin);
}

ArrivalResult LossTracker::OnNewHighest(int64_t seq, Time now) {
  ArrivalResult result{.kind = ArrivalKind::kNew};
  ++stats_.received;
  if (!highest_) {
    highest_ = seq;
    start_ = seq;
    MarkReceived(seq);
    return result;
  }
  const int64_t gap = seq - *highest_ - 1;
  ClearReceived(*highest_ + 1, std::min(seq, *highest_ + window_));
  highest_ = seq;
  MarkReceived(seq);
  // Tracked sequences must stay inside the duplicate window.
  AbandonBefore(seq - window_ + 1);
  if (gap == 0) return result;

  ++stats_.gap_events;
  stats_.gaps_detected += static_cast<uint64_t>(gap);
  const auto tracked = static_cast<int64_t>(
      std::min(static_cast<uint64_t>(gap), static_cast<uint64_t>(config_.max_missing)));
  const auto skipped = static_cast<uint64_t>(gap - tracked);
  stats_.untracked += skipped;
  stats_.abandoned += skipped;
  // Make room by dropping the oldest: the newest gaps have the most time left.
  while (missing_count_ + static_cast<size_t>(tracked) > config_.max_missing) {
    ++stats_.untracked;
    ++stats_.abandoned;
    RemoveOldest();
  }
  const Time earliest = now + ReorderTolerance(now);
  // FEC cannot rebuild a run longer than its blocks' repairs: NACK it now.
  const bool fec_can = fec_span_ == 0 || gap <= fec_span_;
  const Time first_nack =
      !config_.nack ? Time::Infinite() : earliest + (fec_can ? FecHold(now) : Duration::Zero());
  const Time deadline = ClampTime(now + config_.default_lifetime);
  for (int64_t s = seq - tracked; s < seq; ++s) {
    Track(s, Missing{.detected = now,
                     .earliest_nack = earliest,
                     .next_nack = first_nack,
                     .deadline = deadline});
  }
  PruneTimers();
  result.gap_first = seq - tracked;
  result.gap_count = tracked;
  return result;
}

ArrivalResult LossTracker::OnOlder(int64_t seq, Time now, ArrivalOrigin origin) {
  if (seq <= *highest_ - window_) {
    ++stats_.too_old;
    return {.kind = ArrivalKind::kTooOld};
  }
  if (Received(seq)) {
    ++stats_.duplicates;
    if (origin == ArrivalOrigin::kRetransmission) ++stats_.duplicate_retransmissions;
    return {.kind = ArrivalKind::kDuplicate};
  }
  MarkReceived(seq);
  ++stats_.received;
  Missing* found = FindMissing(seq);
  if (found == nullptr) {
    ++stats_.late;
    if (seq < start_) return ExtendStart(seq, now);
    return {.kind = ArrivalKind::kLate};
  }
  Missing& m = *found;
  switch (origin) {
    case ArrivalOrigin::kOriginal:
      ++stats_.recovered_by_reorder;
      ++stats_.reordered;
      LearnReorder(now - m.detected, now);
      break;
    case ArrivalOrigin::kRetransmission:
      ++stats_.recovered_by_retransmission;
      break;
    case ArrivalOrigin::kFec: {
      ++stats_.recovered_by_fec;
      if (m.nacks > 0) ++stats_.recovered_by_fec_after_nack;
      // Learn how long FEC takes (same decaying maximum as reordering).
      const double decayed = fec_delay_max_ns_ < 0 ? 0 : DecayedFecDelayNs(now);
      fec_delay_max_ns_ =
          std::max(decayed, static_cast<double>((now - m.detected).ToNanoseconds()));
      fec_delay_at_ = now;
      break;
    }
  }
  if (m.deadline_set) stats_.margin.Add(m.deadline - now);
  Remove(m);
  PruneTimers();
  return {.kind = ArrivalKind::kRecovered};
}

ArrivalResult LossTracker::ExtendStart(int64_t seq, Time now) {
  // A packet from before the first one we got: the stream began no later
  // than this, so every sequence between it and the old start that has not
  // arrived is missing (the first packets of a stream reordered behind a
  // later one). Below the lowest arrival the receiver cannot know; the
  // sender resends that prefix (SenderSession::ResendLeading).
  ArrivalResult result{.kind = ArrivalKind::kLate};
  const int64_t gap = start_ - seq - 1;
  start_ = seq;
  if (gap <= 0) return result;
  // Beyond the room for missing entries the stream did not begin here: a
  // stale packet (e.g. from before a restart) opens nothing.
  if (gap > config_.max_start_extension ||
      static_cast<size_t>(gap) + missing_count_ > config_.max_missing) {
    return result;
  }
  ++stats_.gap_events;
  stats_.gaps_detected += static_cast<uint64_t>(gap);
  const Time earliest = now + ReorderTolerance(now);
  const Time first_nack = !config_.nack ? Time::Infinite() : earliest;
  const Time deadline = ClampTime(now + config_.default_lifetime);
  for (int64_t s = seq + 1; s < seq + 1 + gap; ++s) {
    Track(s, Missing{.detected = now,
                     .earliest_nack = earliest,
                     .next_nack = first_nack,
                     .deadline = deadline});
  }
  PruneTimers();
  result.gap_first = seq + 1;
  result.gap_count = gap;
  return result;
}

void LossTracker::SetDeadline(int64_t first, int64_t count, Time deadline) {
  if (count <= 0 || !SeqInRange(first) || missing_count_ == 0) return;
  deadline = ClampTime(deadline);
  // Every tracked seq is in [lowest_missing_, highest_]; both ends in range,
  // so nothing below overflows.
  const int64_t from = std::max(first, lowest_missing_);
  const int64_t last = first + std::min(count - 1, *highest_ - first);
  for (int64_t s = from; s <= last; ++s) {
    Missing* found = FindMissing(s);
    if (found == nullptr) continue;
    Missing& m = *found;
    const Time old_wake = m.wake();
    m.deadline = deadline;
    m.deadline_set = true;
    if (m.nacks == 0 && !m.next_nack.IsInfinite() && min_rtt_ > Duration::Zero() &&
        m.earliest_nack > deadline - min_rtt_) {
      // Not even the earliest NACK could be answered before the deadline,
      // over the fastest round trip seen.
      m.next_nack = Time::Infinite();
      ++stats_.no_time_to_repair;
      Reschedule(m, old_wake);
      continue;
    }
    // A first NACK held for FEC still leaves ARQ its whole repeat schedule:
    // one normal round plus the near-deadline zone.
    if (m.nacks == 0 && m.next_nack > m.earliest_nack && !m.next_nack.IsInfinite()) {
      const Duration keep = Scale(rtt_, config_.near_deadline_rtts + config_.renack_rtt_factor);
      m.next_nack = std::max(m.earliest_nack, std::min(m.next_nack, deadline - keep));
    }
    Reschedule(m, old_wake);
  }
  PruneTimers();
}

size_t LossTracker::Abandon(int64_t seq) {
  Missing* m = FindMissing(seq);
  if (m == nullptr) return 0;
  ++stats_.abandoned;
  Remove(*m);
  PruneTimers();
  return 1;
}

size_t LossTracker::AbandonBefore(int64_t seq) {
  size_t n = 0;
  // Raw slot checks, not FindMissing: the highest may already have moved a
  // whole window past these sequences (OnNewHighest calls this to clear them).
  while (missing_count_ > 0 && lowest_missing_ < seq) {
    Missing& m = Slot(lowest_missing_);
    if (m.live && m.seq == lowest_missing_) {
      Remove(m);
      ++n;
    }
    ++lowest_missing_;
  }
  if (missing_count_ == 0) lowest_missing_ = std::max(lowest_missing_, seq);
  stats_.abandoned += n;
  PruneTimers();
  return n;
}

size_t LossTracker::PopDue(Time now) {
  due_.clear();
  size_t expired = 0;
  while (!timers_.empty() && timers_.front().wake <= now) {
    const Timer t = PopTimer();
    if (!Current(t)) continue;
    Missing& m = Slot(t.seq);
    if (m.deadline <= now) {
      Remove(m);
      ++expired;
    } else {
      due_.push_back(t.seq);  // a NACK is due
    }
  }
  // A seq can have two current timers (its wake moved away and back).
  std::sort(due_.begin(), due_.end());
  due_.erase(std::unique(due_.begin(), due_.end()), due_.end());
  stats_.abandoned += expired;
  return expired;
}

size_t LossTracker::AbandonExpired(Time now) {
  const size_t n = PopDue(now);
  for (const int64_t seq : due_) PushTimer(Slot(seq).wake(), seq);  // still due
  PruneTimers();
  return n;
}

void LossTracker::SetRtt(Duration rtt) {
  if (rtt > Duration::Zero()) rtt_ = std::min(rtt, kMaxRtt);
}

void LossTracker::SetMinRtt(Duration rtt) { min_rtt_ = std::clamp(rtt, Duration::Zero(), kMaxRtt); }

size_t LossTracker::CollectNacks(Time now, Duration rtt, std::vector<NackRange>& out,
                                 size_t max_ranges) {
  out.clear();
  SetRtt(rtt);
  PopDue(now);      // abandons the expired; due_ = the NACK-due seqs, ascending
  size_t used = 0;  // sequences of due_ placed in ranges
  for (; used < due_.size(); ++used) {
    const int64_t s = due_[used];
    if (!out.empty() && out.back().first + out.back().count == s &&
        out.back().count < kMaxNackRangeCount) {
      ++out.back().count;
    } else if (out.size() < max_ranges) {
      out.push_back({s, 1});
    } else {
      break;
    }
  }
  for (size_t i = 0; i < due_.size(); ++i) {
    Missing& m = Slot(due_[i]);
    if (i >= used) {  // did not fit: stays due
      PushTimer(m.wake(), m.seq);
      continue;
    }
    if (m.nacks > 0) ++stats_.nack_repeats;
    ++m.nacks;
    m.next_nack = NextNack(m, now);
    PushTimer(m.wake(), m.seq);
  }
  PruneTimers();
  stats_.nack_seqs += used;
  stats_.nack_ranges += out.size();
  return out.size();
}

Time LossTracker::NextNack(const Missing& m, Time now) const {
  // A hop far shorter than the budget (a receiver beside its relay) must not
  // NACK every millisecond while the relay itself still waits for the packet.
  const Duration floor = std::max(config_.min_renack_interval, config_.latency / 64);
  const Duration fast = std::max(rtt_ / config_.near_deadline_divisor, floor);
  const Duration near = Scale(rtt_, config_.near_deadline_rtts);
  Time next;
  if (m.deadline - now < near) {
    next = now + fast;
  } else {
    next = now + std::max(Scale(rtt_, config_.renack_rtt_factor), floor);
    // Enter the fast zone on time rather than up to a whole interval late.
    next = std::max(std::min(next, m.deadline - near), now + fast);
  }
  // A NACK sent later than deadline - RTT cannot be answered in time.
  if (next > m.deadline - rtt_) return Time::Infinite();
  return next;
}

LossTracker::Missing* LossTracker::FindMissing(int64_t seq) {
  return const_cast<Missing*>(std::as_const(*this).FindMissing(seq));
}

const LossTracker::Missing* LossTracker::FindMissing(int64_t seq) const {
  if (missing_count_ == 0 || !highest_ || seq > *highest_ || seq < lowest_missing_) return nullptr;
  const Missing& m = Slot(seq);
  return m.live && m.seq == seq ? &m : nullptr;
}

void LossTracker::Track(int64_t seq, const Missing& entry) {
  Missing& m = Slot(seq);
  if (m.live) {
    // Cannot happen: AbandonBefore keeps tracked seqs within the window.
    Remove(m);
    ++stats_.abandoned;
  }
  m = entry;
  m.seq = seq;
  m.live = true;
  lowest_missing_ = missing_count_ == 0 ? seq : std::min(lowest_missing_, seq);
  ++missing_count_;
  PushTimer(m.wake(), seq);
}

void LossTracker::Remove(Missing& m) {
  m.live = false;  // its timers are now stale
  --missing_count_;
}

void LossTracker::RemoveOldest() {
  while (true) {
    Missing& m = Slot(lowest_missing_);
    const bool oldest = m.live && m.seq == lowest_missing_;
    ++lowest_missing_;
    if (oldest) {
      Remove(m);
      return;
    }
  }
}

void LossTracker::Reschedule(Missing& m, Time old_wake) {
  const Time wake = m.wake();
  if (wake != old_wake) PushTimer(wake, m.seq);  // the old timer goes stale
}

bool LossTracker::Current(const Timer& t) const {
  const Missing& m = Slot(t.seq);
  return m.live && m.seq == t.seq && m.wake() == t.wake;
}

void LossTracker::PushTimer(Time wake, int64_t seq) {
  if (timers_.size() == timers_.capacity()) RebuildTimers();
  timers_.push_back({wake, seq});
  std::push_heap(timers_.begin(), timers_.end());
}

LossTracker::Timer LossTracker::PopTimer() {
  std::pop_heap(timers_.begin(), timers_.end());
  const Timer t = timers_.back();
  timers_.pop_back();
  return t;
}

void LossTracker::PruneTimers() {
  while (!timers_.empty() && !Current(timers_.front())) PopTimer();
}

void LossTracker::RebuildTimers() {
  timers_.clear();
  for (const Missing& m : missing_) {
    if (m.live) timers_.push_back({m.wake(), m.seq});
  }
  std::make_heap(timers_.begin(), timers_.end());
}

std::optional<Time> LossTracker::NextWakeup() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.front().wake;  // PruneTimers keeps the top current
}

double LossTracker::DecayedReorderNs(Time now) const {
  if (reorder_max_ns_ <= 0) return 0;
  const double half_life = static_cast<double>(config_.reorder_half_life.ToNanoseconds());
  if (half_life <= 0) return 0;
  const double age = static_cast<double>((now - reorder_at_).ToNanoseconds());
  return reorder_max_ns_ * std::exp2(-std::max(age, 0.0) / half_life);
}

void LossTracker::LearnReorder(Duration delay, Time now) {
  const double sample = static_cast<double>(std::max(delay, Duration::Zero()).ToNanoseconds());
  reorder_max_ns_ = std::max(DecayedReorderNs(now), sample);
  reorder_at_ = now;
}

double LossTracker::DecayedFecDelayNs(Time now) const {
  const double half_life = static_cast<double>(config_.reorder_half_life.ToNanoseconds());
  if (half_life <= 0) return 0;
  const double age = static_cast<double>((now - fec_delay_at_).ToNanoseconds());
  return std::max(fec_delay_max_ns_, 0.0) * std::exp2(-std::max(age, 0.0) / half_life);
}

Duration LossTracker::FecHold(Time now) const {
  if (config_.fec_hold_cap <= Duration::Zero()) return Duration::Zero();
  // Before FEC has repaired anything: the configured initial hold (none by
  // default: with FEC off or failing, NACKs are not delayed).
  if (fec_delay_max_ns_ < 0) return std::min(config_.fec_hold_initial, config_.fec_hold_cap);
  const double ns = DecayedFecDelayNs(now) * config_.fec_hold_factor;
  if (ns >= static_cast<double>(config_.fec_hold_cap.ToNanoseconds())) return config_.fec_hold_cap;
  return Duration::Nanoseconds(std::llround(ns));
}

Duration LossTracker::ReorderTolerance(Time now) const {
  const Duration budget_share = config_.latency_reorder_divisor > 0
                                    ? config_.latency / config_.latency_reorder_divisor
                                    : Duration::Zero();
  const Duration cap =
      std::max(config_.min_reorder_tolerance,
               std::min(config_.max_reorder_tolerance, std::max(rtt_ / 2, budget_share)));
  const double ns = DecayedReorderNs(now) * config_.reorder_tolerance_factor;
  const Duration learned = ns >= static_cast<double>(cap.ToNanoseconds())
                               ? cap
                               : Duration::Nanoseconds(std::llround(ns));
  const Duration tolerance = std::clamp(learned, config_.min_reorder_tolerance, cap);
  if (path_skew_ <= Duration::Zero()) return tolerance;
  return std::max(tolerance, Scale(path_skew_, config_.reorder_tolerance_factor) +
                                 config_.min_reorder_tolerance);
}

LossReport LossTracker::Report() const {
  return LossReport{
      .highest = highest_,
      .received = stats_.received,
      .lost = stats_.gaps_detected - stats_.recovered_by_reorder,
      .recovered = stats_.recovered_by_retransmission + stats_.recovered_by_fec,
      .abandoned = stats_.abandoned,
      .loss_events = stats_.gap_events,
  };
}

bool LossTracker::Received(int64_t seq) const {
  const uint64_t bit = static_cast<uint64_t>(seq) & static_cast<uint64_t>(window_ - 1);
  return (received_bits_[bit / 64] >> (bit % 64)) & 1;
}

void LossTracker::MarkReceived(int64_t seq) {
  const uint64_t bit = static_cast<uint64_t>(seq) & static_cast<uint64_t>(window_ - 1);
  received_bits_[bit / 64] |= uint64_t{1} << (bit % 64);
}

void LossTracker::ClearReceived(int64_t first, int64_t last) {
  if (last - first + 1 >= window_) {
    std::fill(received_bits_.begin(), received_bits_.end(), 0);
    return;
  }
  for (int64_t s = first; s <= last; ++s) {
    const uint64_t bit = static_cast<uint64_t>(s) & static_cast<uint64_t>(window_ - 1);
    received_bits_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
  }
}

}  // namespace hitless::arq
