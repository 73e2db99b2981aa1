// Implements url.h.
#include "transport/endpoints/url.h"

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "transport/base/status_macros.h"
#include "transport/endpoints/query.h"

namespace hitless::endpoints {
namespace {

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxStreamLength = 512;
constexpr uint64_t kMinSocketBuffer = 1024;
constexpr uint64_t kMaxSocketBuffer = uint64_t{1} << 30;
constexpr std::string_view kSchemes =
    "udp://HOST:PORT, file:///path, -, gen://, verify://, hitless://HOST:PORT or srt://HOST:PORT";

// Builds every error of this file: the URL (secrets redacted: the message
// is printed and may be logged), then the problem.
class ErrorContext {
 public:
  explicit ErrorContext(std::string_view url) : url_(url) {}
  template <typename... Args>
  absl::Status Error(const Args&... args) const {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint URL \"", QuoteForMessage(RedactSecrets(url_)), "\": ", args...));
  }
  // Re-wraps a helper's error (query.h) under this URL, naming the key.
  absl::Status Wrap(std::string_view key, const absl::Status& status) const {
    if (key.empty()) return Error(status.message());
    return Error(Av(key), "=", status.message());
  }

 private:
  std::string_view url_;
};

struct HostPort {
  std::string host;  // brackets removed
  uint16_t port = 0;
  bool at = false;  // written with a leading '@'
};

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool IsWildcard(std::string_view host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

bool IsNumericAddress(std::string_view text) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(text), ec);
  return !ec;
}

// "[@]host:port", "[@][v6]:port", "[@]:port". The host may be empty here;
// the caller decides whether that is allowed.
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, const ErrorContext& ctx) {
  HostPort out;
  if (!text.empty() && text.front() == '@') {
    out.at = true;
    text.remove_prefix(1);
  }
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    return ctx.Error("unexpected path \"", QuoteForMessage(text.substr(slash)),
                     "\" after HOST:PORT");
  }
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return ctx.Error("'[' without a closing ']'");
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view after = text.substr(close + 1);
    if (after.empty() || after.front() != ':')
      return ctx.Error("missing :PORT after [", Av(out.host), "]");
    port_text = after.substr(1);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(out.host, ec);
    if (ec) return ctx.Error("\"", QuoteForMessage(out.host), "\" is not an IPv6 address");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return ctx.Error("missing :PORT (expected HOST:PORT)");
    const std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return ctx.Error("write IPv6 addresses in brackets: [addr]:port");
    }
    if (host.size() > kMaxHostLength) return ctx.Error("host name longer than 253 characters");
    for (char c : host) {
      if (!IsHostNameChar(c)) {
        return ctx.Error("host \"", QuoteForMessage(host),
                         "\" may only hold letters, digits, '.', '-' and '_'");
      }
    }
    out.host = std::string(host);
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty()) return ctx.Error("missing port number after ':'");
  auto port = ParseDecimal(port_text, 0, 65535);
  if (!port.ok()) {
    return ctx.Error("port \"", QuoteForMessage(port_text), "\" is not a number in 0..65535");
  }
  out.port = static_cast<uint16_t>(*port);
  return out;
}

absl::StatusOr<UdpSpec> ParseUdp(std::string_view authority, const QueryParams& params, Role role,
                                 const ErrorContext& ctx) {
  UdpSpec spec;
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(authority, ctx));
  if (role == Role::kOutput) {
    if (hp.at)
      return ctx.Error(
          "'@' marks a local address to listen on; an output needs a destination HOST:PORT");
    if (IsWildcard(hp.host))
      return ctx.Error("an output needs a destination host, not \"", Av(hp.host), "\"");
    if (hp.port == 0) return ctx.Error("an output needs a destination port in 1..65535");
  }
  spec.host = std::move(hp.host);
  spec.port = hp.port;
  for (const auto& [key, value] : params) {
    if (key == "iface") {
      if (!IsNumericAddress(value)) {
        return ctx.Error("iface=\"", QuoteForMessage(value),
                         "\" is not a numeric IP address of a local interface");
      }
      spec.iface = value;
    } else if (key == "ttl" && role == Role::kOutput) {
      auto ttl = ParseDecimal(value, 0, 255);
      if (!ttl.ok()) return ctx.Wrap(key, ttl.status());
      spec.ttl = static_cast<int>(*ttl);
    } else if (key == "rcvbuf" && role == Role::kInput) {
      auto bytes = ParseByteSize(value, kMinSocketBuffer, kMaxSocketBuffer);
      if (!bytes.ok()) return ctx.Wrap(key, bytes.status());
      spec.rcvbuf = *bytes;
    } else if (key == "sndbuf" && role == Role::kOutput) {
      auto bytes = ParseByteSize(value, kMinSocketBuffer, kMaxSocketBuffer);
      if (!bytes.ok()) return ctx.Wrap(key, bytes.status());
      spec.sndbuf = *bytes;
    } else {
      return ctx.Error("unknown key \"", Av(key), "\" for a udp ", RoleName(role), " (accepted: ",
                       role == Role::kInput ? "iface, rcvbuf" : "iface, ttl, sndbuf", ")");
    }
  }
  return spec;
}

