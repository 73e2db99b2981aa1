// Status line and JSON stats of hitless-send / hitless-recv.
//
// Both are built from one snapshot of the driver, the connection and its
// session, and the media endpoint. Counters are cumulative; the status line
// shows rates over the last interval. The JSON names every drop reason, so a
// user can tell apart: lost on the network and repaired (ARQ), arrived too
// late, abandoned at the deadline (the only true loss), duplicate, malformed,
// unknown session — and the deadline margin left when repairs arrived.
// A multipath session adds each path's health and counters (sender: state,
// RTT, loss, what was scheduled on it, the last failover; receiver: what
// arrived on it, duplicates across paths).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "transport/base/time.h"
#include "transport/endpoints/media.h"
#include "transport/io/connection_driver.h"
#include "transport/mpegts/ts_health.h"
#include "transport/session/route_merge.h"

namespace hitless::apps {

struct StatsContext {
  const char* program = "";
  const io::ConnectionDriver* driver = nullptr;
  const endpoints::InputStats* input = nullptr;    // hitless-send's media input
  const endpoints::OutputStats* output = nullptr;  // hitless-recv's media output
  const mpegts::TsHealth* ts = nullptr;            // hitless-recv: the output's TS health
  // Since the program started; now - elapsed is that start, from which the
  // JSON's event times (e.g. the last multipath failover) are counted.
  Duration elapsed;
  Time now;  // for time-dependent figures (reorder tolerance, last heard)
  // What this side was configured with (the session may run at more).
  Duration configured_latency;
  // The address a caller calls, for messages ("" for a listener).
  std::string remote;
};

// One line for a terminal (no newline).
class StatusLine {
 public:
  std::string Render(const StatsContext& context, Time now);

 private:
  std::optional<Time> last_;
  uint64_t last_bytes_ = 0;
};

// The full counters as one JSON object (newline-terminated).
std::string StatsJson(const StatsContext& context);

// Several routes (hitless-recv subscribed to several relays, hitless-send
// publishing to several): the merged figures in one status segment.
std::string RouteMergeStatus(const session::RouteMerge& merge);
// One JSON object: {"program", "elapsed_s", "routes": [each route's
// StatsJson], "merge": {...} (a receiver), "input"/"output"}. `context`
// gives the program, elapsed time and media endpoint.
std::string RoutesJson(const StatsContext& context, const std::vector<std::string>& routes,
                       const session::RouteMerge* merge);

}  // namespace hitless::apps
