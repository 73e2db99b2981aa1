// DriftEstimator: learns the mapping from the sender's clock to the local
// clock, local_send_time(ts) = ts + offset, from (arrival, sender ts) pairs.
//
// Each sample gives d = arrival - ts = clock offset + one-way transit +
// queueing. Queueing only ever adds, so the least-queued packets tell the
// offset: the estimator keeps one robust minimum of d per window (ignoring a
// lone sample far below all others: an impossible, mis-stamped packet) and
// fits a line through the last `history_windows` minima: the Theil-Sen slope
// (median of pairwise slopes) follows a sender clock that runs fast or slow
// (ppm drift), and the intercept sits at a low quantile of the minima (the
// floor of the delay), both riding over a minority of outlying windows.
//
// offset = fitted minimum - transit estimate (the owner passes min_rtt / 2).
//
// State: the open window (its start, sample count, two smallest d), the
// history of window minima, the fit (slope, intercept), and the output offset
// as of the last Advance(now). Timers: none; windows close on the first
// Advance() or OnSample() at or after window start + `window`.
//
// Output smoothness: until the first window closes (warm-up) the offset is the
// window's running robust minimum and may step (down as quicker packets come).
// After that it moves only along the fitted slope (bounded by `max_drift`)
// plus a correction towards the fit bounded by `max_slew` per unit time, so
// release spacing stays the sender's spacing to within (max_drift + max_slew)
// and a later change of the transit estimate is slewed in, not stepped (set
// it before the first packet when the handshake already measured the RTT).
// A persistent jump of the window minima by more than `relock_threshold` for
// `relock_windows` windows in a row (a sender clock step, a rerouted path)
// re-locks: history is replaced and the offset steps once (relocks()).
//
// Accuracy (tests/unit/jitter): with 10 ms half-normal jitter at 50-100 pkt/s
// and a sender clock off by up to +-500 ppm, the mapping is within 1 ms of the
// truth from ~5 s on (a few ms before: one window's minimum is all there is),
// and stays so for an hour.
//
// Units: `ts_us` is the sender's timestamp in microseconds, unwrapped to 64
// bits by the caller; values are clamped to +-2^50 us (35 years).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "transport/base/time.h"

namespace hitless::jitter {

struct DriftEstimatorConfig {
  // Span of one minimum-of-delay window (local time).
  Duration window = Duration::Seconds(1);
  // Window minima kept for the line fit (>= 1).
  int history_windows = 30;
  // A window's smallest delay is taken as its minimum unless it is this much
  // below the second smallest: then it is a lone impossible packet (a bad
  // timestamp) and the second smallest stands.
  Duration lone_outlier_gap = Duration::Milliseconds(5);
  // The fitted line passes at this quantile of the window minima around it:
  // queueing only adds, so the lower ones are the truer ones (a quantile
  // rather than the lowest, to ride over a few outlying windows).
  double floor_quantile = 0.2;
  // Largest clock-rate difference believed, as a fraction (1e-3 = 1000 ppm).
  double max_drift = 1e-3;
  // Largest correction rate towards the fit, as a fraction of elapsed time.
  double max_slew = 1e-3;
  // How long after a packet's send time its local time is mostly asked for
  // (the jitter buffer's latency). The offset is the fit taken that long
  // ago, so a drifting clock's mapping is right when packets are released.
  Duration lag;
  // A window minimum this far off the fit is an outlier ...
  Duration relock_threshold = Duration::Milliseconds(250);
  // ... and this many outlying windows in a row re-lock the estimate.
  int relock_windows = 3;
};

class DriftEstimator {
 public:
  explicit DriftEstimator(const DriftEstimatorConfig& config = {});

  // Records one packet: `arrival` is its local arrival time, `ts_us` the
  // sender's timestamp. Feed only packets that travelled once (not
  // retransmissions, not FEC reconstructions: their delay is not the path's).
  // Advances the output to `arrival` first. Arrivals earlier than the last
  // Advance() are treated as arriving then.
  void OnSample(Time arrival, int64_t ts_us);

  // Moves the output offset forward to `now` (slewing towards the fit).
  // Calls with `now` earlier than a previous call change nothing.
  void Advance(Time now);

  // The owner's estimate of one-way transit (min_rtt / 2); 0 until known.
  // Takes effect at once during warm-up, slewed afterwards.
  void SetTransitEstimate(Duration transit);

  // Forgets everything learned (sender restart); keeps config, the transit
  // estimate and the counters.
  void Reset();

  // True once at least one sample was seen: offset() and LocalTime() answer.
  bool has_estimate() const { return has_output_; }
  // True once the first window has closed and the output is slewed.
  bool locked() const { return has_output_ && !warmup_; }

  // local clock - sender clock as of the last Advance(); nullopt before the
  // first sample.
  std::optional<Duration> offset() const;

  // Local time at which the sender stamped `ts_us`: ts + offset(). nullopt
  // before the first sample.
  std::optional<Time> LocalTime(int64_t ts_us) const;

  // d(offset)/d(local time) of the fit: about -1e-4 when the sender's clock
  // runs 100 ppm fast, +1e-4 when it runs 100 ppm slow.
  double slope() const { return slope_; }
  // Number of re-locks (persistent jumps) since construction.
  uint64_t relocks() const { return relocks_; }
  // Window minima currently in the fit.
  int history_size() const { return static_cast<int>(history_.size()); }

 private:
  struct Point {
    double x;  // local time, ns since x_ref_
    double y;  // arrival - ts, ns relative to y_ref_
  };

  void CloseWindowIfDue(Time now);
  void AddWindowMinimum(Point p);
  void Refit();
  double FitAt(double x) const { return intercept_ + slope_ * x; }
  double TargetAt(double x) const { return FitAt(x - lag_ns_) - transit_ns_; }
  Point WindowMinimum() const;
  double XOf(Time t) const;

  DriftEstimatorConfig config_;
  double transit_ns_ = 0.0;
  double lag_ns_ = 0.0;

  // References so that doubles stay small and exact enough.
  bool has_ref_ = false;
  Time x_ref_;
  int64_t y_ref_ = 0;

  // Open window.
  int window_count_ = 0;
  Time window_start_;
  Point min1_{};  // smallest d in the window
  Point min2_{};  // second smallest

  // Fit over window minima (oldest first), plus outliers awaiting re-lock.
  std::vector<Point> history_;
  std::vector<Point> outliers_;
  std::vector<double> scratch_;  // pairwise slopes / residuals, preallocated
  double slope_ = 0.0;
  double intercept_ = 0.0;

  // Output.
  bool has_output_ = false;
  bool warmup_ = true;
  double offset_ = 0.0;  // ns relative to y_ref_
  Time last_now_;
  uint64_t relocks_ = 0;
};

}  // namespace hitless::jitter
