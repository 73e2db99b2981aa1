// RetransmitBuffer (sender): a copy of every DATA packet sent, kept for the
// latency window so a NACK can be answered.
//
// State: a ring of `capacity` slots (a power of two) indexed by
// seq & (capacity - 1), holding {seq, original send time, bytes, ARQ
// bookkeeping}; the live range [lowest, highest]; the bytes held. A slot's
// byte vector is reused, so after the ring has been round once, storing
// allocates nothing unless a packet is larger than the slot ever held.
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
  // Slots; rounded up to a power of two. Must cover the packets sent in one
  // retention period (e.g. 65536 = 3.4 s at 200 Mbit/s of 1316-byte
  // payloads); an older live packet is evicted (counted) to make room.
  size_t capacity = 65536;
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
  std::vector<uint8_t> bytes;
  RetransmitState arq;
  bool live = false;
};

struct RetransmitBufferStats {
  uint64_t stored = 0;
  uint64_t stored_bytes = 0;
  uint64_t expired = 0;   // reached send time + retention
  uint64_t evicted = 0;   // overwritten before expiring (capacity too small)
  uint64_t rejected = 0;  // seq not increasing, out of range, or empty
};

class RetransmitBuffer {
 public:
  explicit RetransmitBuffer(RetransmitBufferConfig config = {});

  // Stores a copy of original packet `seq` sent at `send_time`. `seq` must be
  // above every seq stored before (gaps are fine) and `bytes` non-empty;
  // otherwise returns false and counts it rejected. Invalidates pointers and
  // spans previously obtained from this buffer.
  bool Store(int64_t seq, Time send_time, std::span<const uint8_t> bytes);

  // Drops packets with send_time + retention <= now. Returns how many.
  // Invalidates pointers and spans previously obtained from this buffer.
  size_t Expire(Time now);

  // The live packet `seq`, or nullptr if never stored, expired or evicted.
  const StoredPacket* Find(int64_t seq) const;
  StoredPacket* Find(int64_t seq);

  std::optional<int64_t> lowest_seq() const;
  std::optional<int64_t> highest_seq() const { return highest_; }
  size_t size() const { return live_count_; }
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

  RetransmitBufferConfig config_;
  std::vector<StoredPacket> slots_;
  std::optional<int64_t> lowest_;  // every live seq is in [lowest_, highest_]
  std::optional<int64_t> highest_;
  std::optional<Time> first_store_;
  size_t live_count_ = 0;
  uint64_t live_bytes_ = 0;
  RetransmitBufferStats stats_;
};

}  // namespace hitless::arq
