// Parsing of impairments written in `tc netem` vocabulary.
//
// ParseNetemSpec reads the argument list of `tc qdisc ... netem`, e.g.
//   "delay 30ms 5ms 25% distribution normal loss random 5% reorder 25% 50%
//    gap 5 duplicate 1% corrupt 0.1% rate 10mbit limit 1000"
//   "loss gemodel 1% 10% 70% 0.1%"
// Every error names the offending token and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"

namespace hitless::netem {

// Applies the spec on top of `base` (keywords not mentioned keep base's value).
absl::StatusOr<ImpairmentParams> ParseNetemSpec(std::string_view spec,
                                                const ImpairmentParams& base = {});

// "30ms", "1.5s", "200us", "10" (bare numbers are microseconds, as in tc).
absl::StatusOr<Duration> ParseNetemDuration(std::string_view text);
// "5%", "0.5%", and (as tc accepts) a bare fraction "0.05". Range [0, 1].
absl::StatusOr<double> ParseNetemPercent(std::string_view text);
// tc rate units: "bit", "kbit", "mbit", "gbit" (SI), "bps"/"kbps"/"mbps"
// (bytes/s), case-insensitive; bare numbers are bits/s.
absl::StatusOr<uint64_t> ParseNetemRate(std::string_view text);

// The inverse of ParseNetemSpec (canonical form, for logs and JSON).
std::string FormatNetemSpec(const ImpairmentParams& params);

}  // namespace hitless::netem
