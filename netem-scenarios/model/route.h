// Route scenarios (TOML): a whole contribution route for hitless-scenario,
// the hosts on it, the impaired links between them, what happens over time,
// the stream, and what must hold for the run to pass.
//
//   name = "broadband-relay"           # optional, defaults to the file stem
//   description = "..."               # what real link this stands for
//   seed = 1                          # impairment seed (each link adds its index)
//   duration = "30s"                  # how long the source streams
//
//   [stream]
//   bitrate = "10M"                   # gen:// source rate (bits/s, k/M/G)
//   latency = "500ms"                 # end-to-end budget
//   fec = "none"                      # hitless:// fec= vocabulary
//   arq = true
//   multipath = "duplicate"           # duplicate|backup|bond; with 2+ links from
//                                     # the sender to the same next host
//
//   [[host]]                          # exactly one sender, one or more
//   name = "venue"                    # receivers, any number of relays
//   role = "sender"                   # sender | relay | receiver
//
//   [[link]]                          # media flows from -> to; several links
//   from = "venue"                    # between the same two hosts are paths
//   to = "cloud"                      # of one session (multipath)
//   [link.both]                       # the impairment, exactly as in a
//   netem = "delay 30ms 5ms loss 2%"  # hitless-netem scenario file (scenario.h):
//   [[link.both.timeline]]            # [link.forward] is the media direction,
//   at = "10s"                        # [link.reverse] the way back (NACKs,
//   outage = "5s"                     # reports)
//
//   [[event]]                         # processes killed (SIGKILL) at a time,
//   at = "12s"                        # and started again `restart` later
//   kill = "cloud"
//   restart = "2s"                    # optional: stays down without it
//
//   [expect]                          # each optional; the run fails if one
//   max_residual_loss = "0%"          # does not hold: lost / sent, per receiver
//   max_late = "0%"                   # packets released after their deadline
//   max_overhead = "30%"              # sender bytes out / media bytes - 1
//   max_latency_p99 = "510ms"         # end-to-end delay of the 99th percentile
//   max_loss_time = "3s"              # stream time lost: lost x packet interval
//
// Topology rules, checked here: the links form a graph in which every
// receiver is reachable from the sender, each relay has a way in and a way
// out, a receiver has no way out and the sender no way in; a relay that
// receives from another relay pulls from it (an upstream).
// Unknown keys are errors, named with file, line and column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"

namespace hitless::netem {

enum class HostRole : uint8_t { kSender, kRelay, kReceiver };
std::string_view HostRoleName(HostRole role);

struct RouteHost {
  std::string name;
  HostRole role = HostRole::kRelay;
};

struct RouteLink {
  std::string from;  // media flows from -> to
  std::string to;
  DirectionConfig media;  // from -> to
  DirectionConfig back;   // to -> from
  // The link's own tables, as a hitless-netem scenario file whose
  // "forward" is the media direction (the runner swaps forward/reverse when
  // the receiving side is the one that calls).
  std::string netem_toml;
  std::string netem_toml_swapped;  // forward and reverse exchanged
  std::string where;               // "file:line:col" of the [[link]]
};

struct RouteEvent {
  Duration at;
  std::string kill;  // host name
  std::optional<Duration> restart;
};

struct RouteStream {
  uint64_t bitrate = 10'000'000;
  std::string bitrate_text = "10M";
  Duration latency = Duration::Milliseconds(500);
  std::string fec = "none";
  bool arq = true;
  std::string multipath = "duplicate";
};

struct RouteExpect {
  std::optional<double> max_residual_loss;  // fraction
  std::optional<double> max_late;           // fraction
  std::optional<double> max_overhead;       // fraction
  std::optional<Duration> max_latency_p99;
  std::optional<Duration> max_loss_time;  // lost packets x the packet interval
};

struct RouteScenario {
  std::string name;
  std::string description;
  std::string file;
  uint64_t seed = 1;
  Duration duration = Duration::Seconds(30);
  RouteStream stream;
  std::vector<RouteHost> hosts;
  std::vector<RouteLink> links;
  std::vector<RouteEvent> events;  // ordered by `at`
  RouteExpect expect;

  const RouteHost* Host(std::string_view name) const;
  const RouteHost& Sender() const;  // exactly one (checked by the parser)
};

// Parses TOML text; `source` names it in error messages.
absl::StatusOr<RouteScenario> ParseRouteScenario(std::string_view toml_text,
                                                 std::string_view source);
// Reads and parses a file; errors name the file, line and column.
absl::StatusOr<RouteScenario> LoadRouteScenarioFile(const std::string& path);

// "5%", "0.1%", "0" -> fraction 0..1 (a bare number is a fraction); above
// 1 only with `allow_above_one` ("200%").
std::optional<double> ParseFraction(std::string_view text, bool allow_above_one = false);

}  // namespace hitless::netem
