// Route scenario files (TOML, see route.h) -> RouteScenario. Stateless.
// Errors are "<source>:<line>:<column>: <what is wrong>" (toml_parse.h).
#include "netem-scenarios/model/route.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <set>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "netem-scenarios/model/strings.h"
#include "netem-scenarios/model/toml_parse.h"
#include "transport/base/bitrate.h"
#include "transport/base/status_macros.h"

namespace hitless::netem {
namespace {

using internal::Cat;
using internal::ErrorAt;
using internal::GetDuration;
using internal::GetString;
using internal::UnknownKey;
using internal::Where;

absl::StatusOr<const toml::table*> GetTable(std::string_view source, const toml::node& node,
                                            std::string_view key) {
  const toml::table* t = node.as_table();
  if (t == nullptr)
    return ErrorAt(source, node, Cat("\"", key, "\" must be a table ([", key, "])"));
  return t;
}

// An array of tables ([[key]]).
absl::StatusOr<std::vector<const toml::table*>> GetTables(std::string_view source,
                                                          const toml::node& node,
                                                          std::string_view key) {
  const toml::array* a = node.as_array();
  if (a == nullptr) {
    return ErrorAt(source, node, Cat("\"", key, "\" must be an array of tables ([[", key, "]])"));
  }
  std::vector<const toml::table*> out;
  for (const toml::node& n : *a) {
    const toml::table* t = n.as_table();
    if (t == nullptr) return ErrorAt(source, n, Cat("[[", key, "]] entries must be tables"));
    out.push_back(t);
  }
  return out;
}

// A fraction given as "5%" or as a number 0..1.
absl::StatusOr<double> GetFraction(std::string_view source, const toml::node& node,
                                   std::string_view key) {
  std::optional<double> f;
  if (const auto* s = node.as_string()) {
    f = ParseFraction(s->get());
  } else if (const auto* d = node.as_floating_point()) {
    f = d->get();
  } else if (const auto* i = node.as_integer()) {
    f = static_cast<double>(i->get());
  }
  if (!f || *f < 0 || *f > 1) {
    return ErrorAt(source, node, Cat("\"", key, "\": expected a percentage like \"0.5%\""));
  }
  return *f;
}

absl::Status ParseStream(std::string_view source, const toml::table& t, RouteStream& out) {
  for (auto&& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "bitrate") {
      std::string text;
      if (const auto* i = node.as_integer()) {
        text = std::to_string(i->get());
      } else {
        ASSIGN_OR_RETURN(text, GetString(source, node, k));
      }
      const absl::StatusOr<uint64_t> rate = ParseBitrate(text);
      if (!rate.ok()) {
        return ErrorAt(source, node, Cat("\"bitrate\": ", rate.status().message()));
      }
      out.bitrate = *rate;
      out.bitrate_text = text;
    } else if (k == "latency") {
      ASSIGN_OR_RETURN(out.latency, GetDuration(source, node, k));
      if (out.latency < Duration::Milliseconds(20) || out.latency > Duration::Seconds(60)) {
        return ErrorAt(source, node, "\"latency\" must be 20ms..60s");
      }
    } else if (k == "fec") {
      ASSIGN_OR_RETURN(out.fec, GetString(source, node, k));
      if (out.fec.empty() || out.fec.find_first_of("&? ") != std::string::npos) {
        return ErrorAt(source, node,
                       "\"fec\": expected a hitless:// fec= value, e.g. \"rs,k=20,m=4\"");
      }
    } else if (k == "arq") {
      const auto* b = node.as_boolean();
      if (b == nullptr) return ErrorAt(source, node, "\"arq\" must be true or false");
      out.arq = b->get();
    } else if (k == "multipath") {
      ASSIGN_OR_RETURN(out.multipath, GetString(source, node, k));
      if (out.multipath != "duplicate" && out.multipath != "backup" && out.multipath != "bond") {
        return ErrorAt(source, node, "\"multipath\" must be duplicate, backup or bond");
      }
    } else {
      return UnknownKey(source, key, " in [stream]", "bitrate, latency, fec, arq or multipath");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseExpect(std::string_view source, const toml::table& t, RouteExpect& out) {
  for (auto&& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "max_residual_loss") {
      ASSIGN_OR_RETURN(out.max_residual_loss, GetFraction(source, node, k));
    } else if (k == "max_late") {
      ASSIGN_OR_RETURN(out.max_late, GetFraction(source, node, k));
    } else if (k == "max_overhead") {
      // Overhead may exceed 100% (duplicate on 3 paths is 200%).
      std::optional<double> f;
      if (const auto* s = node.as_string()) f = ParseFraction(s->get(), /*allow_above_one=*/true);
      if (!f) return ErrorAt(source, node, "\"max_overhead\": expected a percentage like \"30%\"");
      out.max_overhead = *f;
    } else if (k == "max_latency_p99") {
      ASSIGN_OR_RETURN(out.max_latency_p99, GetDuration(source, node, k));
    } else if (k == "max_loss_time") {
      ASSIGN_OR_RETURN(out.max_loss_time, GetDuration(source, node, k));
    } else {
      return UnknownKey(
          source, key, " in [expect]",
          "max_residual_loss, max_late, max_overhead, max_latency_p99 or max_loss_time");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RouteHost> ParseHost(std::string_view source, const toml::table& t) {
  RouteHost host;
  bool has_name = false, has_role = false;
  for (auto&& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "name") {
      ASSIGN_OR_RETURN(host.name, GetString(source, node, k));
      const bool ok = !host.name.empty() && host.name.size() <= 32 &&
                      std::all_of(host.name.begin(), host.name.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                      });
      if (!ok) {
        return ErrorAt(source, node,
                       "\"name\": 1-32 letters, digits, '-' or '_' (it names files and "
                       "network namespaces)");
      }
      has_name = true;
    } else if (k == "role") {
      ASSIGN_OR_RETURN(std::string role, GetString(source, node, k));
      if (role == "sender") {
        host.role = HostRole::kSender;
      } else if (role == "relay") {
        host.role = HostRole::kRelay;
      } else if (role == "receiver") {
        host.role = HostRole::kReceiver;
      } else {
        return ErrorAt(source, node, "\"role\" must be sender, relay or receiver");
      }
      has_role = true;
    } else {
      return UnknownKey(source, key, " in [[host]]", "name or role");
    }
  }
  if (!has_name || !has_role) return ErrorAt(source, t, "[[host]] needs \"name\" and \"role\"");
  return host;
}

std::string Serialize(const toml::table& t) {
  std::ostringstream out;
  out << t << "\n";
  return out.str();
}

absl::StatusOr<RouteLink> ParseLink(std::string_view source, const toml::table& t, uint64_t seed) {
  RouteLink link;
  link.where = Where(source, t.source());
  toml::table same, swapped;
  same.insert("seed", static_cast<int64_t>(seed));
  swapped.insert("seed", static_cast<int64_t>(seed));
  for (auto&& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "from") {
      ASSIGN_OR_RETURN(link.from, GetString(source, node, k));
    } else if (k == "to") {
      ASSIGN_OR_RETURN(link.to, GetString(source, node, k));
    } else if (k == "both") {
      same.insert("both", node);
      swapped.insert("both", node);
    } else if (k == "forward") {
      same.insert("forward", node);
      swapped.insert("reverse", node);
    } else if (k == "reverse") {
      same.insert("reverse", node);
      swapped.insert("forward", node);
    } else {
      return UnknownKey(source, key, " in [[link]]", "from, to, both, forward or reverse");
    }
  }
  if (link.from.empty() || link.to.empty()) {
    return ErrorAt(source, t, "[[link]] needs \"from\" and \"to\" (host names)");
  }
  RETURN_IF_ERROR(internal::ParseDirections(source, t, "link", true, link.media, link.back));
  link.netem_toml = Serialize(same);
  link.netem_toml_swapped = Serialize(swapped);
  return link;
}

absl::StatusOr<RouteEvent> ParseEvent(std::string_view source, const toml::table& t) {
  RouteEvent event;
  bool has_at = false;
  for (auto&& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "at") {
      ASSIGN_OR_RETURN(event.at, GetDuration(source, node, k));
      has_at = true;
    } else if (k == "kill") {
      ASSIGN_OR_RETURN(event.kill, GetString(source, node, k));
    } else if (k == "restart") {
      ASSIGN_OR_RETURN(event.restart, GetDuration(source, node, k));
    } else {
      return UnknownKey(source, key, " in [[event]]", "at, kill or restart");
    }
  }
  if (!has_at || event.kill.empty()) {
    return ErrorAt(source, t, "[[event]] needs \"at\" and \"kill\" (a host name)");
  }
  return event;
}

// The topology rules of route.h.
absl::Status CheckTopology(const RouteScenario& s, std::string_view source) {
  std::set<std::string> names;
  int senders = 0, receivers = 0;
  for (const RouteHost& h : s.hosts) {
    if (!names.insert(h.name).second) {
      return absl::InvalidArgumentError(Cat(source, ": two hosts are named \"", h.name, "\""));
    }
    senders += h.role == HostRole::kSender;
    receivers += h.role == HostRole::kReceiver;
  }
  if (senders != 1 || receivers < 1) {
    return absl::InvalidArgumentError(
        Cat(source, ": a route needs exactly one sender and at least one receiver ([[host]] ",
            "with role = \"sender\" / \"receiver\")"));
  }
  for (const RouteLink& l : s.links) {
    const RouteHost* from = s.Host(l.from);
    const RouteHost* to = s.Host(l.to);
    if (from == nullptr || to == nullptr) {
      return absl::InvalidArgumentError(Cat(l.where, ": [[link]] names an unknown host \"",
                                            from == nullptr ? l.from : l.to, "\""));
    }
    if (l.from == l.to) {
      return absl::InvalidArgumentError(Cat(l.where, ": a link from \"", l.from, "\" to itself"));
    }
    if (to->role == HostRole::kSender) {
      return absl::InvalidArgumentError(Cat(l.where, ": media cannot flow into the sender"));
    }
    if (from->role == HostRole::kReceiver) {
      return absl::InvalidArgumentError(Cat(l.where, ": media cannot flow out of a receiver"));
    }
  }
  for (const RouteHost& h : s.hosts) {
    if (h.role != HostRole::kRelay) continue;
    const bool in = std::any_of(s.links.begin(), s.links.end(),
                                [&](const RouteLink& l) { return l.to == h.name; });
    const bool out = std::any_of(s.links.begin(), s.links.end(),
                                 [&](const RouteLink& l) { return l.from == h.name; });
    if (!in || !out) {
      return absl::InvalidArgumentError(
          Cat(source, ": relay \"", h.name, "\" needs a link in and a link out"));
    }
  }
  // Every receiver reachable from the sender.
  std::set<std::string> seen = {s.Sender().name};
  std::deque<std::string> queue = {s.Sender().name};
  while (!queue.empty()) {
    const std::string at = queue.front();
    queue.pop_front();
    for (const RouteLink& l : s.links) {
      if (l.from == at && seen.insert(l.to).second) queue.push_back(l.to);
    }
  }
  for (const RouteHost& h : s.hosts) {
    if (h.role == HostRole::kReceiver && !seen.count(h.name)) {
      return absl::InvalidArgumentError(
          Cat(source, ": receiver \"", h.name, "\" cannot be reached from the sender"));
    }
  }
  for (const RouteEvent& e : s.events) {
    if (s.Host(e.kill) == nullptr) {
      return absl::InvalidArgumentError(
          Cat(source, ": [[event]] kills an unknown host \"", e.kill, "\""));
    }
    if (e.at >= s.duration) {
      return absl::InvalidArgumentError(
          Cat(source, ": [[event]] at ", e.at.ToMillisecondsF() / 1000,
              " s is not before the end (duration ", s.duration.ToMillisecondsF() / 1000, " s)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view HostRoleName(HostRole role) {
  switch (role) {
    case HostRole::kSender:
      return "sender";
    case HostRole::kRelay:
      return "relay";
    case HostRole::kReceiver:
      return "receiver";
  }
  return "?";
}

const RouteHost* RouteScenario::Host(std::string_view name) const {
  for (const RouteHost& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

const RouteHost& RouteScenario::Sender() const {
  for (const RouteHost& h : hosts) {
    if (h.role == HostRole::kSender) return h;
  }
  return hosts.front();  // never: the parser requires one
}

std::optional<double> ParseFraction(std::string_view text, bool allow_above_one) {
  if (text.empty()) return std::nullopt;
  double scale = 1;
  if (text.back() == '%') {
    scale = 0.01;
    text.remove_suffix(1);
  }
  const std::string number(text);
  if (number.empty() ||
      !(std::isdigit(static_cast<unsigned char>(number[0])) || number[0] == '.')) {
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(number.c_str(), &end) * scale;
  if (errno != 0 || end != number.c_str() + number.size() || !std::isfinite(v) || v < 0 ||
      (!allow_above_one && v > 1)) {
    return std::nullopt;
  }
  return v;
}

absl::StatusOr<RouteScenario> ParseRouteScenario(std::string_view toml_text,
                                                 std::string_view source) {
  toml::table root;
  RETURN_IF_ERROR(internal::ParseToml(toml_text, source, root));
  RouteScenario s;
  s.name = internal::Stem(source);
  s.file = std::string(source);
  // The seed first: links derive theirs from it, whatever the key order.
  if (const toml::node* seed = root.get("seed")) {
    const auto* i = seed->as_integer();
    if (i == nullptr || i->get() < 0) {
      return ErrorAt(source, *seed, "\"seed\" must be a non-negative integer");
    }
    s.seed = static_cast<uint64_t>(i->get());
  }
  for (auto&& [key, node] : root) {
    const std::string_view k = key.str();
    if (k == "name") {
      ASSIGN_OR_RETURN(s.name, GetString(source, node, k));
    } else if (k == "description") {
      ASSIGN_OR_RETURN(s.description, GetString(source, node, k));
    } else if (k == "seed") {
      // read above
    } else if (k == "duration") {
      ASSIGN_OR_RETURN(s.duration, GetDuration(source, node, k));
      if (s.duration < Duration::Seconds(1) || s.duration > Duration::Seconds(7 * 24 * 3600)) {
        return ErrorAt(source, node, "\"duration\" must be 1s..7 days");
      }
    } else if (k == "stream") {
      ASSIGN_OR_RETURN(const toml::table* t, GetTable(source, node, k));
      RETURN_IF_ERROR(ParseStream(source, *t, s.stream));
    } else if (k == "expect") {
      ASSIGN_OR_RETURN(const toml::table* t, GetTable(source, node, k));
      RETURN_IF_ERROR(ParseExpect(source, *t, s.expect));
    } else if (k == "host") {
      ASSIGN_OR_RETURN(auto tables, GetTables(source, node, k));
      for (const toml::table* t : tables) {
        ASSIGN_OR_RETURN(RouteHost h, ParseHost(source, *t));
        s.hosts.push_back(std::move(h));
      }
    } else if (k == "link") {
      ASSIGN_OR_RETURN(auto tables, GetTables(source, node, k));
      for (const toml::table* t : tables) {
        ASSIGN_OR_RETURN(RouteLink l, ParseLink(source, *t, s.seed + s.links.size() + 1));
        s.links.push_back(std::move(l));
      }
    } else if (k == "event") {
      ASSIGN_OR_RETURN(auto tables, GetTables(source, node, k));
      for (const toml::table* t : tables) {
        ASSIGN_OR_RETURN(RouteEvent e, ParseEvent(source, *t));
        s.events.push_back(std::move(e));
      }
    } else {
      return UnknownKey(source, key, "",
                        "name, description, seed, duration, stream, host, link, event or expect");
    }
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const RouteEvent& a, const RouteEvent& b) { return a.at < b.at; });
  RETURN_IF_ERROR(CheckTopology(s, source));
  return s;
}

absl::StatusOr<RouteScenario> LoadRouteScenarioFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, internal::ReadSmallFile(path));
  return ParseRouteScenario(text, path);
}

}  // namespace hitless::netem
