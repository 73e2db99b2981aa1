// Scenario files: impairments for both directions of a link, over time, TOML.
//
//   name = "lossy-5"                  # optional, defaults to the file stem
//   description = "5% random loss, 30 ms each way"
//   seed = 1                          # optional, default 1
//   duration = "60s"                  # optional: how long a runner streams
//   [both]                            # applies to forward and reverse...
//   netem = "delay 30ms 5ms loss 5%"
//   [forward]                         # ...unless a direction overrides it
//   netem = "delay 30ms 5ms loss 10%"
//   [[forward.timeline]]              # changes over time, relative to start
//   at = "10s"
//   outage = "5s"                     # everything dropped for 5 s
//   [[forward.timeline]]
//   at = "20s"
//   netem = "delay 50ms loss 1%"      # new parameters from 20 s on
// "forward" is the direction from the emulator's listener to its target.
// A direction's netem applies on top of [both]'s. A direction's timeline is
// [both]'s entries plus its own, ordered by `at` (ties: [both] first, then
// file order); a timeline netem applies on top of the parameters in effect
// just before it. Durations need a unit ("10s", "250ms").
// Unknown keys are errors (a typo must not silently mean "no impairment").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"

namespace hitless::netem {

struct Scenario {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  std::optional<Duration> duration;
  DirectionConfig forward;
  DirectionConfig reverse;
};

// Parses TOML text; `source` names it in error messages.
absl::StatusOr<Scenario> ParseScenario(std::string_view toml_text, std::string_view source);
// Reads and parses a file; errors name the file (and line, for syntax errors).
absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path);

}  // namespace hitless::netem
