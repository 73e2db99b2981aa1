// The hitless-relay TOML configuration: parsing and checks.
#include "relay/relay_config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "transport/base/status_macros.h"
#include "transport/wire/handshake.h"

namespace hitless::relay {
namespace {

// Errors carry "SOURCE:LINE: problem".
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  absl::Status Error(const toml::source_region& where, std::string_view problem) const {
    if (where.begin.line == 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: %s", source_, problem));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d: %s", source_, where.begin.line, problem));
  }

  // Every key of `table` must be one of `allowed`.
  absl::Status OnlyKeys(const toml::table& table, std::string_view what,
                        std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, node] : table) {
      bool known = false;
      for (std::string_view a : allowed) known = known || key.str() == a;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed) {
          if (!list.empty()) list += ", ";
          list += a;
        }
        return Error(key.source(), absl::StrFormat("%s: unknown key \"%s\" (expected one of: %s)",
                                                   what, std::string(key.str()), list));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> String(const toml::table& t, std::string_view key,
                                                    std::string_view what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::optional<std::string>();
    if (!n->is_string()) {
      return Error(n->source(), absl::StrFormat("%s: %s must be a string", what, key));
    }
    return std::optional<std::string>(n->as_string()->get());
  }

  absl::StatusOr<std::optional<bool>> Bool(const toml::table& t, std::string_view key,
                                           std::string_view what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::optional<bool>();
    if (!n->is_boolean()) {
      return Error(n->source(), absl::StrFormat("%s: %s must be true or false", what, key));
    }
    return std::optional<bool>(n->as_boolean()->get());
  }

  absl::StatusOr<std::optional<int64_t>> Integer(const toml::table& t, std::string_view key,
                                                 std::string_view what, int64_t min,
                                                 int64_t max) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::optional<int64_t>();
    if (!n->is_integer() || n->as_integer()->get() < min || n->as_integer()->get() > max) {
      return Error(n->source(),
                   absl::StrFormat("%s: %s must be an integer in %d..%d", what, key, min, max));
    }
    return std::optional<int64_t>(n->as_integer()->get());
  }

  // "500ms", "2s" or an integer of milliseconds; within 20 ms..60 s.
  absl::StatusOr<std::optional<Duration>> Latency(const toml::table& t, std::string_view key,
                                                  std::string_view what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::optional<Duration>();
    int64_t ms = -1;
    if (n->is_integer()) {
      ms = n->as_integer()->get();
    } else if (n->is_string()) {
      absl::Duration d;
      if (absl::ParseDuration(n->as_string()->get(), &d)) ms = absl::ToInt64Milliseconds(d);
    }
    if (ms < 20 || ms > static_cast<int64_t>(kMaxLatencyMs)) {
      return Error(n->source(), absl::StrFormat("%s: %s must be a duration within 20ms..60s "
                                                "(\"500ms\", \"2s\" or an integer of ms)",
                                                what, key));
    }
    return std::optional<Duration>(Duration::Milliseconds(ms));
  }

  absl::StatusOr<std::optional<std::string>> Address(const toml::table& t, std::string_view key,
                                                     std::string_view what,
                                                     io::UdpEndpoint* resolved) const {
    auto text = String(t, key, what);
    if (!text.ok() || !text->has_value()) return text;
    auto endpoint = io::ParseEndpoint(**text);
    if (!endpoint.ok()) {
      return Error(t.get(key)->source(),
                   absl::StrFormat("%s: %s: %s", what, key, endpoint.status().message()));
    }
    if (resolved != nullptr) *resolved = *endpoint;
    return text;
  }

 private:
  std::string source_;
};

#define HITLESS_TRY(var, expr) \
  auto var = (expr);           \
  if (!var.ok()) return var.status()

