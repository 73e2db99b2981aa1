// RetransmitPolicy (sender): which NACKed packets to resend, how many
// copies, and when.
//
// State: the pending requests, ordered earliest deadline first (EDF); spaced
// extra copies waiting for their time; a token bucket capping the
// retransmission rate; the latest link estimate (SRTT, one-way delay, loss
// rate). Per-packet state (last retransmission, pending copies) lives in the
// RetransmitBuffer's StoredPacket::arq. Timers: NextWakeup() is the earliest
// of a waiting copy's time and, when the head request is held by the cap,
// the time the bucket will hold enough tokens.
//
// Rules for a NACKed sequence (each refusal counted):
//   1. It must be stored (else unknown_seq).
//   2. deadline = original send time + latency (the receiver releases it
//      then, sender clock). Refused unless now < deadline - one_way (else
//      too_late): a later copy would arrive after release.
//   3. At most once per RTT: a NACK within suppress_rtt_factor x SRTT of the
//      last retransmission is suppressed. The receiver repeats NACKs (every
//      RTT, every RTT/4 near the deadline) and reordering fakes gaps;
//      answering each would be the retransmission storm SRT shows, while an
//      answer is already in flight. A NACK the receiver sent just before the
//      answer reached it arrives about one RTT after the answer left, so the
//      window is 1/8 longer than SRTT (jitter, timer granularity).
//   4. A request already pending is not queued twice (already_queued).
//   5. Within the cap: a token bucket at
//        clamp(cap_fraction x measured stream rate, cap_min, cap_max) bytes/s,
//      or, once the owner knows the path's send budget (SetBudgetRoom: the
//      budget less the media rate; transport/path/send_budget.h), at that
//      room, at least cap_floor_fraction x the stream rate: repairs then
//      take whatever the path carries beyond the media, so after an outage
//      the backlog goes out as fast as the path allows (in deadline order)
//      instead of at a fixed fraction, and on a full path they stay out of
//      the media's way.
//      A blocked head request waits (counted capped once) until tokens
//      accrue or its deadline check (rule 2) fails at pop time.
//   6. Last chance: when deadline - now < last_chance_rtts x SRTT (or the
//      request is kUnaskable: no NACK will repeat it), no further
//      round trip is possible: the receiver's next NACK for this packet
//      cannot be answered before now + 1.125 SRTT (rule 3) and the answer
//      must leave one_way (SRTT/2) before the deadline, so 1.75 SRTT with a
//      little slack (2.0 made every first retransmission at a 3 x RTT budget
//      a last chance: 3.5x the overhead for the same residual loss at 1-2%
//      loss). So the request is sent as N copies spaced
//      max(copy_spacing, the link's burst span) apart (a burst must not take
//      every copy; the span is capped so the copies still fit before the
//      deadline). With independent loss p on the path, all N are
//      lost with probability p^N; N is the smallest with p^N <= target:
//        N = ceil(ln(target) / ln(p)),  clamped to [1, max_copies],
//      p clamped to [min_loss_for_copies, 0.5]. With target 1e-6: p = 10%
//      gives 6; 5% gives 5; 2% gives 4; 1% gives 3; <= 0.1% gives 2.
//      Copies count as one retransmission for rule 3. The cap is 6, not 4:
//      at 10% loss each way and latency 4 x RTT a lost packet reaches its
//      last chance with probability 0.19 (first NACK or answer lost), so 4
//      copies leave 0.19 x 1e-4 = 1.9e-5 residual per lost packet (~0.1 per
//      minute at 10 Mbit/s, seen in the simulator), 6 copies 2e-7. The cost
//      is ~4% more overhead, only at high loss. The owner must supply a sane
//      loss_rate from the start (a prior until reports arrive): an early 0
//      gives 2 copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "transport/arq/nack_range.h"
#include "transport/arq/retransmit_buffer.h"
#include "transport/base/min_heap.h"
#include "transport/base/time.h"

