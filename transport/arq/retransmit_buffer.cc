// Sender-side packet store for ARQ; see retransmit_buffer.h.
#include "transport/arq/retransmit_buffer.h"

#include <algorithm>
#include <bit>

namespace hitless::arq {

RetransmitBuffer::RetransmitBuffer(RetransmitBufferConfig config)
    : config_(config),
      slots_(std::bit_ceil(std::clamp<size_t>(config.capacity, 1, size_t{1} << 24))) {}

void RetransmitBuffer::Drop(StoredPacket& p) {
  p.live = false;
  p.arq = {};
  --live_count_;
  live_bytes_ -= p.bytes.size();
}

bool RetransmitBuffer::Store(int64_t seq, Time send_time, std::span<const uint8_t> bytes) {
  if (!SeqInRange(seq) || (highest_ && seq <= *highest_) || bytes.empty()) {
    ++stats_.rejected;
    return false;
  }
  const auto cap = static_cast<int64_t>(slots_.size());
  if (highest_ && live_count_ > 0) {
    // Live packets are in [lowest_, highest_]; those that seq and the
    // sequences it skips would overwrite (seq - cap and below) are evicted.
    const int64_t keep_from = seq - cap + 1;
    for (int64_t s = *lowest_; s < keep_from && s <= *highest_; ++s) {
      StoredPacket& old = Slot(s);
      if (old.live && old.seq == s) {
        ++stats_.evicted;
        Drop(old);
      }
    }
    lowest_ = std::max(*lowest_, keep_from);
  } else {
    lowest_ = seq;
  }
  StoredPacket& p = Slot(seq);
  p.seq = seq;
  p.send_time = send_time;
  p.bytes.assign(bytes.begin(), bytes.end());
  p.arq = {};
  p.live = true;
  ++live_count_;
  live_bytes_ += bytes.size();
  ++stats_.stored;
  stats_.stored_bytes += bytes.size();
  highest_ = seq;
  if (!first_store_) first_store_ = send_time;
  // Keep lowest_ on a live packet; stops at seq at the latest.
  while (!(Slot(*lowest_).live && Slot(*lowest_).seq == *lowest_)) ++*lowest_;
  return true;
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
