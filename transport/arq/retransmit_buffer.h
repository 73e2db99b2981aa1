// RetransmitBuffer (sender): a copy of every DATA packet sent, kept for the
// latency window so a NACK can be answered.
//
// State: a ring of slots (a power of two) indexed by seq & (slots - 1),
// holding {seq, original send time, bytes, ARQ bookkeeping}, and one arena of
// slots x slot_bytes for the packets themselves; the live range
// [lowest, highest]; the bytes held. Sized by what the stream needs: the ring
// starts at `capacity` slots and doubles (re-placing the live packets, once
// per doubling, so O(1) per packet amortised) when a packet would evict one
// still within its retention, up to max_capacity slots (the memory cap);
// past that the oldest is evicted and counted. No allocation per packet.
// Timers: entries expire at send time + retention (Expire(now)); the owner
// calls Expire on its own schedule (e.g. per packet or per wake-up).
// Sequences are 64-bit unwrapped indices within +-kMaxSeq.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "transport/arq/nack_range.h"
#include "transport/base/time.h"

namespace hitless::arq {

struct RetransmitBufferConfig {
  // Initial slots; rounded up to a power of two. The ring grows to cover the
  // packets of one retention period (rate x latency: 1 s at 100 Mbit/s of
  // 1316-byte payloads is ~9,500).
  size_t capacity = 1024;
  // Most slots (rounded down to a power of two; at least `capacity`): the
  // memory cap is max_capacity x slot_bytes. Beyond it an older live packet
  // is evicted (counted `evicted`, and `evicted_unexpired` if within its
  // retention: the cap is too small for this rate x latency).
  size_t max_capacity = size_t{1} << 17;
  // Largest packet kept (a DATA datagram); larger ones are refused. Zero:
  // no bytes are kept at all, only each packet's bookkeeping (StoreMeta):
  // the packets live elsewhere (a relay hop's shared stream ring).
  size_t slot_bytes = 1500;
  // How long a packet is kept after its original send: the end-to-end
  // latency (a retransmission sent later cannot arrive before release).
  Duration retention = Duration::Milliseconds(1000);
};

// Per-packet retransmission state, owned by RetransmitPolicy; reset when the
// packet leaves the buffer.
struct RetransmitState {
  std::optional<Time> last_retransmit;  // first copy of the latest retransmission
  uint32_t retransmissions = 0;         // requests answered (copies count once)
  uint8_t copies = 0;                   // of the pending request, in total
  uint8_t copies_left = 0;              // of the pending request, still to send
  bool queued = false;                  // a request is pending
  bool capped = false;                  // the pending request waited for the cap
};

struct StoredPacket {
  int64_t seq = -1;
  Time send_time;
  std::span<const uint8_t> bytes;  // in the arena; see Store (empty: StoreMeta)
  uint32_t size = 0;               // the datagram's bytes, kept or not
  RetransmitState arq;
  bool live = false;
};

struct RetransmitBufferStats {
  uint64_t stored = 0;
  uint64_t stored_bytes = 0;
  uint64_t expired = 0;            // reached send time + retention
  uint64_t evicted = 0;            // overwritten before expiring (capacity too small)
  uint64_t evicted_unexpired = 0;  // of which within their retention (at the cap)
  uint64_t grown = 0;              // ring doublings
  uint64_t rejected = 0;           // seq not increasing, out of range, empty or oversized
};

class RetransmitBuffer {
 public:
  explicit RetransmitBuffer(RetransmitBufferConfig config = {});

  // Stores a copy of original packet `seq` sent at `send_time`. `seq` is
  // normally above every seq stored before (gaps are fine); one below the
  // highest (a late fill of a gap) is taken only into a free slot within the
  // ring's current span (highest - capacity, highest]. `bytes` must be
  // non-empty and at most slot_bytes. Otherwise returns false and counts it
  // rejected.
  // Invalidates pointers and spans previously obtained from this buffer.
  bool Store(int64_t seq, Time send_time, std::span<const uint8_t> bytes);
  // Where packet `seq`'s bytes go (slot_bytes long; empty if seq cannot be
  // stored, counted rejected): write them there, then Commit(seq, send_time,
  // size) with nothing else in between. A Store without the copy: the caller
  // serializes into the buffer. Commit without NextSlot for that seq fails.
  std::span<uint8_t> NextSlot(int64_t seq, Time send_time);
  bool Commit(int64_t seq, Time send_time, size_t size);

  // Bookkeeping only (slot_bytes 0): packet `seq` of `size` bytes was sent
  // at `send_time`; its bytes are kept elsewhere. As Store otherwise.
  bool StoreMeta(int64_t seq, Time send_time, size_t size);
  // True when storing `seq` now would grow the ring (and so move what it
  // holds): a caller that lent out spans flushes them first.
  bool WouldGrow(int64_t seq, Time send_time) const;
  // A longer (or shorter) retention from now on.
  void SetRetention(Duration retention) { config_.retention = retention; }

  // Drops packets with send_time + retention <= now. Returns how many.
  // Invalidates pointers and spans previously obtained from this buffer.
  size_t Expire(Time now);

  // The live packet `seq`, or nullptr if never stored, expired or evicted.
  const StoredPacket* Find(int64_t seq) const;
  StoredPacket* Find(int64_t seq);

  std::optional<int64_t> lowest_seq() const;
  std::optional<int64_t> highest_seq() const { return highest_; }
  size_t size() const { return live_count_; }
  size_t capacity() const { return slots_.size(); }
  size_t memory_bytes() const { return arena_.size(); }
  uint64_t live_bytes() const { return live_bytes_; }
  Duration retention() const { return config_.retention; }
  // Original stream rate: bytes held over the period they span, i.e. the
  // mean over the last retention period (call after Expire(now)). 0 until
  // 10 ms have been stored.
  double StreamRateBytesPerSecond(Time now) const;
  const RetransmitBufferStats& stats() const { return stats_; }

 private:
  StoredPacket& Slot(int64_t seq) {
    return slots_[static_cast<uint64_t>(seq) & (slots_.size() - 1)];
  }
  const StoredPacket& Slot(int64_t seq) const {
    return slots_[static_cast<uint64_t>(seq) & (slots_.size() - 1)];
  }
  void Drop(StoredPacket& p);
  // Makes seq's slot free: grows the ring or evicts what it would overwrite.
  // False (counted rejected) if seq cannot be stored.
  bool MakeRoom(int64_t seq, Time send_time);
  uint8_t* SlotBytes(int64_t seq) {
    return arena_.data() + (static_cast<uint64_t>(seq) & (slots_.size() - 1)) * config_.slot_bytes;
  }
  bool Grow();

  RetransmitBufferConfig config_;
  std::vector<StoredPacket> slots_;
  std::vector<uint8_t> arena_;       // slots_.size() x slot_bytes
  std::optional<int64_t> room_for_;  // NextSlot made room for this seq
  std::optional<int64_t> lowest_;    // every live seq is in [lowest_, highest_]
  std::optional<int64_t> highest_;
  std::optional<Time> first_store_;
  size_t live_count_ = 0;
  uint64_t live_bytes_ = 0;
  RetransmitBufferStats stats_;
};

}  // namespace hitless::arq
