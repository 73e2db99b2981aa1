// Latency feasibility: the smallest end-to-end budget a path allows.
//
// The receiver releases each packet at its sender timestamp + latency, on a
// clock mapped with a transit estimate of RTT / 2 (jitter/tsbpd_buffer.h).
// A budget at or below that transit plays nothing: every packet is late. So
// the smallest budget that plays is
//   play = RTT / 2 + margin,   margin = max(20 ms, RTT / 4),
// where 20 ms covers the handshake's RTT sample error, timer granularity and
// the jitter of an ordinary internet path, and RTT / 4 covers the delay
// variation (and forward/return asymmetry) that grows with a path's length.
// For retransmission to repair a loss at all, the budget must also cover one
// more round trip (the NACK and the answer):
//   repair = play + RTT.
// Both are rounded up to whole milliseconds (the handshake carries ms).
// Pure functions; the callers are the handshake (the caller raises its offer
// to `play` unless told to be strict) and the notices that tell the user.
#pragma once

#include <algorithm>

#include "transport/base/time.h"

namespace hitless {

inline constexpr Duration kLatencyFloorMargin = Duration::Milliseconds(20);

struct LatencyFloor {
  Duration play;    // below this nothing plays
  Duration repair;  // below this ARQ cannot repair a loss in time
};

inline Duration CeilToMillisecond(Duration d) {
  const int64_t ms = (d.ToNanoseconds() + 999'999) / 1'000'000;
  return Duration::Milliseconds(std::max<int64_t>(ms, 0));
}

inline LatencyFloor LatencyFloorFor(Duration rtt) {
  rtt = std::max(rtt, Duration::Zero());
  const Duration play = rtt / 2 + std::max(kLatencyFloorMargin, rtt / 4);
  return LatencyFloor{.play = CeilToMillisecond(play), .repair = CeilToMillisecond(play + rtt)};
}

}  // namespace hitless
