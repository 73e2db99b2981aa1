// LossTracker (receiver): which DATA sequences are missing, when to NACK
// them, and when to give up on them.
//
// State: the highest sequence seen; a bitmap of recent arrivals (the last
// 2^receive_window_log2 sequences) that tells duplicates; the tracked missing
// sequences (at most max_missing; each with its detection time, next NACK
// time, NACK count and deadline); a decaying maximum of observed reorder
// delays, from which the reorder tolerance is derived; the latest RTT.
// Timers (one per missing sequence, merged into NextWakeup()):
//   - first NACK at detection + reorder tolerance;
//   - re-NACK every renack_rtt_factor x RTT while the deadline is far, every
//     RTT / near_deadline_divisor once less than near_deadline_rtts x RTT is
//     left (and no later than entering that zone), none once less than one
//     RTT is left (an answer could not arrive in time);
//   - none at all when the deadline is less than the minimum RTT away when it is set
//     (counted no_time_to_repair): a NACK that cannot be answered in time
//     only costs the sender work and the path bandwidth;
//   - abandonment at the deadline: the only true loss.
// The repeat schedule is aimed at zero residual loss with 10% random loss in
// both directions and latency = 4 x RTT: the first NACK fails with
// probability 1 - 0.9 x 0.9 = 0.19; near the deadline a NACK goes every
// RTT/4, so a lost NACK costs a quarter RTT instead of a whole one (the
// sender answers at most once per RTT, so the extra NACKs cost no data), and
// the sender's last-chance copies cover the retransmission itself
// (retransmit_policy.h). tests/unit/arq/arq_sim_test.cc checks it.
//
// The start: tracking begins at the first packet received. A later packet
// from below it (the stream's first packets reordered behind a later one)
// moves the start down to it, and the sequences in between that have not
// arrived become missing like any gap (at most max_start_extension, within
// max_missing; a stale packet further below opens nothing).
//
// Reorder tolerance: a tracked missing sequence that then arrives as an
// ORIGINAL was reordered, not lost; its delay since detection feeds a maximum
// that halves every reorder_half_life, and tolerance = clamp(k x that max,
// min_reorder_tolerance, min(max_reorder_tolerance, max(RTT/2, latency/8))); with several
// paths at least k x their delivery skew (SetPathSkew).
//
// Sequences are 64-bit unwrapped indices (SerialUnwrapper at the edge);
// values outside +-2^62 (kMaxSeq) are refused and counted.
//
// Storage (no allocation after construction, whatever the loss): the missing
// entries live in a ring of 2^receive_window_log2 slots indexed by seq (every
// tracked seq is within the window below the highest, so none alias); the
// timers are a binary min-heap of (wake, seq) in a vector reserved at
// construction, with lazy deletion: an entry whose slot no longer holds that
// seq at that wake time is stale and skipped, and when the heap reaches its
// reserved size it is rebuilt from the live entries (at most max_missing, half
// the reservation). A 65k-packet outage is 65k slot writes and heap pushes, no
// malloc.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "transport/arq/nack_range.h"
#include "transport/base/time.h"

