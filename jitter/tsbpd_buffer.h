// TsbpdBuffer: timestamp-based packet delivery (TSBPD). Every packet leaves
// at its release time = (sender ts mapped to the local clock) + latency, where
// `latency` is the end-to-end budget and the mapping comes from a
// DriftEstimator fed by the arrivals themselves. Each packet leaving at its own
// release time is what preserves the sender's spacing (the output pacing).
//
// State: a ring of `capacity` slots (a power of two) indexed by seq mod
// capacity, each with the packet's seq, ts, flags, arrival time and a
// preallocated payload area of `max_payload` bytes (no allocation per
// packet). The ring doubles while the stream needs more (rate x latency),
// up to max_capacity (the memory cap), copying only the held packets, and
// halves again after 10 s in which the window used under a quarter of it; next_seq_, the lowest seq
// not yet delivered or abandoned; the lowest held seq (the head); the
// highest seq seen; a nominal ts-per-seq interval for estimating missing
// packets' deadlines; counters. Timers: one, NextRelease(), the head's release
// time; the owner wakes then and calls PopReady().
//
// Release rules (PopReady): packets leave in sequence order, each at or after
// its release time. When the next seq is missing and a later held packet's
// release time has come, the missing seqs are abandoned (skipped, counted and
// reported to the sink as lost) rather than holding the stream: SRT's
// too-late packet drop. A held packet that is not yet due holds back later
// ones even if their (out-of-order) timestamps are earlier; no packet is held
// longer than 2 x latency after its arrival (a timestamp far in the future is
// a sender fault, counted in `capped`, and must not stall the stream).
//
// Window: seqs in [next_seq_, next_seq_ + capacity) are kept. A packet beyond
// that is refused (buffer_full) while a held packet sits below where the
// window would have to start; if only missing seqs lie there, the window
// slides over them (they are abandoned and reported at the next PopReady()),
// so a sequence jump larger than the capacity never wedges the stream.
//
// Sequence numbers are 64-bit (unwrapped by the caller); ts is the sender's
// timestamp in microseconds, unwrapped to 64 bits by the caller. The buffer
// never reads a clock: every call takes `now`, which must not go backwards
// (earlier values are treated as the latest seen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "jitter/drift_estimator.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"

