// AdaptiveFecPolicy: chooses the Reed-Solomon repair count m (and the
// interleave depth) for the sender from the loss figures in the receiver's
// REPORTs, so the residual loss FEC leaves stays under a target at the lowest
// overhead, inside a cap. I/O-free; the session feeds it report differences
// and applies its decision at the next block boundary.
//
// Estimation. Report differences (packets received R, lost on the network L,
// loss events E: runs of consecutive losses) are summed into windows of at
// least `window` and `min_window_packets`, then added to two exponentially
// decaying sums of (packets, lost, events): a fast one (time constant
// `attack`) and a slow one (`decay`); each gives a loss rate lost / packets
// and a mean burst length lost / events (a ratio of sums, so windows that
// cut a burst in two do not bias it). The estimate is the slow rate, unless
// the fast rate exceeds it by more than its own sampling noise
// (2 sqrt(p (1 - p) / packets_fast) + 1 / packets_fast): a real rise is
// followed within about `attack`, a fall over a few `decay`s, and random
// fluctuation moves neither.
//
// Residual-loss model. A burst of b consecutive losses spread over I
// interleaved blocks (block j holds every I-th source) costs each block
// about c = max(1, b / I) consecutive symbols. Treating each run of c
// symbols as one unit lost independently with probability p (exact for
// b = 1; for bursts an approximation that is pessimistic when bursts are
// short), a block of n = k + m symbols has n' = round(n / c) units and
// survives m' = floor(m / c) lost units. MDS decoding rebuilds the whole
// block when at most m' units are lost; when j > m' are lost, about j c k / n
// of its k sources stay lost. The expected residual loss after FEC, per
// source, is
//   r(k, m, I) = sum_{j = m'+1}^{n'} C(n', j) p^j (1 - p)^(n' - j) min(1, j c / n),
// the binomial tail weighted by the fraction lost. The erasure-channel
// minimum for comparison is m / k = p / (1 - p); the tail asks for more
// because a block is finite.
//
// Target. `target_residual` is the loss the application may see after all
// repair. With ARQ behind FEC and A retransmission rounds before the
// deadline (SetArqRounds: A = ceil((latency - RTT/2) / RTT) - 1, the round
// trips left after the loss is detected half an RTT after sending; 0 at
// 1.5 x RTT, 3 at 4 x RTT), a packet FEC leaves is still lost only if every
// round's retransmission is lost, q = p per round (a lost NACK is repeated
// within the round: transport/arq/loss_tracker.h). FEC therefore aims at
//   r <= target_residual / p^A     (at most 0.5).
// At 4 x RTT this leaves FEC off up to about 5% random loss, where ARQ alone
// loses nothing (README's ARQ table), and turns it on above. Without ARQ (A < 0) FEC aims at
// target_residual itself and at least min_repairs is kept, so the first loss
// after a clean spell is still repaired; with ARQ the floor is 0 and FEC is
// off while ARQ alone meets the target.
//
// Block shape. A block must fill within `max_block_delay` (else it closes
// short and protects less): with the packet rate R (from the reports) a
// group spans at most S = R x max_block_delay packets. Two shapes are
// tried: I = 1 with k = min(k_max, S), and, when b >= 1.5, an interleave
// I = min(ceil(1.25 b), max_interleave, S / 4) (deep enough that c = 1
// while b wanders around an integer) with k = min(k_max, S / I). For each,
// m is the smallest value in [floor, max_overhead x k] with r <= the FEC
// target; the shape with the lower overhead m / k wins, and if neither
// reaches the target, the one with the lower r at its cap.
//
// Send budget: SetBudgetOverheadCap(c) caps m / k at c (the path's room for
// FEC beyond the media and the retransmissions, transport/path/send_budget.h);
// below 1 / k that means no FEC. FEC comes last in a short budget: repairs
// that push a full path into queueing make every packet late, so a choice
// above the cap is left at once (no hold), and the owner also withholds
// repairs the budget cannot carry.
//
// Hysteresis: when the current shape misses the target by more than a
// factor of 2 under the current estimate, the new choice takes effect at
// once; any other change only after changes the same way (cheaper or
// dearer) have been wanted for `hold`, and a cheaper one then takes the most
// protective shape wanted during the hold.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "transport/base/time.h"