namespace hitless::arq {

struct LossTrackerConfig {
  // Most missing sequences tracked at once; beyond it the oldest are dropped
  // (counted untracked and abandoned). 65536 = 2 s of a 40 Mbit/s outage.
  size_t max_missing = 65536;
  // Duplicate-detection window, 2^n sequences; must exceed max_missing.
  int receive_window_log2 = 17;
  Duration default_rtt = Duration::Milliseconds(100);  // until an RTT is given
  Duration min_reorder_tolerance = Duration::Milliseconds(1);
  Duration max_reorder_tolerance = Duration::Milliseconds(50);  // also <= the cap below
  // The session's latency (zero: unknown). The tolerance is capped at
  // max(RTT/2, latency / latency_reorder_divisor): waiting out reordering
  // longer than half a round trip costs repair rounds only when the budget
  // holds few of them; with a budget of many round trips (a short hop behind
  // a relay that forwards in arrival order, a path that reorders by more
  // than its RTT/2) a NACK for every reordered packet costs far more.
  Duration latency = Duration::Zero();
  int latency_reorder_divisor = 8;
  double reorder_tolerance_factor = 1.25;  // k
  Duration reorder_half_life = Duration::Seconds(10);
  // Normal re-NACK interval, in RTTs. A little over one so that a NACK is not
  // repeated while its answer is still in flight.
  double renack_rtt_factor = 1.25;
  // Below this many RTTs to the deadline, re-NACK every RTT / divisor.
  double near_deadline_rtts = 2.0;
  int near_deadline_divisor = 4;
  // Re-NACKs are at least this far apart, and at least latency / 64.
  Duration min_renack_interval = Duration::Milliseconds(1);
  // Deadline of a missing sequence whose owner never calls SetDeadline.
  Duration default_lifetime = Duration::Seconds(10);
  // Most sequences a packet from below the start may open as missing (the
  // first packets reordered behind a later one: 8192 is 0.9 s at 100
  // Mbit/s); a packet further below is stale and opens nothing.
  int64_t max_start_extension = 8192;
  // False: never NACK (no ARQ negotiated); missing sequences are only
  // tracked, counted and abandoned at their deadline.
  bool nack = true;
  // With FEC: the first NACK waits up to this much longer for FEC to rebuild
  // the packet (a retransmission of what FEC repairs is wasted). The hold is
  // fec_hold_factor x a decaying maximum of observed detection-to-FEC-repair
  // delays, at most the cap (fec_hold_initial until FEC has repaired a
  // packet), and never pushes the first NACK past
  // deadline - (near_deadline_rtts + renack_rtt_factor) x RTT: ARQ keeps its
  // whole repeat schedule, so the hold only acts where latency is ample.
  // A gap longer than FEC can rebuild (SetFecRepairSpan: m x interleave of
  // the blocks seen) is not held at all: FEC cannot deliver it, and the
  // wait would only cost ARQ a round. Zero: no hold.
  Duration fec_hold_cap = Duration::Zero();
  double fec_hold_factor = 1.25;
  // The hold before any FEC repair was seen. Zero: with FEC off or failing,
  // NACKs are not delayed for it.
  Duration fec_hold_initial = Duration::Zero();
};

// Where a packet handed to OnPacket came from.
enum class ArrivalOrigin : uint8_t { kOriginal, kRetransmission, kFec };

enum class ArrivalKind : uint8_t {
  kNew,        // above every sequence seen (possibly opening a gap)
  kRecovered,  // filled a tracked missing sequence
  kLate,       // below the highest, not tracked (abandoned, untracked, pre-start)
  kDuplicate,  // already received
  kTooOld,     // older than the duplicate window: cannot tell; treat as stale
  kInvalid,    // outside +-kMaxSeq
};

struct ArrivalResult {
  ArrivalKind kind = ArrivalKind::kNew;
  // The newly tracked missing sequences [gap_first, gap_first + gap_count):
  // for kNew just below the packet; for kLate from before the first packet
  // received (the stream's start moved down to it), just above it. The
  // owner should SetDeadline them.
  int64_t gap_first = 0;
  int64_t gap_count = 0;
};

// Deadline margin (deadline - arrival) of recovered packets with a deadline.
struct RecoveryMargin {
  // Bucket upper bounds; the last bucket is open-ended.
  static constexpr std::array<int64_t, 7> kEdgesMs = {5, 10, 20, 50, 100, 200, 500};
  uint64_t count = 0;
  Duration min = Duration::Infinite();
  Duration sum = Duration::Zero();
  std::array<uint64_t, kEdgesMs.size() + 1> histogram{};
  Duration mean() const {
    return count == 0 ? Duration::Zero() : sum / static_cast<int64_t>(count);
  }
  void Add(Duration margin);
};

struct LossTrackerStats {
  uint64_t received = 0;                   // unique packets accepted (kNew, kRecovered, kLate)
  uint64_t duplicates = 0;                 // kDuplicate
  uint64_t duplicate_retransmissions = 0;  // of which retransmissions (spurious)
  uint64_t late = 0;                       // kLate
  uint64_t too_old = 0;                    // kTooOld
  uint64_t invalid = 0;                    // kInvalid
  uint64_t gap_events = 0;                 // new highest that skipped >= 1 sequence
  uint64_t gaps_detected = 0;              // sequences found missing
  uint64_t untracked = 0;                  // missing but over max_missing (never NACKed)
  uint64_t reordered = 0;                  // = recovered_by_reorder
  uint64_t recovered_by_retransmission = 0;
  uint64_t recovered_by_reorder = 0;
  uint64_t recovered_by_fec = 0;
  uint64_t recovered_by_fec_after_nack = 0;  // of which a NACK had gone out already
  uint64_t abandoned = 0;                    // deadline, owner skip, out of window, or untracked
  uint64_t nack_ranges = 0;
  uint64_t nack_seqs = 0;     // sequence-NACKs, first ones and repeats
  uint64_t nack_repeats = 0;  // of which repeats
  // Missing sequences never NACKed: their deadline was too close for an
  // answer to arrive (deadline - RTT already passed at detection).
  uint64_t no_time_to_repair = 0;
  RecoveryMargin margin;
};

// Cumulative figures for a REPORT (docs/wire-format.md).
struct LossReport {
  std::optional<int64_t> highest;
  uint64_t received = 0;
  uint64_t lost = 0;  // missing on the network (gaps minus reorderings)
  uint64_t recovered = 0;
  uint64_t abandoned = 0;
  uint64_t loss_events = 0;  // gap events: runs of consecutive losses
};

class LossTracker {
 public:
  explicit LossTracker(LossTrackerConfig config = {});