namespace hitless::jitter {

// Packet flags passed through Insert() to the sink. Bits other than these are
// carried untouched, for the owner's use.
inline constexpr uint8_t kFlagRetransmitted = 1 << 0;  // arrived as an ARQ repair
inline constexpr uint8_t kFlagRecovered = 1 << 1;      // rebuilt by FEC

enum class InsertResult : uint8_t {
  kAccepted,    // held until its release time
  kDuplicate,   // already held, or already delivered
  kTooLate,     // its release time has passed, or its seq was already abandoned
  kBufferFull,  // beyond the capacity window while older packets are held
  kOversized,   // payload longer than max_payload
};

// The drop reason to count for a refused packet; nullopt for kAccepted.
std::optional<DropReason> ToDropReason(InsertResult result);

struct TsbpdConfig {
  // End-to-end budget: sender timestamp to release at the receiver.
  Duration latency = Duration::Milliseconds(120);
  // Ring slots (rounded up to a power of two): packets in flight within the
  // window (rate x latency, with room).
  size_t capacity = 8192;
  // The ring doubles (up to this many slots, rounded down to a power of two)
  // when a packet arrives beyond it while older packets are still held,
  // instead of refusing it: rate x latency is not known in advance; it
  // halves (not below `capacity`) when the stream has used under a quarter
  // of it for 10 s. 0 = never grow. Memory is slots x max_payload bytes.
  size_t max_capacity = 0;
  // Largest payload kept, in bytes.
  size_t max_payload = 1500;
  // False: payloads are not kept, only each packet's timing (a relay's
  // source hop, whose packets go on from its tap and whose buffer serves
  // only as the deadline oracle): released packets carry an empty payload,
  // and the ring costs no payload memory.
  bool keep_payloads = true;
  // The buffer sets drift.lag = latency.
  DriftEstimatorConfig drift;
};

struct ReleasedPacket {
  int64_t seq = 0;
  int64_t ts_us = 0;
  uint8_t flags = 0;
  Time arrival;                      // when Insert() accepted it
  Time release_time;                 // its computed release time (<= the PopReady `now`)
  std::span<const uint8_t> payload;  // valid only during OnRelease()
};

// Where PopReady() puts its results, in sequence order. Callbacks must not
// call back into the buffer.
class TsbpdSink {
 public:
  virtual ~TsbpdSink() = default;
  // A packet whose release time has come.
  virtual void OnRelease(const ReleasedPacket& packet) = 0;
  // `count` consecutive seqs from `first_seq` were abandoned (lost): the loss
  // tracker should stop asking for them.
  virtual void OnSkip(int64_t first_seq, int64_t count) = 0;
};

// Deadline margin (release time - arrival) of repaired packets.
struct MarginStats {
  uint64_t count = 0;
  Duration min = Duration::Infinite();  // Infinite while count == 0
  Duration sum;
  Duration mean() const {
    return count == 0 ? Duration::Zero() : sum / static_cast<int64_t>(count);
  }
};

struct TsbpdStats {
  uint64_t inserted = 0;  // accepted
  uint64_t delivered = 0;
  uint64_t duplicates = 0;
  uint64_t too_late = 0;
  uint64_t buffer_full = 0;
  uint64_t oversized = 0;
  uint64_t skipped = 0;                 // seqs abandoned as lost
  uint64_t discarded = 0;               // held packets dropped by Reset()
  size_t level_packets = 0;             // held now
  Duration level_span;                  // ts span of the held packets
  MarginStats retransmit_margin;        // accepted packets flagged kFlagRetransmitted
  MarginStats recovered_margin;         // accepted packets flagged kFlagRecovered
  uint64_t too_late_retransmitted = 0;  // repairs that came after their deadline
  uint64_t relocks = 0;                 // drift estimator re-locks
  uint64_t capped = 0;  // accepted with a release over 2 x latency away (bad ts): capped
  uint64_t grown = 0;   // ring doublings (up to max_capacity)
  uint64_t shrunk = 0;  // ring halvings
  size_t capacity = 0;  // slots now
};

class TsbpdBuffer {
 public:
  explicit TsbpdBuffer(const TsbpdConfig& config);
  TsbpdBuffer(const TsbpdBuffer&) = delete;
  TsbpdBuffer& operator=(const TsbpdBuffer&) = delete;

  // Offers one packet arriving at `now`. Packets not flagged retransmitted or
  // recovered also feed the drift estimator (whatever the result). The first
  // packet fixes where delivery starts; until something has been delivered
  // or abandoned, an older seq within the window moves the start back.
  // Returns kOversized if payload.size() > max_payload; kDuplicate if `seq`
  // is held or was delivered (within the last `capacity` seqs); kTooLate if
  // `seq` was abandoned, delivery has moved past it, or its release time is
  // before `now`; kBufferFull if `seq` is beyond the window and cannot slide;
  // else kAccepted (payload copied into the slot).
  // `path_excess`: how much slower than the session's fastest path the
  // packet's path is (multipath): the drift estimator sees the arrival as if
  // it had come the fastest way, so moving traffic between paths of
  // different delay is not mistaken for a clock step.
  InsertResult Insert(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload, Time now,
                      uint8_t flags = 0, Duration path_excess = Duration::Zero());

  // Delivers (and abandons) everything due at `now`, in sequence order,
  // through `sink`: see the release rules above.
  void PopReady(Time now, TsbpdSink& sink);

  // Release time of the head packet, when the owner should call PopReady()
  // next; nullopt when nothing is held. It may move slightly later as the
  // clock mapping slews: a PopReady() at that time that releases nothing is
  // normal, and NextRelease() then answers a later time.
  std::optional<Time> NextRelease() const;

  // Deadline of `seq`: the local time at which it is (or would be) released.
  // For a held seq, its release time. For a missing seq, the ts is
  // interpolated between the nearest known neighbours (or extrapolated from
  // one with the nominal interval). nullopt if `seq` is below next_seq() (it
  // is gone) or nothing is known yet. O(distance to the neighbours).
  std::optional<Time> EstimatedReleaseTime(int64_t seq) const;
  // The same for the missing seqs [first, first + count), one estimate per
  // `step` seqs: out(chunk_first, chunk_count, release) for each chunk that
  // has one, its first seq's (the earliest: the conservative deadline). The
  // neighbours are found once: O(count / step + distance to them), where a
  // call of EstimatedReleaseTime per chunk would be O(count^2 / step).
  void EstimateGapReleaseTimes(
      int64_t first, int64_t count, int64_t step,
      absl::FunctionRef<void(int64_t chunk_first, int64_t chunk_count, Time release)> out) const;

