// AdaptiveFecPolicy: chooses the Reed-Solomon repair count m (and the
// interleave depth) for the sender from the loss figures in the receiver's
// REPORTs, so the residual loss FEC leaves stays under a target at the lowest
// overhead, inside a cap. I/O-free; the session feeds it report differences
// and applies its decision at the next block boundary.
//
// Estimation. Report differences (packets received R, lost on the network L,
// loss events E: runs of consecutive losses) are summed into windows of at
// least `window` and `min_window_packets`. Each window gives a loss rate
// p_w = L / (R + L) and an event rate e_w = E / (R + L). Two
// exponentially weighted averages of p_w are kept, weighted by time
// (weight 1 - exp(-dt / tau)):
//   fast (tau = `attack`)  follows a rise in loss within about a second;
//   slow (tau = `decay`)   forgets it over a few seconds;
// and p = max(fast, slow): protection rises quickly and falls back slowly,
// so a loss spell that comes and goes does not catch the encoder with its
// overhead just lowered. The mean burst length b is the larger of
// fast / (fast average of e_w) and slow / (slow average of e_w), at least 1:
// a ratio of averages, since a per-window ratio is biased by windows that
// cut a burst in two.
//
// Decision. A burst of b consecutive losses spread over I interleaved
// blocks (block j holds every I-th source) costs each block about
// c = ceil(b / I) consecutive symbols. Treating each run of c symbols as one
// unit lost independently with probability p (a unit is lost when its burst
// starts inside it: the rate of burst starts p / b times c symbols, times
// about b / c units the burst covers), a block of n = k + m symbols has
// n' = ceil(n / c) units and survives at most m' = floor(m / c) lost units.
// MDS decoding rebuilds the whole block when at most m' units are lost; when
// j > m' are lost, about j × c × k / n of its k sources stay lost. The
// expected residual loss after FEC, per source, is then
//   r(m) = sum_{j = m'+1}^{n'} C(n', j) p^j (1 - p)^(n' - j) × (j / n'),
// the binomial tail weighted by the fraction lost. I = 1 for b < 1.5, else
// min(ceil(1.25 b), max_interleave) (deep enough that c = 1 while b wanders
// around an integer; deeper adds only delay), and m is the smallest value
// in [min_repairs, max_repairs] with
// r(m) <= target_residual (max_repairs if none reaches it). The erasure-
// channel minimum for comparison is m / k = p / (1 - p); the binomial tail
// asks for more because a block is finite.
//
// Hysteresis: when the current (m, I) misses the target under the current
// estimate, the new choice takes effect at once; otherwise (a cheaper choice
// would do) only after a change has been wanted for `hold`.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "transport/base/time.h"

namespace hitless {

struct AdaptiveFecConfig {
  int k = 20;               // sources per block (fixed)
  int min_repairs = 1;      // m floor: the first loss after a clean spell is repaired
  int max_repairs = 10;     // m cap (the overhead cap is max_repairs / k)
  int max_interleave = 8;   // interleave cap (k × max_interleave <= kMaxBlockSpan)
  // Residual loss per source FEC aims at: what ARQ (if any) must still repair.
  double target_residual = 1e-3;
  double initial_loss = 0.02;     // assumed before the first window
  double initial_burst = 1.0;
  Duration window = Duration::Milliseconds(100);
  int64_t min_window_packets = 50;
  Duration attack = Duration::Milliseconds(500);
  Duration decay = Duration::Seconds(2);
  Duration hold = Duration::Seconds(1);
};

// Ok, or InvalidArgument naming the field out of range.
[[nodiscard]] absl::Status ValidateAdaptiveFecConfig(const AdaptiveFecConfig& config);

struct FecDecision {
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

  const FecDecision& decision() const { return decision_; }
  double loss_estimate() const;
  double burst_estimate() const { return burst_; }
  int64_t windows() const { return windows_; }

 private:
  FecDecision Choose() const;

  AdaptiveFecConfig config_;
  Time window_start_;
  int64_t window_received_ = 0;
  int64_t window_lost_ = 0;
  int64_t window_events_ = 0;
  double fast_;
  double slow_;
  double fast_events_;  // averages of loss events per packet
  double slow_events_;
  double burst_;
  int64_t windows_ = 0;
  FecDecision decision_;
  std::optional<Time> lower_since_;  // since when a cheaper choice is wanted
};

}  // namespace hitless
