// Notices: the things a user must be told while a session runs, said at
// once and said again at most every `repeat` (never a silent black screen):
//   - latency: the configured budget cannot carry the path (the handshake's
//     RTT); the smallest budget that plays and the one at which ARQ can
//     repair, and the budget the session actually runs at;
//   - late: DATA arrived after its release time (receiver: counted here;
//     sender: from the receiver's REPORTs), with the budget that would work;
//   - capacity: the sender's send budget shows a path that carries less than
//     the media alone (we do not transcode: it can only be said);
//   - refused: a caller's packets draw ICMP port unreachable (no listener);
//   - silent: the session's peer has not been heard for over a second, or
//     its host refuses our packets (it stopped): said before the session
//     times out, while the figures would otherwise just freeze;
//   - lost: packets given up at their deadline (residual loss), with why
//     when the budget left no time to repair them (deadline nearer than a
//     round trip) and the budget that would;
//   - buffer: rate x latency outgrew a buffer's memory cap (receiver:
//     packets refused, buffer_full; sender: packets evicted before their
//     deadline, which can then not be repaired).
// Pure: Poll() reads a stats snapshot and returns the lines to print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transport/apps/stats_report.h"
#include "transport/base/time.h"

namespace hitless::apps {

class Notices {
 public:
  explicit Notices(Duration repeat = Duration::Seconds(10)) : repeat_(repeat) {}

  // New lines (without the program name) to print for `c` at `now`.
  std::vector<std::string> Poll(const StatsContext& c, Time now);

 private:
  struct Kind {
    std::optional<Time> said;
    uint64_t seen = 0;  // the counter's value when last looked at
    bool Due(Time now, Duration repeat) const { return !said || now - *said >= repeat; }
  };
  Duration repeat_;
  uint32_t session_id_ = 0;  // the session the latency notice was given for
  Kind late_, capacity_, refused_, silent_, buffer_, lost_;
};

}  // namespace hitless::apps