namespace hitless::arq {

struct RetransmitPolicyConfig {
  Duration latency = Duration::Milliseconds(1000);  // end-to-end budget
  double suppress_rtt_factor = 1.125;               // rule 3
  double last_chance_rtts = 1.75;                   // rule 6
  double target_residual_loss = 1e-6;
  int max_copies = 6;
  double min_loss_for_copies = 0.001;
  Duration copy_spacing = Duration::Milliseconds(1);
  // Cap, bytes/s: clamp(fraction x stream rate, min, max); max 0 = no max;
  // fraction 0 and min 0 = no cap.
  double cap_fraction_of_stream = 0.5;
  double cap_min_bytes_per_second = 125'000;  // 1 Mbit/s, also at start-up
  double cap_max_bytes_per_second = 0;
  // With a budget room: never less than this fraction of the stream rate
  // (repairs of a stream that exceeds its path still get a trickle).
  double cap_floor_fraction = 0.05;
  Duration bucket_depth = Duration::Milliseconds(50);  // burst at the cap rate
  double min_bucket_bytes = 16 * 1500;                 // room for last-chance copies
  size_t max_requests = 65536;                         // pending at once
  size_t max_seqs_per_nack = 65536;                    // examined per OnNack
};

// Who asks. kReceiver: the receiver's NACK, which it repeats until the
// packet arrives. kUnaskable: the sender's own inference of packets the
// receiver cannot know it lacks (a stream's first packets lost before any
// arrived: SenderSession::ResendLeading): nobody will ask again, so rule 6's
// copies are sent whatever the time left.
enum class NackKind : uint8_t { kReceiver, kUnaskable };

// What the owner knows about the path the retransmissions take.
struct LinkEstimate {
  Duration srtt = Duration::Milliseconds(100);
  Duration one_way = Duration::Milliseconds(50);  // usually srtt / 2
  double loss_rate = 0.0;                         // forward DATA loss, 0..1
  // How long the path's loss bursts last (mean burst length in packets x
  // the packet interval): last-chance copies are spaced at least this far
  // apart, so one burst does not take them all. Zero: independent loss.
  Duration burst_span = Duration::Zero();
};

// One datagram to resend. `bytes` points into the RetransmitBuffer: valid
// until the buffer's next Store or Expire (empty when the buffer keeps
// bookkeeping only: the owner finds the packet by `seq` where it lives).
struct Retransmission {
  int64_t seq = 0;
  Time send_time;  // original send time (the DATA header timestamp)
  std::span<const uint8_t> bytes;
  uint32_t size = 0;  // the datagram's bytes
  uint32_t copy = 0;  // 0 = first copy of this request
  uint32_t copies = 1;
};

struct RetransmitPolicyStats {
  uint64_t nack_seqs = 0;            // sequences requested (ranges expanded)
  uint64_t invalid_ranges = 0;       // count <= 0 or first out of range
  uint64_t requests = 0;             // queued
  uint64_t last_chance = 0;          // of which with more than one copy
  uint64_t retransmitted = 0;        // requests answered (first copies sent)
  uint64_t copies = 0;               // extra copies sent
  uint64_t retransmitted_bytes = 0;  // every copy
  uint64_t suppressed = 0;           // within suppress_rtt_factor x SRTT of the last retransmission
  uint64_t already_queued = 0;
  uint64_t too_late = 0;           // at NACK time
  uint64_t too_late_in_queue = 0;  // deadline check failed while pending
  uint64_t capped = 0;             // requests that waited for the cap
  uint64_t unknown_seq = 0;        // never stored, expired or evicted
  uint64_t expired_in_queue = 0;   // left the buffer while pending
  uint64_t queue_full = 0;
  uint64_t nack_overflow = 0;  // over max_seqs_per_nack in one NACK
};

class RetransmitPolicy {
 public:
  // `buffer` must outlive the policy.
  RetransmitPolicy(RetransmitPolicyConfig config, RetransmitBuffer* buffer);

  void SetLinkEstimate(const LinkEstimate& estimate) { link_ = estimate; }
  // The path's room for repairs in bytes/s (send budget - media rate), or
  // nullopt (the default) for the fixed-fraction cap of rule 5.
  void SetBudgetRoom(std::optional<double> bytes_per_second) { budget_room_ = bytes_per_second; }
  const LinkEstimate& link_estimate() const { return link_; }

  // Queues retransmission requests for every sequence of `ranges` that
  // passes rules 1-4 and decides its copy count (rule 6). Ranges may be in
  // any order and overlap; a range with count <= 0 or first outside
  // +-kMaxSeq is skipped and counted; at most max_seqs_per_nack sequences are
  // examined per call (the rest counted nack_overflow).
  void OnNack(std::span<const NackRange> ranges, Time now, NackKind kind = NackKind::kReceiver);

  // Replaces `out` with what to send now, earliest deadline first, within the
  // bandwidth cap and at most `max_packets`; requests that can no longer make
  // their deadline are dropped (counted). Returns out.size(). Spans in `out`
  // stay valid until the buffer's next Store or Expire.
  size_t PopDue(Time now, std::vector<Retransmission>& out,
                size_t max_packets = std::numeric_limits<size_t>::max());

  // When PopDue has something to send next (possibly <= the last now, if
  // PopDue stopped at max_packets); nullopt when nothing is pending.
  std::optional<Time> NextWakeup() const;

  // N = ceil(ln(target) / ln(p)) clamped to [1, max_copies] (rule 6).
  static int CopiesFor(double loss_rate, double target, int max_copies, double min_loss);

  // Current cap in bytes/s (infinity when uncapped).
  double CapBytesPerSecond(Time now) const;
  size_t pending() const { return ready_.size() + waiting_.size(); }
  const RetransmitPolicyStats& stats() const { return stats_; }

 private:
  void Consider(int64_t seq, Time now, NackKind kind);
  void Refill(Time now);
  Time Deadline(const StoredPacket& p) const { return p.send_time + config_.latency; }
  Duration CopySpacing(Time deadline, Time now, uint32_t copies_left) const;

  RetransmitPolicyConfig config_;
  RetransmitBuffer* buffer_;
  LinkEstimate link_;
  std::optional<double> budget_room_;
  // A pending request is in exactly one; both reserved for max_requests.
  MinHeap<std::pair<Time, int64_t>> ready_;    // (deadline, seq)
  MinHeap<std::pair<Time, int64_t>> waiting_;  // (not before, seq)
  double tokens_ = 0;
  double rate_ = 0;  // bytes/s at the last refill
  double depth_ = 0;
  std::optional<Time> last_refill_;
  std::optional<Time> blocked_until_;  // when the blocked head can go
  RetransmitPolicyStats stats_;
};

}  // namespace hitless::arq
