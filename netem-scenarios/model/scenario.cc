// Scenario files (TOML, see scenario.h) -> Scenario. Stateless.
//
// toml++ reports syntax errors by exception; ParseToml is the only function
// that lets one happen, and converts it to a Status at once. Everything else
// walks the parsed tree and returns errors of the form
//   "<source>:<line>:<column>: <what is wrong>".
//
// Composition rules (documented in scenario.h):
//  - a direction's `netem` applies on top of [both]'s netem;
//  - a direction's timeline is [both]'s entries plus its own, ordered by `at`
//    (ties: [both] first, then file order); each timeline `netem` applies on
//    top of the parameters in effect just before it.
#include "netem-scenarios/model/scenario.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/model/strings.h"
#include "netem-scenarios/model/toml_parse.h"
#include "transport/base/status_macros.h"

namespace hitless::netem {
namespace internal {

std::string Where(std::string_view source, const toml::source_region& region) {
  return Cat(source, ":", region.begin.line, ":", region.begin.column);
}

absl::Status ErrorAt(std::string_view source, const toml::node& node, std::string_view message) {
  return absl::InvalidArgumentError(Cat(Where(source, node.source()), ": ", message));
}

// Unknown keys point at the key itself, not at its value.
absl::Status UnknownKey(std::string_view source, const toml::key& key, std::string_view where,
                        std::string_view expected) {
  return absl::InvalidArgumentError(Cat(Where(source, key.source()), ": unknown key \"", key.str(),
                                        "\"", where, " (expected ", expected, ")"));
}

// The only place exceptions exist: toml++ throws parse_error on bad syntax.
absl::Status ParseToml(std::string_view text, std::string_view source, toml::table& out) {
  try {
    out = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        Cat(Where(source, e.source()), ": TOML syntax error: ", e.description()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(std::string_view source, const toml::node& node,
                                      std::string_view key) {
  const auto* s = node.as_string();
  if (s == nullptr) {
    return ErrorAt(source, node, Cat("\"", key, "\" must be a string"));
  }
  return s->get();
}

// Scenario durations need a unit ("10s"): a bare number would mean
// microseconds in tc's vocabulary, a likely surprise in a file.
absl::StatusOr<Duration> GetDuration(std::string_view source, const toml::node& node,
                                     std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, GetString(source, node, key));
  absl::StatusOr<Duration> d = ParseNetemDuration(text);
  if (!d.ok() || text.empty() || !std::isalpha(static_cast<unsigned char>(text.back()))) {
    return ErrorAt(
        source, node,
        Cat("\"", key, "\": expected a duration like \"10s\" or \"250ms\", got \"", text, "\""));
  }
  return *d;
}

struct RawEvent {
  Duration at;
  bool is_outage = false;
  Duration outage;
  std::string netem;
  std::string where;  // location of the netem value, for errors
};

struct RawDirection {
  std::string netem;
  std::string netem_where;
  std::vector<RawEvent> timeline;
};

absl::Status ParseTimelineEntry(std::string_view source, const toml::table& entry,
                                std::string_view section, RawEvent& event) {
  bool has_at = false;
  bool has_netem = false;
  for (auto&& [key, node] : entry) {
    const std::string_view k = key.str();
    if (k == "at") {
      ASSIGN_OR_RETURN(event.at, GetDuration(source, node, k));
      has_at = true;
    } else if (k == "outage") {
      ASSIGN_OR_RETURN(event.outage, GetDuration(source, node, k));
      event.is_outage = true;
    } else if (k == "netem") {
      ASSIGN_OR_RETURN(event.netem, GetString(source, node, k));
      event.where = Where(source, node.source());
      has_netem = true;
    } else {
      return UnknownKey(source, key, Cat(" in [[", section, ".timeline]]"), "at, outage or netem");
    }
  }
  if (!has_at) {
    return ErrorAt(source, entry, Cat("[[", section, ".timeline]] entry needs \"at\""));
  }
  if (has_netem == event.is_outage) {
    return ErrorAt(
        source, entry,
        Cat("[[", section, ".timeline]] entry needs exactly one of \"outage\" or \"netem\""));
  }
  return absl::OkStatus();
}

absl::Status ParseDirection(std::string_view source, const toml::node& node,
                            std::string_view section, RawDirection& out) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return ErrorAt(source, node, Cat("\"", section, "\" must be a table"));
  for (auto&& [key, value] : *table) {
    const std::string_view k = key.str();
    if (k == "netem") {
      ASSIGN_OR_RETURN(out.netem, GetString(source, value, k));
      out.netem_where = Where(source, value.source());
    } else if (k == "timeline") {
      const toml::array* entries = value.as_array();
      if (entries == nullptr) {
        return ErrorAt(source, value,
                       Cat("\"timeline\" must be an array of tables ([[", section, ".timeline]])"));
      }
      for (const toml::node& entry : *entries) {
        const toml::table* t = entry.as_table();
        if (t == nullptr) {
          return ErrorAt(source, entry, "timeline entries must be tables");
        }
        RawEvent event;
        RETURN_IF_ERROR(ParseTimelineEntry(source, *t, section, event));
        out.timeline.push_back(std::move(event));
      }
    } else {
      return UnknownKey(source, key, Cat(" in [", section, "]"), "netem or timeline");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ImpairmentParams> ApplySpec(const std::string& spec, const std::string& where,
                                           const ImpairmentParams& base) {
  absl::StatusOr<ImpairmentParams> p = ParseNetemSpec(spec, base);
  if (!p.ok()) {
    return absl::InvalidArgumentError(Cat(where, ": netem: ", p.status().message()));
  }
  return p;
}

absl::StatusOr<DirectionConfig> BuildDirection(const RawDirection& both, const RawDirection& dir) {
  DirectionConfig config;
  ASSIGN_OR_RETURN(config.params, ApplySpec(both.netem, both.netem_where, {}));
  ASSIGN_OR_RETURN(config.params, ApplySpec(dir.netem, dir.netem_where, config.params));

  std::vector<const RawEvent*> events;
  for (const RawEvent& e : both.timeline) events.push_back(&e);
  for (const RawEvent& e : dir.timeline) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(),
                   [](const RawEvent* a, const RawEvent* b) { return a->at < b->at; });
  ImpairmentParams current = config.params;
  for (const RawEvent* e : events) {
    TimelineEvent event;
    event.at = e->at;
    if (e->is_outage) {
      event.kind = TimelineEvent::Kind::kOutage;
      event.duration = e->outage;
    } else {
      event.kind = TimelineEvent::Kind::kSetParams;
      ASSIGN_OR_RETURN(current, ApplySpec(e->netem, e->where, current));
      event.params = current;
    }
    config.timeline.push_back(std::move(event));
  }
  return config;
}

absl::Status ParseDirections(std::string_view source, const toml::table& table,
                             std::string_view prefix, bool ignore_other_keys,
                             DirectionConfig& forward, DirectionConfig& reverse) {
  RawDirection both, fwd, rev;
  for (auto&& [key, node] : table) {
    const std::string_view k = key.str();
    const std::string section = prefix.empty() ? std::string(k) : Cat(prefix, ".", k);
    if (k == "both") {
      RETURN_IF_ERROR(ParseDirection(source, node, section, both));
    } else if (k == "forward") {
      RETURN_IF_ERROR(ParseDirection(source, node, section, fwd));
    } else if (k == "reverse") {
      RETURN_IF_ERROR(ParseDirection(source, node, section, rev));
    } else if (!ignore_other_keys) {
      return UnknownKey(source, key, prefix.empty() ? "" : Cat(" in [", prefix, "]"),
                        "both, forward or reverse");
    }
  }
  ASSIGN_OR_RETURN(forward, BuildDirection(both, fwd));
  ASSIGN_OR_RETURN(reverse, BuildDirection(both, rev));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    return absl::NotFoundError(Cat(path, ": cannot open: ", std::strerror(err)));
  }
  constexpr size_t kMaxSize = 1 << 20;  // scenario files are small
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    text.append(buffer, n);
    if (text.size() > kMaxSize) {
      std::fclose(f);
      return absl::InvalidArgumentError(Cat(path, ": larger than 1 MiB"));
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(Cat(path, ": read error"));
  return text;
}

std::string Stem(std::string_view source) {
  const size_t slash = source.find_last_of('/');
  if (slash != std::string_view::npos) source.remove_prefix(slash + 1);
  const size_t dot = source.rfind('.');
  if (dot != std::string_view::npos && dot > 0) source = source.substr(0, dot);
  return std::string(source);
}

}  // namespace internal

using internal::ErrorAt;
using internal::GetDuration;
using internal::GetString;
using internal::ParseToml;
using internal::Stem;
using internal::UnknownKey;

absl::StatusOr<Scenario> ParseScenario(std::string_view toml_text, std::string_view source) {
  toml::table root;
  RETURN_IF_ERROR(ParseToml(toml_text, source, root));

  Scenario scenario;
  scenario.name = Stem(source);
  for (auto&& [key, node] : root) {
    const std::string_view k = key.str();
    if (k == "name") {
      ASSIGN_OR_RETURN(scenario.name, GetString(source, node, k));
    } else if (k == "description") {
      ASSIGN_OR_RETURN(scenario.description, GetString(source, node, k));
    } else if (k == "seed") {
      const auto* seed = node.as_integer();
      if (seed == nullptr || seed->get() < 0) {
        return ErrorAt(source, node, "\"seed\" must be a non-negative integer");
      }
      scenario.seed = static_cast<uint64_t>(seed->get());
    } else if (k == "duration") {
      ASSIGN_OR_RETURN(scenario.duration, GetDuration(source, node, k));
    } else if (k != "both" && k != "forward" && k != "reverse") {
      return UnknownKey(source, key, "",
                        "name, description, seed, duration, both, forward or reverse");
    }
  }
  RETURN_IF_ERROR(
      internal::ParseDirections(source, root, "", true, scenario.forward, scenario.reverse));
  return scenario;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, internal::ReadSmallFile(path));
  return ParseScenario(text, path);
}

}  // namespace hitless::netem