absl::StatusOr<FileSpec> ParseFile(std::string_view rest, const QueryParams& params, Role role,
                                   const ErrorContext& ctx) {
  if (absl::StartsWith(Av(rest), "localhost/")) rest.remove_prefix(9);
  if (rest.empty() || rest.front() != '/') {
    return ctx.Error("a file URL needs an absolute path: file:///abs/path");
  }
  auto path = PercentDecode(rest);
  if (!path.ok()) return ctx.Wrap("", path.status());
  FileSpec spec;
  spec.path = *std::move(path);
  for (const auto& [key, value] : params) {
    if (key == "rate" && role == Role::kInput) {
      auto rate = ParseBitrate(value);
      if (!rate.ok()) return ctx.Wrap(key, rate.status());
      spec.rate_bps = *rate;
    } else {
      return ctx.Error("unknown key \"", Av(key), "\" for a file ", RoleName(role),
                       role == Role::kInput ? " (accepted: rate)" : " (it takes none)");
    }
  }
  return spec;
}

absl::StatusOr<GenSpec> ParseGen(const QueryParams& params, const ErrorContext& ctx) {
  GenSpec spec;
  for (const auto& [key, value] : params) {
    if (key == "bitrate") {
      auto rate = ParseBitrate(value);
      if (!rate.ok()) return ctx.Wrap(key, rate.status());
      spec.bitrate_bps = *rate;
    } else if (key == "duration") {
      auto d = ParseDurationText(value);
      if (!d.ok()) return ctx.Wrap(key, d.status());
      spec.duration = *d;
    } else if (key == "size") {
      auto size = ParseDecimal(value, kMinGenSize, kMaxGenSize);
      if (!size.ok()) return ctx.Wrap(key, size.status());
      spec.size = static_cast<size_t>(*size);
    } else if (key == "id") {
      auto id = ParseDecimal(value, 0, 0xFFFFFFFF);
      if (!id.ok()) return ctx.Wrap(key, id.status());
      spec.stream_id = static_cast<uint32_t>(*id);
    } else {
      return ctx.Error("unknown key \"", Av(key),
                       "\" for gen:// (accepted: bitrate, duration, size, id)");
    }
  }
  return spec;
}

absl::StatusOr<VerifySpec> ParseVerify(const QueryParams& params, const ErrorContext& ctx) {
  VerifySpec spec;
  for (const auto& [key, value] : params) {
    if (key != "report") {
      return ctx.Error("unknown key \"", Av(key), "\" for verify:// (accepted: report)");
    }
    if (value.empty()) return ctx.Error("report= needs a file name");
    spec.report_path = value;
  }
  return spec;
}