  // The owner's one-way transit estimate (min_rtt / 2); 0 until known.
  void SetTransitEstimate(Duration transit) { drift_.SetTransitEstimate(transit); }

  // Sender restart: drops every held packet (counted as discarded), forgets
  // the sequence position and the clock mapping. Counters are kept.
  void Reset();

  TsbpdStats stats() const;
  // Lowest seq not yet delivered or abandoned; nullopt before the first packet.
  std::optional<int64_t> next_seq() const;
  size_t level_packets() const { return held_; }
  const DriftEstimator& drift() const { return drift_; }
  const TsbpdConfig& config() const { return config_; }

 private:
  enum class SlotState : uint8_t { kEmpty, kHeld, kReleased };
  struct Slot {
    int64_t seq = 0;
    int64_t ts_us = 0;
    Time arrival;
    Time latest;  // release cap: arrival + 2 x latency
    uint32_t size = 0;
    uint8_t flags = 0;
    SlotState state = SlotState::kEmpty;
  };

  size_t Index(int64_t seq) const;
  Slot& SlotFor(int64_t seq) { return slots_[Index(seq)]; }
  // Doubles the ring, re-placing every slot; false at max_capacity.
  bool Grow();
  // Re-places held and released slots into a ring of `capacity` slots.
  void Resize(size_t capacity);
  // Halves the ring after a 10 s epoch that used under a quarter of it.
  void MaybeShrink(Time now);
  struct Known {
    int64_t seq;
    int64_t ts_us;
  };
  // The nearest held (or last delivered) seq below `seq` and the nearest held
  // (or highest) above `last`, for interpolating timestamps in [seq, last].
  std::optional<Known> KnownBelow(int64_t seq) const;
  std::optional<Known> KnownAbove(int64_t last) const;
  std::optional<Time> Interpolate(int64_t seq, const std::optional<Known>& below,
                                  const std::optional<Known>& above) const;
  const Slot& SlotFor(int64_t seq) const { return slots_[Index(seq)]; }
  bool IsHeld(int64_t seq) const;
  std::optional<Time> ReleaseOf(int64_t ts_us) const;
  // Release time of a held slot: ReleaseOf(ts), capped at slot.latest.
  std::optional<Time> HeldRelease(const Slot& slot) const;
  // Lowest held seq strictly above `seq`, if any (scans up to highest_).
  std::optional<int64_t> HeldAbove(int64_t seq) const;
  void LearnInterval(int64_t seq, int64_t ts_us);
  void Abandon(int64_t first, int64_t end, TsbpdSink& sink);
  void Store(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload, Time now, uint8_t flags);

  TsbpdConfig config_;
  DriftEstimator drift_;
  std::vector<Slot> slots_;
  // capacity * stride_ bytes; not zero-filled (only held bytes are read).
  std::unique_ptr<uint8_t[]> payloads_;
  size_t stride_ = 0;  // max_payload, or 0 when payloads are not kept
  size_t initial_capacity_ = 0;
  // Shrink epoch: the widest window (highest - next_seq + 1) seen in it.
  std::optional<Time> epoch_start_;
  int64_t epoch_span_ = 0;

  bool started_ = false;
  bool moved_ = false;    // something was delivered or abandoned since start
  int64_t next_seq_ = 0;  // valid when started_
  int64_t head_ = 0;      // lowest held seq; valid when held_ > 0
  int64_t highest_ = 0;   // highest seq accepted; valid when started_
  int64_t highest_ts_us_ = 0;
  int64_t pending_skip_from_ = 0;  // window slid over [from, next_seq_)
  bool pending_skip_ = false;
  std::optional<int64_t> last_delivered_seq_;
  int64_t last_delivered_ts_us_ = 0;
  double interval_us_ = 0.0;  // nominal ts per seq; 0 until learned
  size_t held_ = 0;
  Time last_now_;

  TsbpdStats stats_;
};

}  // namespace hitless::jitter