  // Records the arrival of DATA `seq` at `now` (non-decreasing across calls).
  // A new highest opens a missing entry for every skipped sequence (the
  // newest max_missing of them), first NACK due at now + tolerance and
  // deadline now + default_lifetime until SetDeadline. Never fails; the kind
  // says how the owner should treat the packet (kDuplicate/kTooOld: drop).
  ArrivalResult OnPacket(int64_t seq, Time now, ArrivalOrigin origin);

  // Sets the deadline (release time) of tracked missing sequences in
  // [first, first + count); untracked ones are ignored. At the deadline a
  // sequence is abandoned. Deadlines are clamped to +-2^62 ns.
  void SetDeadline(int64_t first, int64_t count, Time deadline);

  // Gives up on `seq` / on every tracked sequence below `seq` (the jitter
  // buffer skipped them): removed and counted abandoned. Returns how many.
  size_t Abandon(int64_t seq);
  size_t AbandonBefore(int64_t seq);
  // Abandons every tracked sequence whose deadline is <= now.
  size_t AbandonExpired(Time now);

  // Latest RTT (ignored unless > 0; capped at 60 s). Used for the tolerance
  // cap and the re-NACK schedule.
  void SetRtt(Duration rtt);
  // The smallest RTT seen (0: unknown, the default). A gap whose deadline is
  // nearer than this at detection is never NACKed (no_time_to_repair).
  void SetMinRtt(Duration rtt);
  // With FEC: the longest run of consecutive losses one block group can
  // rebuild (0: unknown, hold as configured). See fec_hold_cap.
  void SetFecRepairSpan(int64_t packets) { fec_span_ = std::max<int64_t>(packets, 0); }
  // Multipath: the slowest live path delivers `skew` later than the fastest
  // (duplicate copies, bonded packets). The reorder tolerance is then at
  // least skew x reorder_tolerance_factor + min_reorder_tolerance, beyond
  // the usual cap. Zero (the default) for one path.
  void SetPathSkew(Duration skew) { path_skew_ = std::max(skew, Duration::Zero()); }

  // Abandons expired sequences, then replaces `out` with the sequences whose
  // NACK is due at `now`, ascending and coalesced into at most `max_ranges`
  // ranges of at most kMaxNackRangeCount each, and schedules their repeats.
  // Due sequences that do not fit stay due (NextWakeup() <= now: call again
  // for another packet). `rtt` as in SetRtt. Returns out.size().
  size_t CollectNacks(Time now, Duration rtt, std::vector<NackRange>& out,
                      size_t max_ranges = kMaxNackRangesPerPacket);

  // Earliest NACK or deadline among tracked sequences; nullopt when none.
  std::optional<Time> NextWakeup() const;