absl::StatusOr<HitlessSpec> ParseHitless(std::string_view authority, const QueryParams& params,
                                         const ErrorContext& ctx) {
  HitlessSpec spec;
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(authority, ctx));
  const bool local = hp.at || IsWildcard(hp.host);
  spec.mode = local ? HitlessMode::kListener : HitlessMode::kCaller;
  for (const auto& [key, value] : params) {
    if (key == "mode") {
      if (value == "caller") {
        spec.mode = HitlessMode::kCaller;
      } else if (value == "listener") {
        spec.mode = HitlessMode::kListener;
      } else {
        return ctx.Error("mode=\"", QuoteForMessage(value), "\": expected caller or listener");
      }
    } else if (key == "latency") {
      // A bare number is milliseconds, as in srt-live-transmit's URLs
      // (latency=120), so a pasted SRT setting means what its user meant.
      const bool bare = !value.empty() && value.size() <= 9 &&
                        value.find_first_not_of("0123456789") == std::string::npos;
      auto latency = ParseDurationText(bare ? value + "ms" : value);
      if (!latency.ok()) return ctx.Wrap(key, latency.status());
      if (*latency < kMinHitlessLatency || *latency > kMaxHitlessLatency) {
        return ctx.Error("latency=", Av(value), " is outside 20ms..60s");
      }
      spec.latency = *latency;
    } else if (key == "stream" || key == "streamid") {  // streamid: as SRT users type it
      if (value.size() > kMaxStreamLength) return ctx.Error("stream= is longer than 512 bytes");
      spec.stream = value;
    } else {
      spec.options.emplace(key, value);
    }
  }
  if (spec.mode == HitlessMode::kCaller) {
    if (local) return ctx.Error("mode=caller needs a remote HOST (not empty, '@' or a wildcard)");
    if (hp.port == 0) return ctx.Error("mode=caller needs a remote port in 1..65535");
  }
  spec.host = std::move(hp.host);
  spec.port = hp.port;
  return spec;
}

// "120" (ms, as srt-live-transmit counts) or "120ms" / "0.5s", within
// [min, max]. ffmpeg's srt:// counts latency in microseconds: a value that
// only makes sense as µs gets a hint.
absl::StatusOr<Duration> ParseMilliseconds(std::string_view key, std::string_view value,
                                           Duration min, Duration max, const ErrorContext& ctx) {
  const bool bare = !value.empty() && value.size() <= 12 &&
                    value.find_first_not_of("0123456789") == std::string_view::npos;
  // A bare 0 is a value here (latency=0); ParseDurationText wants > 0.
  const bool zero = bare && value.find_first_not_of('0') == std::string_view::npos;
  auto d = zero ? absl::StatusOr<Duration>(Duration::Zero())
                : ParseDurationText(bare ? std::string(value) + "ms" : std::string(value));
  if (!d.ok()) return ctx.Wrap(key, d.status());
  if (*d < min || *d > max) {
    const bool micro_hint = bare && *d > max && *d / 1000 <= max;
    return ctx.Error(Av(key), "=", Av(value), " is outside ", min.ToMilliseconds(), "..",
                     max.ToMilliseconds(), " ms",
                     micro_hint ? " (a bare number is milliseconds, as in srt-live-transmit; "
                                  "ffmpeg's srt:// counts microseconds)"
                                : "");
  }
  return *d;
}

absl::StatusOr<bool> ParseSrtBool(std::string_view key, std::string_view value,
                                  const ErrorContext& ctx) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  return ctx.Error(Av(key), "=\"", QuoteForMessage(value), "\": expected true or false");
}

