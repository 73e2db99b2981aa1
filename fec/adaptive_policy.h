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
// Decision. A burst of b consecutive losses spread over I interleaved
// blocks (block j holds every I-th source) costs each block about
// c = max(1, b / I) consecutive symbols. Treating each run of c symbols as
// one unit lost independently with probability p (exact for b = 1; for
// bursts an approximation that is pessimistic when bursts are short), a
// block of n = k + m symbols has n' = round(n / c) units and survives
// m' = floor(m / c) lost units. MDS decoding rebuilds the whole block when at
// most m' units are lost; when j > m' are lost, about j c k / n of its k
// sources stay lost. The expected residual loss after FEC, per source, is
//   r(m) = sum_{j = m'+1}^{n'} C(n', j) p^j (1 - p)^(n' - j) × min(1, j c / n),
// the binomial tail weighted by the fraction lost. I = 1 for b < 1.5, else
// min(ceil(1.25 b), max_interleave) (deep enough that c = 1 while b wanders
// around an integer; deeper adds only delay), and m is the smallest value
// in [min_repairs, max_repairs] with
// r(m) <= target_residual (max_repairs if none reaches it). The erasure-
// channel minimum for comparison is m / k = p / (1 - p); the binomial tail
// asks for more because a block is finite.
//
// Hysteresis: when the current (m, I) misses the target by more than a
// factor of 2 under the current estimate, the new choice takes effect at
// once; any other change only after it has been wanted for `hold`.
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
  Duration decay = Duration::Milliseconds(2500);
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
  double burst_estimate() const;
  int64_t windows() const { return windows_; }

 private:
  struct Average;
  FecDecision Choose() const;
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
  FecDecision decision_;
  std::optional<Time> lower_since_;  // since when another choice is wanted
};

}  // namespace hitless
