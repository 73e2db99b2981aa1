// TOML reading shared by the model's file parsers (scenario.cc, route.cc):
// errors as "<source>:<line>:<column>: <what is wrong>", durations with a
// unit, and the [both]/[forward]/[reverse] impairment tables with their
// timelines. Private to the model library; its users compile with
// exceptions (toml++ throws on bad syntax; ParseToml catches it at once).
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"

namespace hitless::netem::internal {

std::string Where(std::string_view source, const toml::source_region& region);
absl::Status ErrorAt(std::string_view source, const toml::node& node, std::string_view message);
// Points at the key; `where` like " in [stream]"; `expected` lists the keys.
absl::Status UnknownKey(std::string_view source, const toml::key& key, std::string_view where,
                        std::string_view expected);
absl::Status ParseToml(std::string_view text, std::string_view source, toml::table& out);
absl::StatusOr<std::string> GetString(std::string_view source, const toml::node& node,
                                      std::string_view key);
// "10s", "250ms": a unit is required.
absl::StatusOr<Duration> GetDuration(std::string_view source, const toml::node& node,
                                     std::string_view key);
// The keys both/forward/reverse of `table` (sections named `prefix`.key in
// errors) -> the two directions, composed as scenario.h describes. Other
// keys are errors unless `ignore_other_keys`.
absl::Status ParseDirections(std::string_view source, const toml::table& table,
                             std::string_view prefix, bool ignore_other_keys,
                             DirectionConfig& forward, DirectionConfig& reverse);
// A file of at most 1 MiB; errors name it.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);
// "dir/name.toml" -> "name".
std::string Stem(std::string_view source);

}  // namespace hitless::netem::internal