// srt://[HOST]:PORT?... with the keys srt-live-transmit and ffmpeg users
// type (the SRTO_ option names without the prefix). Unknown keys are errors:
// a silently ignored option is a setting the user believes is in force.
absl::StatusOr<SrtSpec> ParseSrt(std::string_view authority, const QueryParams& params,
                                 const ErrorContext& ctx) {
  SrtSpec spec;
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(authority, ctx));
  const bool local = hp.at || IsWildcard(hp.host);
  spec.mode = local ? SrtMode::kListener : SrtMode::kCaller;
  constexpr Duration kMaxLatency = Duration::Seconds(60);
  for (const auto& [key, value] : params) {
    if (key == "mode") {
      if (value == "caller" || value == "client") {
        spec.mode = SrtMode::kCaller;
      } else if (value == "listener" || value == "server") {
        spec.mode = SrtMode::kListener;
      } else if (value == "rendezvous") {
        spec.mode = SrtMode::kRendezvous;
      } else {
        return ctx.Error("mode=\"", QuoteForMessage(value),
                         "\": expected caller, listener or rendezvous");
      }
    } else if (key == "latency" || key == "rcvlatency" || key == "peerlatency") {
      ASSIGN_OR_RETURN(Duration d, ParseMilliseconds(key, value, Duration(), kMaxLatency, ctx));
      (key == "latency"      ? spec.latency
       : key == "rcvlatency" ? spec.rcvlatency
                             : spec.peerlatency) = d;
    } else if (key == "conntimeo" || key == "peeridletimeo") {
      ASSIGN_OR_RETURN(Duration d, ParseMilliseconds(key, value, Duration::Milliseconds(50),
                                                     Duration::Seconds(600), ctx));
      (key == "conntimeo" ? spec.conntimeo : spec.peeridletimeo) = d;
    } else if (key == "passphrase") {
      if (value.size() < kMinSrtPassphrase || value.size() > kMaxSrtPassphrase) {
        return ctx.Error("passphrase= must be 10 to 79 characters (SRT's limit); it has ",
                         value.size());
      }
      spec.passphrase = value;
    } else if (key == "pbkeylen") {
      if (value != "0" && value != "16" && value != "24" && value != "32") {
        return ctx.Error("pbkeylen=\"", QuoteForMessage(value),
                         "\": expected 16, 24 or 32 (AES-128/192/256)");
      }
      spec.pbkeylen = std::stoi(value);
    } else if (key == "streamid") {
      if (value.size() > kMaxSrtStreamId) return ctx.Error("streamid= is longer than 512 bytes");
      spec.streamid = value;
    } else if (key == "maxbw" || key == "inputbw") {
      // -1 (maxbw only): no limit; 0: relative to the input rate.
      if (key == "maxbw" && value == "-1") {
        spec.maxbw = -1;
        continue;
      }
      auto bw = ParseDecimal(value, 0, uint64_t{1} << 40);
      if (!bw.ok()) return ctx.Wrap(key, bw.status());
      (key == "maxbw" ? spec.maxbw : spec.inputbw) = static_cast<int64_t>(*bw);
    } else if (key == "oheadbw") {
      auto pct = ParseDecimal(value, 5, 100);
      if (!pct.ok()) return ctx.Wrap(key, pct.status());
      spec.oheadbw = static_cast<int>(*pct);
    } else if (key == "enforcedencryption" || key == "enforced_encryption" || key == "tlpktdrop") {
      ASSIGN_OR_RETURN(bool on, ParseSrtBool(key, value, ctx));
      (key == "tlpktdrop" ? spec.tlpktdrop : spec.enforcedencryption) = on;
    } else if (key == "rcvbuf" || key == "sndbuf") {
      auto bytes = ParseByteSize(value, 32 * 1024, kMaxSocketBuffer);
      if (!bytes.ok()) return ctx.Wrap(key, bytes.status());
      (key == "rcvbuf" ? spec.rcvbuf : spec.sndbuf) = *bytes;
    } else if (key == "payloadsize" || key == "pkt_size") {
      auto size = ParseDecimal(value, 188, kMaxSrtPayload);
      if (!size.ok()) return ctx.Wrap(key, size.status());
      spec.payloadsize = static_cast<int>(*size);
    } else if (key == "transtype") {
      if (value != "live") {
        return ctx.Error("transtype=", Av(value),
                         ": only live mode carries a stream at a fixed latency (transtype=live)");
      }
    } else if (key == "adapter") {
      if (!IsNumericAddress(value)) {
        return ctx.Error("adapter=\"", QuoteForMessage(value),
                         "\" is not a numeric IP address of a local interface");
      }
      spec.adapter = value;
    } else if (key == "port") {
      auto port = ParseDecimal(value, 1, 65535);
      if (!port.ok()) return ctx.Wrap(key, port.status());
      spec.local_port = static_cast<uint16_t>(*port);
    } else {
      return ctx.Error(
          "unknown key \"", Av(key),
          "\" for srt:// (accepted: mode, latency, rcvlatency, peerlatency, "
          "passphrase, pbkeylen, streamid, conntimeo, peeridletimeo, maxbw, "
          "inputbw, oheadbw, enforcedencryption (enforced_encryption), tlpktdrop, rcvbuf, sndbuf, "
          "payloadsize, transtype, adapter, port)");
    }
  }
  if (spec.pbkeylen != 0 && spec.passphrase.empty()) {
    return ctx.Error("pbkeylen= needs a passphrase= (it sets the key length of the encryption)");
  }
  if (spec.mode != SrtMode::kListener) {
    if (local) {
      return ctx.Error("mode=", SrtModeName(spec.mode),
                       " needs a remote HOST (not empty, '@' or a wildcard)");
    }
    if (hp.port == 0) {
      return ctx.Error("mode=", SrtModeName(spec.mode), " needs a remote port in 1..65535");
    }
  } else if (!spec.adapter.empty() || spec.local_port) {
    return ctx.Error(
        "adapter= and port= set the local side of a caller or rendezvous; a "
        "listener binds HOST:PORT of the URL itself");
  }
  spec.host = std::move(hp.host);
  spec.port = hp.port;
  return spec;
}

}  // namespace

