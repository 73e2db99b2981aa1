// SendBudget: what one path can carry, estimated by the sender from the
// receiver's REPORTs, and the rate budget media + repairs + FEC must stay in.
// I/O-free: fed each REPORT with `now`, asked for figures.
//
// Signals (per REPORT: the receiver's cumulative received bytes, its send
// timestamp, and the RTT the report's echo gives):
//   - delivery rate: received-bytes difference over the receiver's own
//     timestamps, summed into windows of at least `window` (the rate the path
//     actually delivered: at a bottleneck, its capacity);
//   - queueing delay: the smallest RTT sample of the window minus the base
//     RTT, the smallest sample of the last `base_window` (kept as the minima
//     of ten sub-windows, LEDBAT style, so a route change is learned within
//     `base_window`). The minimum of a window removes jitter, which only ever
//     adds delay;
//   - a window in which nothing, or less than half of what was sent, arrived
//     is an outage, not congestion, and one in which the sender sent almost
//     nothing is idle: neither moves anything.
// Congestion: queueing delay above max(min_queue_delay, queue_delay_fraction
// x base RTT, jitter_multiple x the RTT jitter); where the jitter term sets
// the threshold, in `congestion_windows` windows in a row. The jitter term and the persistence
// matter on a jittery path: a window's minimum of a few REPORTs' RTTs stays well above the 30 s
// minimum (about 2.3 sigma for Gaussian jitter, 16 ms at +-5 ms each way,
// and now and then much more), which read as a queue cut the budget of a
// path with room to the stream's own rate (repairs capped, packets lost).
// The jitter is RFC 3550's: the mean difference of consecutive RTT samples;
// a queue that grows steadily hardly moves it and rises window after window,
// so a bottleneck is still found (0.3-0.4 s later at 83 ms of queue per
// second under that jitter, in the unit test's model). Drop-tail loss at a bottleneck always comes
// with a full queue, so this also catches loss that rises with the send rate. Budget (bytes/s),
// like the delay-based controllers for real-time media (WebRTC's GCC, draft-ietf-rmcat-gcc; SCReAM,
// RFC 8298):
//   - no congestion seen yet: `probe_headroom` x the smoothed delivery rate
//     (capacity unknown; the path has carried everything sent so far);
//   - on congestion: `decrease` x the window's delivery rate (what the
//     bottleneck delivered), then no further cut for one base RTT + window
//     (the cut must take effect first); the delivery rate at congestion is
//     the capacity estimate (smoothed over congestion events);
//   - otherwise it grows by `increase_per_second` (multiplicative), at most
//     to the capacity estimate (only a queue can prove more); the estimate
//     is forgotten after `capacity_memory` without congestion, and the
//     budget is then `probe_headroom` x the smoothed delivery rate again, so
//     a path that grew is found within that memory.
// The budget is what repairs that can still make their deadline may use
// (retransmissions, above all an outage's backlog). FEC is proactive: it
// must never be what fills a queue (that makes every packet later and FEC on
// worse than FEC off), so it gets a stricter ceiling, fec_budget():
//   - capacity known: `fec_capacity_fraction` x the capacity (below the
//     bottleneck, where no queue forms), never probing above it;
//   - capacity unknown (also before the first window): the media rate x
//     (1 + h), where the headroom h starts at `fec_initial_headroom` and
//     grows by `fec_ramp_per_second` while no queue forms, so FEC grows only
//     as fast as the path proves it carries it, and the first queue it builds
//     (a few ms, not a drop-tail queue's worth) makes the capacity known. A
//     session where FEC is the only repair (no ARQ, or no round trip left
//     for one) asks for more headroom from the start.
// Timers: none (everything moves on reports).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "transport/base/time.h"