  Duration ReorderTolerance(Time now) const;
  // How long a gap's first NACK waits for FEC beyond the reorder tolerance.
  Duration FecHold(Time now) const;
  std::optional<int64_t> highest_seq() const { return highest_; }
  size_t missing_count() const { return missing_count_; }
  bool IsMissing(int64_t seq) const { return FindMissing(seq) != nullptr; }
  const LossTrackerStats& stats() const { return stats_; }
  LossReport Report() const;

 private:
  struct Missing {
    int64_t seq = 0;
    bool live = false;  // tracked (else the slot is free)
    Time detected;
    Time earliest_nack;  // detection + reorder tolerance
    Time next_nack;      // Time::Infinite() once no further NACK can help
    Time deadline;
    uint32_t nacks = 0;
    bool deadline_set = false;
    Time wake() const { return next_nack < deadline ? next_nack : deadline; }
  };
  struct Timer {
    Time wake;
    int64_t seq;
    // The heap's order: std::push_heap keeps the greatest first, so "greater"
    // means "due later".
    bool operator<(const Timer& o) const { return wake != o.wake ? wake > o.wake : seq > o.seq; }
  };

  ArrivalResult OnNewHighest(int64_t seq, Time now);
  ArrivalResult OnOlder(int64_t seq, Time now, ArrivalOrigin origin);
  ArrivalResult ExtendStart(int64_t seq, Time now);
  Missing* FindMissing(int64_t seq);
  const Missing* FindMissing(int64_t seq) const;
  void Track(int64_t seq, const Missing& m);
  void Remove(Missing& m);
  void Reschedule(Missing& m, Time old_wake);
  // Heap upkeep: a timer is current while its slot holds that seq, live,
  // with that wake time.
  bool Current(const Timer& t) const;
  void PushTimer(Time wake, int64_t seq);
  Timer PopTimer();
  void PruneTimers();  // drops stale timers from the top
  // Pops every timer due at `now`: abandons the expired entries (counted,
  // returned) and leaves the NACK-due seqs in due_, ascending, unique; their
  // timers are gone, so the caller pushes them again.
  size_t PopDue(Time now);
  Missing& Slot(int64_t seq) {
    return missing_[static_cast<uint64_t>(seq) & static_cast<uint64_t>(window_ - 1)];
  }
  const Missing& Slot(int64_t seq) const {
    return missing_[static_cast<uint64_t>(seq) & static_cast<uint64_t>(window_ - 1)];
  }
  void RebuildTimers();  // from the live slots only
  // Removes the lowest tracked sequence (the oldest); requires one.
  void RemoveOldest();
  Time NextNack(const Missing& m, Time now) const;
  double DecayedReorderNs(Time now) const;
  double DecayedFecDelayNs(Time now) const;
  void LearnReorder(Duration delay, Time now);

  bool Received(int64_t seq) const;
  void MarkReceived(int64_t seq);
  void ClearReceived(int64_t first, int64_t last);  // inclusive

  LossTrackerConfig config_;
  int64_t window_;  // 2^receive_window_log2
  std::vector<uint64_t> received_bits_;
  std::optional<int64_t> highest_;
  int64_t start_ = 0;             // lowest sequence accounted for (the first received, or lower)
  std::vector<Missing> missing_;  // window_ slots, by seq & (window_ - 1)
  size_t missing_count_ = 0;
  int64_t lowest_missing_ = 0;  // no tracked seq is below it
  std::vector<Timer> timers_;   // min-heap by wake (see Timer); capacity fixed
  std::vector<int64_t> due_;    // scratch for CollectNacks / AbandonExpired
  Duration rtt_;
  Duration min_rtt_ = Duration::Zero();
  double reorder_max_ns_ = 0;  // decaying max, as of reorder_at_
  Time reorder_at_;
  Duration path_skew_ = Duration::Zero();
  double fec_delay_max_ns_ = -1;  // decaying max of FEC repair delays; < 0: none seen
  Time fec_delay_at_;
  int64_t fec_span_ = 0;
  LossTrackerStats stats_;
};

}  // namespace hitless::arq