absl::Status ReadStreams(const Reader& r, const toml::node& node, DaemonConfig& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return r.Error(node.source(), "stream: expected [[stream]] tables");
  }
  for (const toml::node& element : *array) {
    const toml::table& t = *element.as_table();
    RETURN_IF_ERROR(
        r.OnlyKeys(t, "[[stream]]", {"id", "publish_secret", "subscribe_secret", "latency"}));
    HITLESS_TRY(id, r.String(t, "id", "[[stream]]"));
    if (!id->has_value() || (*id)->empty() || (*id)->size() > kMaxStreamIdSize) {
      return r.Error(t.source(), absl::StrFormat("[[stream]]: id must be a string of 1..%d bytes",
                                                 kMaxStreamIdSize));
    }
    StreamConfig s;
    s.id = **id;
    const std::string what = absl::StrFormat("stream \"%s\"", s.id);
    for (const StreamConfig& other : out.relay.streams) {
      if (other.id == s.id) return r.Error(t.source(), what + " is listed twice");
    }
    HITLESS_TRY(publish, r.String(t, "publish_secret", what));
    HITLESS_TRY(subscribe, r.String(t, "subscribe_secret", what));
    HITLESS_TRY(latency, r.Latency(t, "latency", what));
    s.publish_secret = publish->value_or("");
    s.subscribe_secret = subscribe->value_or("");
    s.latency = *latency;
    out.relay.streams.push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status ReadUpstreams(const Reader& r, const toml::node& node, DaemonConfig& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return r.Error(node.source(), "upstream: expected [[upstream]] tables");
  }
  for (const toml::node& element : *array) {
    const toml::table& t = *element.as_table();
    RETURN_IF_ERROR(r.OnlyKeys(t, "[[upstream]]", {"address", "stream", "secret", "latency"}));
    UpstreamEntry e;
    HITLESS_TRY(address, r.Address(t, "address", "[[upstream]]", &e.address));
    if (!address->has_value()) {
      return r.Error(t.source(), "[[upstream]]: address = \"HOST:PORT\" is required");
    }
    HITLESS_TRY(stream, r.String(t, "stream", "[[upstream]]"));
    if (!stream->has_value() || (*stream)->empty() || (*stream)->size() > kMaxStreamIdSize) {
      return r.Error(t.source(), "[[upstream]]: stream = \"NAME\" is required");
    }
    const std::string what = absl::StrFormat("upstream %s", **address);
    HITLESS_TRY(secret, r.String(t, "secret", what));
    HITLESS_TRY(latency, r.Latency(t, "latency", what));
    e.address_text = **address;
    e.upstream.name = io::FormatEndpoint(e.address);
    e.upstream.stream_id = **stream;
    e.upstream.secret = secret->value_or("");
    if (*latency) e.upstream.latency = **latency;
    for (const UpstreamEntry& other : out.upstreams) {
      if (other.address == e.address && other.upstream.stream_id == e.upstream.stream_id) {
        return r.Error(t.source(),
                       what + " is listed twice for stream \"" + e.upstream.stream_id + "\"");
      }
    }
    out.upstreams.push_back(std::move(e));
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonConfig> Parse(const toml::table& root, const Reader& r) {
  DaemonConfig out;
  RETURN_IF_ERROR(r.OnlyKeys(root, "top level", {"relay", "limits", "stream", "upstream"}));
  std::optional<bool> open;
  if (const toml::node* n = root.get("relay")) {
    if (!n->is_table()) return r.Error(n->source(), "relay: expected a [relay] table");
    const toml::table& t = *n->as_table();
    RETURN_IF_ERROR(r.OnlyKeys(t, "[relay]", {"listen", "metrics", "latency", "open"}));
    HITLESS_TRY(listen, r.Address(t, "listen", "[relay]", nullptr));
    HITLESS_TRY(metrics, r.Address(t, "metrics", "[relay]", nullptr));
    HITLESS_TRY(latency, r.Latency(t, "latency", "[relay]"));
    HITLESS_TRY(open_value, r.Bool(t, "open", "[relay]"));
    out.listen = *listen;
    out.metrics = *metrics;
    if (*latency) out.relay.latency = **latency;
    open = *open_value;
  }
  if (const toml::node* n = root.get("limits")) {
    if (!n->is_table()) return r.Error(n->source(), "limits: expected a [limits] table");
    const toml::table& t = *n->as_table();
    RETURN_IF_ERROR(r.OnlyKeys(
        t, "[limits]",
        {"max_streams", "max_subscribers", "handshakes_per_second", "max_stream_memory_mb"}));
    RelayLimits& l = out.relay.limits;
    HITLESS_TRY(streams, r.Integer(t, "max_streams", "[limits]", 1, 100000));
    HITLESS_TRY(subscribers, r.Integer(t, "max_subscribers", "[limits]", 1, 100000));
    HITLESS_TRY(rate, r.Integer(t, "handshakes_per_second", "[limits]", 1, 1000000));
    HITLESS_TRY(memory, r.Integer(t, "max_stream_memory_mb", "[limits]", 1, 1 << 20));
    if (*streams) l.max_streams = static_cast<size_t>(**streams);
    if (*subscribers) l.max_subscribers = static_cast<size_t>(**subscribers);
    if (*rate) l.handshakes_per_second = static_cast<double>(**rate);
    if (*memory) l.max_stream_memory_bytes = static_cast<size_t>(**memory) << 20;
  }
  if (const toml::node* n = root.get("stream")) RETURN_IF_ERROR(ReadStreams(r, *n, out));
  if (const toml::node* n = root.get("upstream")) RETURN_IF_ERROR(ReadUpstreams(r, *n, out));
  out.relay.open = open.value_or(out.relay.streams.empty());
  return out;
}

}  // namespace

absl::StatusOr<DaemonConfig> ParseDaemonConfig(std::string_view text, std::string_view source) {
  const Reader reader(source);
  try {
    const toml::table root = toml::parse(text, source);
    return Parse(root, reader);
  } catch (const toml::parse_error& e) {
    return reader.Error(e.source(), std::string(e.description()));
  }
}

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error = errno;
    const std::string message = absl::StrFormat("cannot read %s: %s", path, std::strerror(error));
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().size() > (size_t{1} << 20)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: larger than 1 MiB", path));
  }
  return ParseDaemonConfig(text.str(), path);
}

}  // namespace hitless::relay