namespace hitless::path {

struct SendBudgetConfig {
  Duration window = Duration::Milliseconds(100);
  Duration base_window = Duration::Seconds(30);
  Duration min_queue_delay = Duration::Milliseconds(10);
  double queue_delay_fraction = 0.25;
  double jitter_multiple = 4.0;
  int congestion_windows = 2;
  double decrease = 0.9;
  double increase_per_second = 0.08;
  double probe_headroom = 2.5;
  Duration capacity_memory = Duration::Seconds(30);
  double fec_capacity_fraction = 0.9;
  double fec_initial_headroom = 0.1;
  double fec_ramp_per_second = 0.25;
  // The smoothed delivery rate follows a rise at once and a fall with this
  // time constant.
  Duration rate_time_constant = Duration::Seconds(1);
};

struct SendBudgetStats {
  uint64_t windows = 0;
  uint64_t congestion_events = 0;  // budget cuts
  uint64_t outage_windows = 0;     // windows that delivered (almost) nothing
  uint64_t idle_windows = 0;       // windows in which (almost) nothing was sent
};

class SendBudget {
 public:
  explicit SendBudget(SendBudgetConfig config = {});

  // Bytes the sender put on the path (every datagram), for the outage test.
  void OnSent(uint64_t bytes) { sent_bytes_ += bytes; }

  // One REPORT: `receiver_time_us` is its header timestamp (the receiver's
  // clock), `received_bytes` its cumulative counter (mod 2^32), `rtt` the
  // sample its echo gave (if any). Reports must come in receiver order (the
  // caller drops stale ones).
  void OnReport(uint32_t receiver_time_us, uint32_t received_bytes, std::optional<Duration> rtt,
                Time now);

  // The budget in bytes/s; nullopt until the first window.
  std::optional<double> budget() const { return budget_; }
  // The ceiling for media + repairs + FEC when FEC is added (see above),
  // for a stream of `media_rate` bytes/s; while the capacity is unknown the
  // headroom is at least `min_headroom` (the owner's: more when FEC is the
  // only repair that can arrive in time).
  double fec_budget(double media_rate, Time now, double min_headroom = 0) const;
  // The path's capacity in bytes/s, when congestion has shown it recently.
  std::optional<double> capacity(Time now) const;
  // Smoothed delivery rate, bytes/s (0 before the first window).
  double delivery_rate() const { return delivery_rate_; }
  Duration queueing_delay() const { return queueing_delay_; }
  // RFC 3550-style RTT jitter (mean difference of consecutive samples).
  Duration rtt_jitter() const { return rtt_jitter_; }
  std::optional<Duration> base_rtt() const;
  // Congested in the latest window.
  bool congested() const { return congested_; }
  const SendBudgetStats& stats() const { return stats_; }

 private:
  void CloseWindow(double seconds, uint64_t bytes, Time now);
  void NoteRtt(Duration rtt, Time now);
  Duration QueueThreshold() const;
  Duration DelayThreshold() const;   // min_queue_delay, queue_delay_fraction x base
  Duration JitterThreshold() const;  // jitter_multiple x the RTT jitter
  bool JitterBound() const;          // the jitter term sets the threshold

  SendBudgetConfig config_;
  std::optional<uint32_t> last_time_us_;
  std::optional<uint32_t> last_bytes_;
  uint64_t window_bytes_ = 0;
  uint64_t window_us_ = 0;
  uint64_t sent_bytes_ = 0;
  uint64_t window_sent_start_ = 0;
  std::optional<Duration> window_min_rtt_;
  // Base RTT: the minimum of each of the last ten sub-windows.
  struct Bucket {
    Time start;
    std::optional<Duration> min;
  };
  std::array<Bucket, 10> base_{};
  size_t base_head_ = 0;
  std::optional<double> budget_;
  double delivery_rate_ = 0;
  double fec_headroom_;
  std::optional<double> capacity_;
  Time last_congestion_;
  Time hold_until_;
  Time last_window_at_;
  Duration queueing_delay_ = Duration::Zero();
  std::optional<Duration> last_rtt_;
  Duration rtt_jitter_ = Duration::Zero();
  bool congested_ = false;
  int congested_windows_ = 0;  // in a row
  SendBudgetStats stats_;
};

}  // namespace hitless::path
