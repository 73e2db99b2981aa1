// Sender-side packet store for ARQ; see retransmit_buffer.h.
#include "transport/arq/retransmit_buffer.h"

#include <algorithm>
#include <bit>

namespace hitless::arq {

RetransmitBuffer::RetransmitBuffer(RetransmitBufferConfig config) : config_(config) {
  constexpr size_t kMaxSlots = size_t{1} << 24;
  config_.slot_bytes = std::clamp<size_t>(config_.slot_bytes, 0, 65536);
  const size_t initial = std::bit_ceil(std::clamp<size_t>(config.capacity, 1, kMaxSlots));
  config_.max_capacity =
      std::max(initial, std::bit_floor(std::clamp<size_t>(config.max_capacity, 1, kMaxSlots)));
  slots_.resize(initial);
  arena_.resize(initial * config_.slot_bytes);
}

void RetransmitBuffer::Drop(StoredPacket& p) {
  p.live = false;
  p.arq = {};
  --live_count_;
  live_bytes_ -= p.size;
}

bool RetransmitBuffer::Grow() {
  if (slots_.size() >= config_.max_capacity) return false;
  std::vector<StoredPacket> old_slots(slots_.size() * 2);
  std::vector<uint8_t> old_arena(old_slots.size() * config_.slot_bytes);
  old_slots.swap(slots_);
  old_arena.swap(arena_);
  // Live packets span less than the old ring: they stay distinct in the new.
  for (StoredPacket& p : old_slots) {
    if (!p.live) continue;
    uint8_t* to = SlotBytes(p.seq);
    std::copy(p.bytes.begin(), p.bytes.end(), to);
    p.bytes = std::span<const uint8_t>(to, p.bytes.size());
    Slot(p.seq) = p;
  }
  ++stats_.grown;
  return true;
}

bool RetransmitBuffer::MakeRoom(int64_t seq, Time send_time) {
  if (!SeqInRange(seq)) {
    ++stats_.rejected;
    return false;
  }
  if (highest_ && seq <= *highest_) {
    // A late fill (a relay forwarding a packet its upstream repaired): only
    // into a free slot of the ring's current span, which holds nothing else.
    const StoredPacket& p = Slot(seq);
    if (seq <= *highest_ - static_cast<int64_t>(slots_.size()) || (p.live && p.seq == seq)) {
      ++stats_.rejected;
      return false;
    }
    return true;
  }
  if (!highest_ || live_count_ == 0) {
    lowest_ = seq;
    return true;
  }
  // Live packets are in [lowest_, highest_]; the ring must reach from the
  // lowest still within its retention to seq, else grow (up to the cap).
  while (seq - *lowest_ >= static_cast<int64_t>(slots_.size())) {
    const StoredPacket& oldest = Slot(*lowest_);
    if (oldest.send_time + config_.retention <= send_time || !Grow()) break;
  }
  const auto cap = static_cast<int64_t>(slots_.size());
  // Those that seq and the sequences it skips would overwrite (seq - cap and
  // below) are evicted.
  const int64_t keep_from = seq - cap + 1;
  for (int64_t s = *lowest_; s < keep_from && s <= *highest_; ++s) {
    StoredPacket& old = Slot(s);
    if (old.live && old.seq == s) {
      ++stats_.evicted;
      if (old.send_time + config_.retention > send_time) ++stats_.evicted_unexpired;
      Drop(old);
    }
  }
  lowest_ = std::max(*lowest_, keep_from);
  return true;
}

std::span<uint8_t> RetransmitBuffer::NextSlot(int64_t seq, Time send_time) {
  if (!MakeRoom(seq, send_time)) return {};
  room_for_ = seq;
  return std::span<uint8_t>(SlotBytes(seq), config_.slot_bytes);
}

bool RetransmitBuffer::WouldGrow(int64_t seq, Time send_time) const {
  if (!SeqInRange(seq) || !highest_ || seq <= *highest_ || live_count_ == 0 ||
      slots_.size() >= config_.max_capacity) {
    return false;
  }
  return seq - *lowest_ >= static_cast<int64_t>(slots_.size()) &&
         Slot(*lowest_).send_time + config_.retention > send_time;
}

bool RetransmitBuffer::StoreMeta(int64_t seq, Time send_time, size_t size) {
  if (config_.slot_bytes != 0 || size == 0 || size > 65536) {
    ++stats_.rejected;
    return false;
  }
  if (!MakeRoom(seq, send_time)) return false;  // counted there
  room_for_ = seq;
  return Commit(seq, send_time, size);
}

bool RetransmitBuffer::Commit(int64_t seq, Time send_time, size_t size) {
  const bool room = room_for_ == seq;
  room_for_.reset();
  const size_t limit = config_.slot_bytes == 0 ? 65536 : config_.slot_bytes;
  if (!room || size == 0 || size > limit) {
    ++stats_.rejected;
    return false;
  }
  StoredPacket& p = Slot(seq);
  p.seq = seq;
  p.send_time = send_time;
  p.size = static_cast<uint32_t>(size);
  p.bytes = config_.slot_bytes == 0 ? std::span<const uint8_t>()
                                    : std::span<const uint8_t>(SlotBytes(seq), size);
  p.arq = {};
  p.live = true;
  ++live_count_;
  live_bytes_ += size;
  ++stats_.stored;
  stats_.stored_bytes += size;
  if (!highest_ || seq > *highest_) highest_ = seq;
  if (!first_store_) first_store_ = send_time;
  if (!lowest_ || live_count_ == 1 || seq < *lowest_) lowest_ = seq;
  // Keep lowest_ on a live packet; stops at seq at the latest.
  while (!(Slot(*lowest_).live && Slot(*lowest_).seq == *lowest_)) ++*lowest_;
  return true;
}

bool RetransmitBuffer::Store(int64_t seq, Time send_time, std::span<const uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > config_.slot_bytes) {
    ++stats_.rejected;
    return false;
  }
  const std::span<uint8_t> slot = NextSlot(seq, send_time);
  if (slot.empty()) return false;
  std::copy(bytes.begin(), bytes.end(), slot.begin());
  return Commit(seq, send_time, bytes.size());
}

size_t RetransmitBuffer::Expire(Time now) {
  if (!lowest_) return 0;
  size_t n = 0;
  while (*lowest_ <= *highest_) {
    StoredPacket& p = Slot(*lowest_);
    if (p.live && p.seq == *lowest_) {
      if (p.send_time + config_.retention > now) break;
      Drop(p);
      ++n;
    }
    ++*lowest_;
  }
  stats_.expired += n;
  if (live_count_ == 0) lowest_ = *highest_ + 1;
  return n;
}

const StoredPacket* RetransmitBuffer::Find(int64_t seq) const {
  if (!SeqInRange(seq)) return nullptr;
  const StoredPacket& p = Slot(seq);
  return p.live && p.seq == seq ? &p : nullptr;
}

StoredPacket* RetransmitBuffer::Find(int64_t seq) {
  if (!SeqInRange(seq)) return nullptr;
  StoredPacket& p = Slot(seq);
  return p.live && p.seq == seq ? &p : nullptr;
}

std::optional<int64_t> RetransmitBuffer::lowest_seq() const {
  if (live_count_ == 0) return std::nullopt;
  return lowest_;
}

double RetransmitBuffer::StreamRateBytesPerSecond(Time now) const {
  if (!first_store_ || live_count_ == 0) return 0;
  const Duration span = std::min(now - *first_store_, config_.retention);
  if (span < Duration::Milliseconds(10)) return 0;
  return static_cast<double>(live_bytes_) / span.ToSecondsF();
}

}  // namespace hitless::arq
