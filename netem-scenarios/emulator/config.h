// EmulatorConfig: everything hitless-netem needs, built from the command line.
//
// ParseCommandLine composes the impairments of both directions from, in
// order (later wins): a --scenario file, --netem, the single-value flags
// (--loss, --delay, ...), then --fwd / --rev. No state, no timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"
#include "transport/io/endpoint.h"

namespace hitless::netem {

struct EmulatorConfig {
  io::UdpEndpoint listen;
  io::UdpEndpoint target;
  DirectionConfig forward;  // client -> target
  DirectionConfig reverse;  // target -> client
  uint64_t seed = 1;        // forward link seed; reverse uses ReverseSeed(seed)
  std::string scenario_name;
  std::string stats_json_path;
  Duration status_interval = Duration::Seconds(1);
  bool quiet = false;
  size_t max_flows = 64;
  Duration idle_timeout = Duration::Seconds(60);
  size_t socket_buffer_bytes = 8 << 20;
};

// The reverse direction's seed: distinct from the forward one so the two
// directions do not lose the same packets, still a pure function of --seed.
uint64_t ReverseSeed(uint64_t seed);

struct CommandLine {
  bool help = false;  // --help: print help_text to stdout, exit 0
  std::string help_text;
  EmulatorConfig config;
};

// Parses the arguments after the program name. Every error (unknown flag,
// bad value, unreadable or invalid scenario, missing --listen/--forward) is
// an InvalidArgument/NotFound status with a one-line message naming the flag.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

}  // namespace hitless::netem