const char* RoleName(Role role) { return role == Role::kInput ? "input" : "output"; }

const char* HitlessModeName(HitlessMode mode) {
  return mode == HitlessMode::kCaller ? "caller" : "listener";
}

const char* SrtModeName(SrtMode mode) {
  switch (mode) {
    case SrtMode::kCaller:
      return "caller";
    case SrtMode::kListener:
      return "listener";
    case SrtMode::kRendezvous:
      return "rendezvous";
  }
  return "?";
}

const char* EndpointSpec::SchemeName() const {
  constexpr const char* kNames[] = {"udp", "file", "stdio", "gen", "verify", "hitless", "srt"};
  return kNames[kind.index()];
}

absl::StatusOr<EndpointSpec> ParseEndpointUrl(std::string_view url, Role role) {
  const ErrorContext ctx(url);
  if (url.size() > kMaxUrlLength) return ctx.Error("longer than ", kMaxUrlLength, " bytes");
  for (size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c < 0x20 || c == 0x7f) return ctx.Error("control character at offset ", i);
  }
  if (url.empty()) return ctx.Error("empty; expected ", Av(kSchemes));
  EndpointSpec spec;
  spec.url = std::string(url);
  spec.role = role;

  std::string_view scheme, rest;
  if (url == "-") {
    spec.kind = StdioSpec{};
    return spec;
  }
  if (url == "verify" || absl::StartsWith(Av(url), "verify?")) {
    scheme = "verify";
    rest = url.substr(6);
  } else {
    const size_t sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) {
      return ctx.Error("not a URL; expected ", Av(kSchemes));
    }
    scheme = url.substr(0, sep);
    rest = url.substr(sep + 3);
  }
  const std::string lower = absl::AsciiStrToLower(Av(scheme));
  const size_t qmark = rest.find('?');
  const std::string_view authority = rest.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : rest.substr(qmark + 1);
  auto params = ParseQuery(query);
  if (!params.ok()) return ctx.Wrap("", params.status());

  if (lower == "udp") {
    ASSIGN_OR_RETURN(spec.kind, ParseUdp(authority, *params, role, ctx));
  } else if (lower == "file") {
    ASSIGN_OR_RETURN(spec.kind, ParseFile(authority, *params, role, ctx));
  } else if (lower == "gen" || lower == "verify") {
    const bool gen = lower == "gen";
    if (gen && role != Role::kInput) return ctx.Error("gen:// is a test source: inputs only");
    if (!gen && role != Role::kOutput) return ctx.Error("verify is a test sink: outputs only");
    if (!authority.empty()) {
      return ctx.Error(Av(lower), " takes no host or path, only ?key=value options");
    }
    if (gen) {
      ASSIGN_OR_RETURN(spec.kind, ParseGen(*params, ctx));
    } else {
      ASSIGN_OR_RETURN(spec.kind, ParseVerify(*params, ctx));
    }
  } else if (lower == "hitless") {
    ASSIGN_OR_RETURN(spec.kind, ParseHitless(authority, *params, ctx));
  } else if (lower == "srt") {
    ASSIGN_OR_RETURN(spec.kind, ParseSrt(authority, *params, ctx));
  } else {
    return ctx.Error("unknown scheme \"", QuoteForMessage(scheme), "\"; expected ", Av(kSchemes));
  }
  return spec;
}

}  // namespace hitless::endpoints