namespace hitless {

struct AdaptiveFecConfig {
  int k = 20;              // k_max: most sources per block
  int max_repairs = 10;    // m cap at k_max; the overhead cap is max_repairs / k
  int max_interleave = 8;  // interleave cap (k × max_interleave <= kMaxBlockSpan)
  int min_repairs = 1;     // m floor without ARQ (0 with ARQ)
  // Loss the application may see after FEC and ARQ (see "Target").
  double target_residual = 1e-5;
  // A block group must fill within this (the encoder's max_block_delay).
  Duration max_block_delay = Duration::Milliseconds(20);
  // Assumed before the first window: start protective, then come down.
  double initial_loss = 0.05;
  double initial_burst = 1.0;
  Duration window = Duration::Milliseconds(100);
  int64_t min_window_packets = 50;
  double initial_packet_rate = 1000;  // packets/s assumed before the first window
  Duration attack = Duration::Milliseconds(500);
  Duration decay = Duration::Milliseconds(2500);
  Duration hold = Duration::Seconds(1);
};

// Ok, or InvalidArgument naming the field out of range.
[[nodiscard]] absl::Status ValidateAdaptiveFecConfig(const AdaptiveFecConfig& config);

struct FecDecision {
  int k = 1;
  int m = 0;
  int interleave = 1;
  friend bool operator==(const FecDecision&, const FecDecision&) = default;
};

// Expected residual loss per source of RS(k, m) with interleave I on a
// channel losing `loss` of the packets in bursts of mean length `burst`
// (the formula above). Exposed for tests and the README table.
double ExpectedResidualLoss(int k, int m, int interleave, double loss, double burst);

class AdaptiveFecPolicy {
 public:
  // `config` must pass ValidateAdaptiveFecConfig.
  AdaptiveFecPolicy(const AdaptiveFecConfig& config, Time now);

  // One REPORT's differences from the previous one (signed: the receiver's
  // `lost` can step back when a gap is filled by a reordered original).
  // Returns true when decision() changed.
  bool OnReport(int64_t received, int64_t lost, int64_t loss_events, Time now);
  // Retransmission rounds before the deadline (see "Target"); negative: no
  // ARQ. Takes effect at the next decision.
  void SetArqRounds(int rounds) { arq_rounds_ = rounds; }
  // The send budget's cap on m / k (see "Send budget"); infinity: none.
  void SetBudgetOverheadCap(double max_overhead) { budget_cap_ = max_overhead; }
  double budget_overhead_cap() const { return budget_cap_; }

  // The residual FEC aims at under the current estimate ("Target").
  double fec_target() const;
  double packet_rate() const { return packet_rate_; }
  const FecDecision& decision() const { return decision_; }
  double loss_estimate() const;
  double burst_estimate() const;
  int64_t windows() const { return windows_; }

 private:
  struct Average;
  FecDecision Choose() const;
  // The cheapest m for a shape meeting `target`, or the cap.
  FecDecision Shape(int k, int interleave, double target, double p, double b) const;
  const Average& Current() const;  // the average the estimate comes from

  AdaptiveFecConfig config_;
  Time window_start_;
  int64_t window_received_ = 0;
  int64_t window_lost_ = 0;
  int64_t window_events_ = 0;
  // Exponentially decaying sums.
  struct Average {
    double packets = 0;
    double lost = 0;
    double events = 0;
    void Add(double weight_kept, double p, double l, double e);
    double rate() const { return packets > 0 ? lost / packets : 0; }
  };
  Average fast_;
  Average slow_;
  int64_t windows_ = 0;
  int arq_rounds_ = -1;
  double budget_cap_ = std::numeric_limits<double>::infinity();
  double packet_rate_ = 0;  // packets per second (slow average)
  FecDecision decision_;
  // A change waiting for `hold`: since when, which way, and what to apply.
  struct Pending {
    Time since;
    bool cheaper = false;
    FecDecision choice;
  };
  std::optional<Pending> pending_;
};

}  // namespace hitless
