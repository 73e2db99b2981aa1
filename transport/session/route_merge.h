// RouteMerge: one stream received over several routes (independent sessions,
// e.g. to two relays in two regions), merged SMPTE 2022-7 style into one
// output at the end-to-end budget, I/O-free.
//
// Each route is a whole receiving session of its own (handshake, loss
// tracking, NACKs to its own relay, FEC, RTT); it taps every DATA it accepts
// (original, retransmission or FEC rebuild) into the merge the moment it
// does. The first copy of a sequence wins, later copies are counted as
// duplicates; one TSBPD buffer releases the merged stream at origin time +
// latency. A route that dies (its relay killed) costs nothing while another
// carries the packets; its session restarts on its own, and the merge does
// not (the output never stops for a route's restart).
//
// Common numbering: every route carries the origin's sequence and timestamp
// (relays forward them unchanged, a publisher on several routes numbers its
// input once), but each session widens them from its own first packet, so
// the merge widens the 32-bit wire values again with its own unwrappers.
// Clock: each route's arrival is taken back to the origin by that route's
// one-way transit (its last hop's min RTT / 2 plus the hops before it, as
// its relay announces), so a switch of the mapping's route is no step; the
// mapping itself follows one route, the quickest heard lately (each route's
// transit is an estimate, and taking the smallest of every route's error
// would pull releases early).
//
// Plausibility: a packet more than kWindow sequences from the merged
// stream's highest is not of this stream's numbering (a route to a relay
// that numbers it otherwise, e.g. one that remapped a restarted publisher
// differently): it is dropped and counted (out_of_window), so it can
// neither skip nor garble the output. Only when no route has given a
// packet within the window for kResyncAfter does the merge follow the new
// numbering (resyncs): the whole stream moved.
//
// State: the unwrappers, the jitter buffer, per-route counters. Timers: the
// buffer's next release (NextWakeup).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "jitter/tsbpd_buffer.h"
#include "transport/base/serial.h"
#include "transport/base/time.h"
#include "transport/session/session_io.h"

namespace hitless::session {

struct RouteMergeConfig {
  Duration latency = Duration::Milliseconds(120);  // end-to-end budget
  size_t routes = 2;
  size_t buffer_capacity = 8192;
  size_t max_buffer_capacity = size_t{1} << 17;
  // As ReceiverConfig::release_window: each packet leaves within +-window/2
  // of its time, one wake-up for all that are due in the window.
  Duration release_window = Duration::Zero();
};

struct RouteStats {
  uint64_t packets = 0;         // DATA the route's session accepted and tapped
  uint64_t first = 0;           // of which the first copy of their sequence (used)
  uint64_t duplicates = 0;      // a copy another route (or this one) already gave
  uint64_t late = 0;            // after its release time: useless
  uint64_t repaired = 0;        // tapped packets the route repaired (ARQ or FEC)
  uint64_t repaired_first = 0;  // of which the first copy (the repair mattered)
  uint64_t out_of_window = 0;   // not of the merged stream's numbering: dropped
};

struct RouteMergeStats {
  uint64_t delivered = 0;
  uint64_t delivered_bytes = 0;
  uint64_t lost = 0;  // no route had it by its release time: residual loss
  uint64_t duplicates = 0;
  uint64_t late = 0;
  uint64_t buffer_full = 0;
  uint64_t oversized = 0;
  uint64_t resyncs = 0;  // the whole stream took a new numbering: followed
  std::vector<RouteStats> routes;
};

class RouteMerge final : private jitter::TsbpdSink {
 public:
  static constexpr int64_t kWindow = int64_t{1} << 15;
  static constexpr Duration kResyncAfter = Duration::Seconds(1);

  RouteMerge(const RouteMergeConfig& config, MediaSink* media);
  RouteMerge(const RouteMerge&) = delete;
  RouteMerge& operator=(const RouteMerge&) = delete;

  // A packet route `route` (< config.routes; others are ignored) accepted at
  // `now`. `route_transit`: that route's origin-to-here one-way transit now
  // (ReceiverSession::origin_transit()).
  void OnRoutePacket(size_t route, const StreamPacket& packet, Duration route_transit, Time now);
  // Releases what is due.
  void OnTimer(Time now);
  std::optional<Time> NextWakeup() const;

  const RouteMergeStats& stats() const { return stats_; }
  jitter::TsbpdStats buffer_stats() const { return buffer_.stats(); }
  Duration latency() const { return config_.latency; }

 private:
  // jitter::TsbpdSink
  void OnRelease(const jitter::ReleasedPacket& packet) override;
  void OnSkip(int64_t first_seq, int64_t count) override;

  RouteMergeConfig config_;
  MediaSink* media_;
  SerialUnwrapper seq_unwrapper_;
  SerialUnwrapper ts_unwrapper_;
  jitter::TsbpdBuffer buffer_;
  Time release_now_;
  std::optional<int64_t> highest_;  // merged stream's highest sequence (widened)
  Time in_window_at_;               // when a packet last fell within the window
  // The route whose arrivals feed the clock mapping: the quickest (smallest
  // transit) heard within kReferenceSilence; another takes over when it is
  // quicker by kReferenceHysteresis or the reference goes silent.
  static constexpr Duration kReferenceSilence = Duration::Milliseconds(200);
  static constexpr Duration kReferenceHysteresis = Duration::Milliseconds(5);
  struct RouteClock {
    Duration transit;
    Time heard;
  };
  std::vector<RouteClock> clocks_;
  std::optional<size_t> reference_;
  RouteMergeStats stats_;
};

}  // namespace hitless::session
