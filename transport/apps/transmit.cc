#include "transport/apps/transmit.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "transport/apps/fec_option.h"
#include "transport/apps/flags.h"
#include "transport/apps/notices.h"
#include "transport/apps/stats_report.h"
#include "transport/base/clock.h"
#include "transport/crypto/cookie.h"
#include "transport/endpoints/factory.h"
#include "transport/endpoints/query.h"
#include "transport/endpoints/url.h"
#include "transport/io/connection_driver.h"
#include "transport/io/endpoint.h"
#include "transport/path/sender_paths.h"
#include "transport/session/latency_floor.h"

namespace hitless::apps {
namespace {

constexpr Duration kDefaultLatency = Duration::Milliseconds(120);

const char* Name(Side side) { return side == Side::kSend ? "hitless-send" : "hitless-recv"; }

std::string Summary(Side side) {
  if (side == Side::kSend) {
    return "hitless-send [flags] INPUT hitless://HOST:PORT[?latency=300ms&stream=NAME]"
           " [hitless://HOST:PORT ...]\n"
           "  Carries a live stream from INPUT to a hitless-recv (or relay) with ARQ repair\n"
           "  and a fixed end-to-end latency.\n"
           "  INPUT:  udp://[@]HOST:PORT  (unicast, or multicast join; ?iface=ADDR&rcvbuf=N)\n"
           "          file:///path[?rate=20M]   -  (stdin)   gen://?bitrate=20M&duration=60s";
  }
  return "hitless-recv [flags] hitless://[HOST]:PORT[?latency=300ms&stream=NAME] OUTPUT\n"
         "  Receives a Hitless stream and outputs it at the configured end-to-end latency.\n"
         "  OUTPUT: udp://HOST:PORT  (?ttl=N&iface=ADDR for multicast)   file:///path\n"
         "          -  (stdout)   verify[://?report=FILE.json]  (checks a gen:// stream)";
}

std::string Epilogue() {
  return "hitless:// URLs:\n"
         "  hitless://HOST:PORT           call HOST:PORT (mode=caller, the default with a host)\n"
         "  hitless://:PORT, hitless://@:PORT, hitless://0.0.0.0:PORT?mode=listener\n"
         "                                 listen for a caller (either side may listen)\n"
         "  latency=DURATION  end-to-end budget from sender input to receiver output\n"
         "                    (20ms..60s, default 120ms; a bare number is ms, as in SRT);\n"
         "                    the larger of both sides' wins.\n"
         "                    Set it to at least 3-4 x the round-trip time for ARQ to repair\n"
         "                    heavy loss.\n"
         "  stream=NAME       stream id (streamid= also accepted); a listener with a stream\n"
         "                    id accepts only that one\n"
         "  fec=rs,k=20,m=4[,i=2] | fec=adaptive[,k=20][,m=10][,i=8]\n"
         "      | fec=xor,l=10,d=10[,mode=row|column|2d] | fec=none\n"
         "                    forward error correction on top of ARQ. The caller's offer\n"
         "                    wins; a listener's fec= applies when the caller offers none.\n"
         "                    rs: m repairs per k packets, i blocks interleaved (a burst of\n"
         "                    up to i x m losses is repaired). adaptive: the sender sets m in\n"
         "                    1..m and the interleave in 1..i from the receiver's loss and\n"
         "                    burst reports. Blocks close after 20 ms so FEC adds at most that.\n"
         "  arq=on|off        retransmission (default on; used when both sides have it on).\n"
         "                    off: FEC alone, for latencies below about 2 x the round trip\n"
         "  secret=SECRET     (caller to hitless-relay) the stream's publish or subscribe\n"
         "                    secret; only an HMAC proof of it, bound to the relay's cookie,\n"
         "                    is sent. A relay that refuses (unknown stream, wrong or\n"
         "                    missing secret, stream busy) makes the program say why\n"
         "                    and exit 4\n"
         "  latency_strict=on (caller) refuse to start (exit 3) when the measured path\n"
         "                    cannot carry latency=; by default the caller raises the\n"
         "                    session's latency to the smallest budget that plays\n"
         "                    (round trip / 2 + max(20 ms, round trip / 4)) and says so\n"
         "Send budget: the sender measures what the path delivers and its queueing\n"
         "  delay, keeps retransmissions and FEC inside it (media first, then repairs,\n"
         "  then FEC) and warns when the stream alone exceeds the path.\n"
         "Multipath (hitless-send calling only; a listener accepts every path on its socket):\n"
         "  paths=[LOCAL@]HOST:PORT[,[LOCAL@]HOST:PORT...]\n"
         "                    more paths to the same receiver, e.g. over a second NIC or ISP.\n"
         "                    Path 0 is the URL's HOST:PORT, then these, most preferred\n"
         "                    first. Each path has its own socket, bound to LOCAL (an IP\n"
         "                    address; default any address) on an ephemeral port. IPv6 as\n"
         "                    [addr]:port. At most 8 paths in all.\n"
         "  bind=ADDR         local IP address of path 0's socket (default any address)\n"
         "  multipath=duplicate|backup|bond\n"
         "                    duplicate (default): every packet on every path that is up;\n"
         "                    the receiver keeps the first copy, so losing a path loses\n"
         "                    nothing. backup: media on the most preferred healthy path; the\n"
         "                    next one takes over 60-150 ms after the active path goes\n"
         "                    silent (failover; ARQ repairs what was in flight) and traffic\n"
         "                    returns after 3 s of health. bond: packets split across the\n"
         "                    paths that are up, by each path's measured share.\n"
         "  Several destinations: hitless-send INPUT hitless://A:PORT?OPTIONS\n"
         "                    hitless://B:PORT[?bind=ADDR] ...  Every further URL adds a\n"
         "                    path (after those of paths=); only HOST:PORT and bind= there,\n"
         "                    every other option comes from the first URL.\n"
         "Exit codes: 0 ok; 1 runtime failure (bind, name resolution, a file that cannot be\n"
         "  written); 2 bad flags or URLs; 3 latency_strict=on and the path cannot carry\n"
         "  the latency; 4 the listener (a relay) refused the stream for good.\n"
         "Examples:\n"
         "  hitless-recv 'hitless://:9000?latency=300ms' udp://127.0.0.1:5000\n"
         "  hitless-send udp://@239.1.1.1:5000 'hitless://relay.example:9000?latency=300ms'\n"
         "  hitless-send 'gen://?bitrate=20M&duration=60s' hitless://127.0.0.1:9000\n"
         "  hitless-send udp://@239.1.1.1:5000 \\\n"
         "      'hitless://203.0.113.7:9000?multipath=backup&paths=198.51.100.2@203.0.113.7:9000'\n"
         "  hitless-send udp://@239.1.1.1:5000 'hitless://203.0.113.7:9000?latency=500ms' \\\n"
         "      'hitless://203.0.113.7:9000?bind=198.51.100.2'\n";
}

// Exit codes (the README's table): 2 for bad usage (InvalidArgument), 1 for
// a runtime failure (a name that does not resolve, a socket, a file), 3 for a
// latency the path cannot carry with latency_strict=on, 4 for a listener
// (relay) that refused the stream for good.
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLatencyRefused = 3;
constexpr int kExitRefused = 4;

const char* FinalRejectText(uint8_t reason) {
  switch (reason) {
    case kRejectUnknownStream:
      return "unknown stream (the relay serves no stream of that name; check stream=)";
    case kRejectUnauthorized:
      return "unauthorized (missing or wrong secret= for this stream and direction)";
    case kRejectBusy:
      return "busy (the stream already has its publisher, or a limit of the relay is reached)";
    default:
      return "refused";
  }
}

int UsageError(Side side, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", Name(side), std::string(status.message()).c_str());
  return absl::IsInvalidArgument(status) ? kExitUsage : kExitRuntime;
}

// Fails now, not at exit, when `path` cannot be written: creates and removes
// a scratch file beside it.
absl::Status CheckWritable(const std::string& what, const std::string& path) {
  const std::string probe = path + ".tmp";
  std::FILE* f = std::fopen(probe.c_str(), "we");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrFormat("%s %s: cannot write there: %s", what, path, std::strerror(errno)));
  }
  std::fclose(f);
  std::remove(probe.c_str());
  return absl::OkStatus();
}

// Delivers released media to the output endpoint.
class OutputSink final : public session::MediaSink {
 public:
  explicit OutputSink(endpoints::MediaOutput* output) : output_(output) {}
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    output_->Write(payload, now);
  }

 private:
  endpoints::MediaOutput* output_;
};

// "HOST:PORT" for io::ParseEndpoint from a URL's host (IPv6 kept without
// brackets by the URL parser).
std::string HostPort(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

// A local IP address to bind (IPv6 with or without brackets), port 0.
absl::StatusOr<boost::asio::ip::address> ParseLocalAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not an IP address", std::string(text)));
  }
  return address;
}

// The socket of a path that calls `remote`: bound to `local` if given (it
// must be of the remote's family: a socket cannot cross families), else to
// the wildcard address of the remote's family; ephemeral port either way.
absl::StatusOr<io::UdpEndpoint> LocalFor(const io::UdpEndpoint& remote,
                                         const std::optional<boost::asio::ip::address>& local) {
  if (!local) return io::UdpEndpoint(remote.protocol(), 0);
  if (local->is_v6() != remote.address().is_v6()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("local address %s cannot reach %s (%s)", local->to_string(),
                        io::FormatEndpoint(remote), remote.address().is_v6() ? "IPv6" : "IPv4"));
  }
  return io::UdpEndpoint(*local, 0);
}

// One entry of paths=: "[LOCAL@]HOST:PORT".
absl::StatusOr<io::PathEndpoints> ParsePathEntry(std::string_view entry) {
  std::optional<boost::asio::ip::address> local;
  // '@' cannot occur in an address or a port, so the first one separates
  // LOCAL from the remote.
  if (const size_t at = entry.find('@'); at != std::string_view::npos) {
    auto address = ParseLocalAddress(entry.substr(0, at));
    if (!address.ok()) return address.status();
    local = *address;
    entry.remove_prefix(at + 1);
  }
  auto remote = io::ParseEndpoint(entry);
  if (!remote.ok()) return remote.status();
  if (remote->port() == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: a remote port must be in 1..65535", std::string(entry)));
  }
  auto bound = LocalFor(*remote, local);
  if (!bound.ok()) return bound.status();
  return io::PathEndpoints{.local = *bound, .remote = *remote};
}

absl::StatusOr<path::MultipathMode> ParseMultipathMode(std::string_view value) {
  for (const auto mode : {path::MultipathMode::kDuplicate, path::MultipathMode::kBackup,
                          path::MultipathMode::kBond}) {
    if (value == path::MultipathModeName(mode)) return mode;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "multipath=%s: expected multipath=duplicate, multipath=backup or multipath=bond",
      std::string(value)));
}

// A further hitless:// URL of hitless-send (several destinations): one more
// path to call. Only HOST:PORT and bind= belong there; the session's options
// come from the first URL, so anything else would be silently ignored.
absl::StatusOr<io::PathEndpoints> ExtraDestination(const endpoints::EndpointSpec& spec) {
  const auto* hitless = spec.As<endpoints::HitlessSpec>();
  if (!hitless) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\": every OUTPUT after the first must be a hitless:// URL (one more path)", spec.url));
  }
  if (hitless->mode != endpoints::HitlessMode::kCaller) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\": a further destination is called: it needs a HOST and a port", spec.url));
  }
  std::optional<boost::asio::ip::address> local;
  // The URL parser has already taken latency=, stream= and mode= apart:
  // look at the query itself to name whatever is not allowed here.
  if (const size_t q = spec.url.find('?'); q != std::string::npos) {
    auto params = endpoints::ParseQuery(std::string_view(spec.url).substr(q + 1));
    if (!params.ok()) return params.status();
    for (const auto& [key, value] : *params) {
      if (key != "bind") {
        return absl::InvalidArgumentError(absl::StrFormat(
            "\"%s\": option \"%s\" is not allowed in a further destination (only bind=; the "
            "session's options come from the first hitless:// URL)",
            spec.url, key));
      }
      auto address = ParseLocalAddress(value);
      if (!address.ok()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("\"%s\": bind=%s: %s", spec.url, value, address.status().message()));
      }
      local = *address;
    }
  }
  auto remote = io::ParseEndpoint(HostPort(hitless->host, hitless->port));
  if (!remote.ok()) return remote.status();
  auto bound = LocalFor(*remote, local);
  if (!bound.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\": bind=: %s", spec.url, bound.status().message()));
  }
  return io::PathEndpoints{.local = *bound, .remote = *remote};
}

// Where session traffic binds and calls, from the hitless:// spec and (for
// hitless-send) the paths of further destination URLs.
constexpr Duration kReleaseWindow = Duration::Microseconds(1500);

absl::StatusOr<io::ConnectionDriverOptions> DriverOptions(
    const endpoints::HitlessSpec& spec, Side side, Duration latency_flag, bool latency_flag_set,
    const std::vector<io::PathEndpoints>& more_destinations) {
  io::ConnectionDriverOptions options;
  session::ConnectionConfig& c = options.connection;
  // Output timing: every packet within +-0.75 ms of its release time, one
  // wake-up for all that are due in that window (see ReceiverConfig).
  c.receiver.release_window = kReleaseWindow;
  std::optional<std::string> paths_option;
  std::optional<std::string> bind_option;
  std::optional<path::MultipathMode> multipath_mode;
  for (const auto& [key, value] : spec.options) {
    if (key == "fec") {
      auto fec = ParseFecOption(value);
      if (!fec.ok()) return fec.status();
      c.fec = *fec;
      continue;
    }
    if (key == "arq") {
      if (value != "on" && value != "off") {
        return absl::InvalidArgumentError(
            absl::StrFormat("arq=%s: expected arq=on or arq=off", value));
      }
      c.arq = value == "on";
      continue;
    }
    if (key == "latency_strict") {
      if (value != "on" && value != "off") {
        return absl::InvalidArgumentError(absl::StrFormat(
            "latency_strict=%s: expected latency_strict=on or latency_strict=off", value));
      }
      c.strict_latency = value == "on";
      continue;
    }
    if (key == "secret") {
      if (value.empty()) {
        return absl::InvalidArgumentError("secret=: expected the stream's secret, not empty");
      }
      c.secret = value;
      continue;
    }
    if (key == "paths") {
      paths_option = value;
      continue;
    }
    if (key == "bind") {
      bind_option = value;
      continue;
    }
    if (key == "multipath") {
      auto mode = ParseMultipathMode(value);
      if (!mode.ok()) return mode.status();
      multipath_mode = *mode;
      continue;
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "hitless:// option \"%s\" is not supported by this version (supported: latency, "
        "stream, mode, fec, arq, latency_strict, secret, paths, bind, multipath)",
        key));
  }
  c.direction =
      side == Side::kSend ? session::MediaDirection::kSend : session::MediaDirection::kReceive;
  c.stream_id = spec.stream;
  c.latency = latency_flag_set ? latency_flag : spec.latency.value_or(kDefaultLatency);
  c.cookie_secret = CookieMinter::RandomSecret();
  // Session ids and initial sequences must differ across restarts: seed from
  // the OS's randomness (the cookie secret is fresh random bytes).
  uint64_t seed = 0;
  for (size_t i = 0; i < 8; ++i) seed = seed << 8 | CookieMinter::RandomSecret()[i];
  c.seed = seed;

  // Multipath is scheduled by the sender and offered by the caller; a
  // listener takes every path of its session on one socket whatever it is
  // told, so these options there would promise something that cannot happen.
  const bool multipath_asked = paths_option || multipath_mode || !more_destinations.empty();
  const char* const asked = paths_option ? "paths=" : "multipath=";
  if (multipath_asked && side != Side::kSend) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: multipath is for a publishing caller in this version (hitless-send "
        "hitless://HOST:PORT?paths=...); hitless-recv takes every path of a session on one "
        "listening socket",
        asked));
  }
  if (spec.mode != endpoints::HitlessMode::kCaller) {
    if (multipath_asked) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: multipath is for a publishing caller in this version: call the receiver "
          "(hitless://HOST:PORT?paths=...) instead of listening",
          asked));
    }
    if (bind_option) {
      return absl::InvalidArgumentError(
          "bind=: a listener binds the URL's HOST:PORT (bind= is for a caller)");
    }
    if (c.strict_latency) {
      return absl::InvalidArgumentError(
          "latency_strict=on: the caller measures the path and offers the latency; set it on "
          "the calling side");
    }
    c.role = session::Role::kListener;
    auto local = io::ParseEndpoint(HostPort(spec.host.empty() ? "0.0.0.0" : spec.host, spec.port));
    if (!local.ok()) return local.status();
    options.local = *local;
    return options;
  }

  c.role = session::Role::kCaller;
  auto remote = io::ParseEndpoint(HostPort(spec.host, spec.port));
  if (!remote.ok()) return remote.status();
  options.remote = *remote;
  std::optional<boost::asio::ip::address> bind;
  if (bind_option) {
    auto address = ParseLocalAddress(*bind_option);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("bind=%s: %s", *bind_option, address.status().message()));
    }
    bind = *address;
  }
  auto local = LocalFor(*remote, bind);
  if (!local.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bind=%s: %s", *bind_option, local.status().message()));
  }
  options.local = *local;
  if (paths_option) {
    if (paths_option->empty()) {
      return absl::InvalidArgumentError("paths=: expected [LOCAL@]HOST:PORT[,...]");
    }
    // Debian's abseil has its own absl::string_view.
    for (const absl::string_view entry : absl::StrSplit(*paths_option, ',')) {
      auto path = ParsePathEntry(std::string_view(entry.data(), entry.size()));
      if (!path.ok()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("paths=%s: %s (expected [LOCAL@]HOST:PORT[,...])", *paths_option,
                            path.status().message()));
      }
      options.extra_paths.push_back(*path);
    }
  }
  options.extra_paths.insert(options.extra_paths.end(), more_destinations.begin(),
                             more_destinations.end());
  const size_t path_count = 1 + options.extra_paths.size();
  if (path_count > kMaxPaths) {
    return absl::InvalidArgumentError(
        absl::StrFormat("paths=: at most %d paths in all (the first URL, paths= and further "
                        "hitless:// URLs), got %d",
                        kMaxPaths, path_count));
  }
  if (path_count == 1 && multipath_mode) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "multipath=%s: needs more than one path (add paths=HOST:PORT or another hitless:// URL)",
        path::MultipathModeName(*multipath_mode)));
  }
  if (path_count > 1) {
    path::SenderPathsConfig paths;
    paths.mode = multipath_mode.value_or(path::MultipathMode::kDuplicate);
    paths.path_count = static_cast<int>(path_count);
    c.paths = paths;
  }
  return options;
}

}  // namespace

int RunTransmit(Side side, int argc, const char* const* argv) {
  cli::FlagParser flags(Name(side), Summary(side), Epilogue());
  flags.AddValue("latency", "DURATION", "end-to-end latency (overrides the URL's latency=)",
                 "120ms");
  flags.AddValue("stats-json", "FILE", "write every counter as JSON at exit");
  flags.AddValue("status-interval", "DURATION",
                 "status line period on stderr (default 1s on a terminal, off otherwise)");
  flags.AddValue("duration", "DURATION", "stop after this long");
  flags.AddSwitch("quiet", "no status line");

  // FlagParser treats positionals as errors: split them off first.
  std::vector<std::string> flag_args;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      flag_args.push_back(arg);
      const bool takes_value =
          arg.find('=') == std::string::npos && arg != "--quiet" && arg != "--help" && arg != "-h";
      if (takes_value && i + 1 < argc) {
        // "--latency hitless://:9000 ...": the value is missing and the URL
        // would be swallowed as it.
        if (std::string_view(argv[i + 1]).find("://") != std::string_view::npos) {
          return UsageError(side,
                            absl::InvalidArgumentError(absl::StrFormat(
                                "%s needs a value; got the URL \"%s\" instead", arg, argv[i + 1])));
        }
        flag_args.push_back(argv[++i]);
      }
    } else {
      positional.push_back(arg);
    }
  }
  if (auto s = flags.Parse(flag_args); !s.ok()) return UsageError(side, s);
  if (flags.help_requested()) {
    std::printf("%s", flags.HelpText().c_str());
    return 0;
  }
  // hitless-send may name several destinations: each further OUTPUT is one
  // more path of the same session.
  if (positional.size() < 2 || (side == Side::kRecv && positional.size() != 2)) {
    return UsageError(
        side, absl::InvalidArgumentError(absl::StrFormat(
                  "expected INPUT and OUTPUT, got %d argument(s); see --help", positional.size())));
  }
  auto latency_flag = flags.GetDuration("latency");
  if (!latency_flag.ok()) return UsageError(side, latency_flag.status());
  if (*latency_flag &&
      (**latency_flag < Duration::Milliseconds(20) || **latency_flag > Duration::Seconds(60))) {
    return UsageError(side, absl::InvalidArgumentError("--latency: must be within 20ms..60s"));
  }
  auto status_interval = flags.GetDuration("status-interval");
  if (!status_interval.ok()) return UsageError(side, status_interval.status());
  auto run_duration = flags.GetDuration("duration");
  if (!run_duration.ok()) return UsageError(side, run_duration.status());

  auto input_spec = endpoints::ParseEndpointUrl(positional[0], endpoints::Role::kInput);
  if (!input_spec.ok()) return UsageError(side, input_spec.status());
  auto output_spec = endpoints::ParseEndpointUrl(positional[1], endpoints::Role::kOutput);
  if (!output_spec.ok()) return UsageError(side, output_spec.status());
  const endpoints::EndpointSpec& net_spec = side == Side::kSend ? *output_spec : *input_spec;
  const endpoints::EndpointSpec& media_spec = side == Side::kSend ? *input_spec : *output_spec;
  const auto* hitless = net_spec.As<endpoints::HitlessSpec>();
  if (!hitless) {
    return UsageError(side, absl::InvalidArgumentError(absl::StrFormat(
                                "%s must be a hitless:// URL, got \"%s\"",
                                side == Side::kSend ? "OUTPUT" : "INPUT", net_spec.url)));
  }
  if (media_spec.As<endpoints::HitlessSpec>()) {
    return UsageError(side, absl::InvalidArgumentError(
                                "relaying hitless:// to hitless:// is the relay daemon's job"));
  }
  std::vector<io::PathEndpoints> more_destinations;
  for (size_t i = 2; i < positional.size(); ++i) {
    auto spec = endpoints::ParseEndpointUrl(positional[i], endpoints::Role::kOutput);
    if (!spec.ok()) return UsageError(side, spec.status());
    auto destination = ExtraDestination(*spec);
    if (!destination.ok()) return UsageError(side, destination.status());
    more_destinations.push_back(*destination);
  }
  auto options = DriverOptions(*hitless, side, latency_flag->value_or(kDefaultLatency),
                               latency_flag->has_value(), more_destinations);
  if (!options.ok()) return UsageError(side, options.status());
  // Files written at exit must be writable now: a run of hours must not end
  // with "cannot write".
  if (const auto path = flags.GetString("stats-json")) {
    if (auto ok = CheckWritable("--stats-json", *path); !ok.ok()) return UsageError(side, ok);
  }
  if (const auto* verify = media_spec.As<endpoints::VerifySpec>();
      verify && !verify->report_path.empty()) {
    if (auto ok = CheckWritable("verify report=", verify->report_path); !ok.ok()) {
      return UsageError(side, ok);
    }
  }

  // The io_context outlives every endpoint (declared first, destroyed last).
  // One thread runs it and nothing posts from another: no locking in the
  // scheduler or the reactor (a mutex pair per wake-up otherwise).
  boost::asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE);
  std::unique_ptr<endpoints::MediaInput> input;
  std::unique_ptr<endpoints::MediaOutput> output;
  if (side == Side::kSend) {
    // A slow input is read in batches of several datagrams: held up to
    // latency / 40 (at most 5 ms, at least the 2 ms every input gets).
    const Duration max_hold = std::clamp((*options).connection.latency / int64_t{40},
                                         Duration::Milliseconds(2), Duration::Milliseconds(5));
    auto made = endpoints::MakeInput(media_spec, {.max_hold = max_hold});
    if (!made.ok()) return UsageError(side, made.status());
    input = *std::move(made);
  } else {
    auto made = endpoints::MakeOutput(media_spec);
    if (!made.ok()) return UsageError(side, made.status());
    output = *std::move(made);
  }
  OutputSink sink(output.get());
  auto driver = io::ConnectionDriver::Create(io, *options, output ? &sink : nullptr);
  if (!driver.ok()) {
    std::fprintf(stderr, "%s: %s\n", Name(side), std::string(driver.status().message()).c_str());
    return 1;
  }
  SteadyClock clock;
  const Time start = clock.Now();
  absl::Status failure;
  bool stopping = false;
  boost::asio::steady_timer drain_timer(io), status_timer(io), duration_timer(io), notice_timer(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);

  const auto stop = [&](absl::Status why) {
    if (stopping) return;
    stopping = true;
    failure = std::move(why);
    if (input) input->Stop();
    (*driver)->Close();
    signals.cancel();
    notice_timer.cancel();
    drain_timer.cancel();
    status_timer.cancel();
    duration_timer.cancel();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop(absl::OkStatus());
  });
  if (*run_duration) {
    duration_timer.expires_after(std::chrono::nanoseconds((**run_duration).ToNanoseconds()));
    duration_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) stop(absl::OkStatus());
    });
  }

  // A publisher starts reading a file or generated input once the first
  // session is up (what it read before would have nowhere to go). A live
  // udp:// input opens at once, so a busy port or a bad multicast join is
  // reported at start, not when a receiver appears; what it offers while no
  // session runs is counted (media_not_connected), as across restarts.
  bool input_started = false;
  int exit_code = 0;
  const auto start_input = [&] {
    if (input_started || stopping) return;
    input_started = true;
    auto started = input->Start(
        io, [&](std::span<const uint8_t> d, Time arrived) { (*driver)->OnMedia(d, arrived); },
        [&](absl::Status end) {
          if (!end.ok()) {
            stop(std::move(end));
            return;
          }
          // Input over: keep answering NACKs for one latency window, then stop.
          const auto& negotiated = (*driver)->connection().negotiated();
          const Duration drain =
              (negotiated ? negotiated->latency : (*options).connection.latency) +
              Duration::Milliseconds(200);
          drain_timer.expires_after(std::chrono::nanoseconds(drain.ToNanoseconds()));
          drain_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) stop(absl::OkStatus());
          });
        });
    if (!started.ok()) stop(started);
  };
  if (input) {
    (*driver)->SetStateHandler([&](session::ConnectionState state) {
      if (state == session::ConnectionState::kEstablished) start_input();
    });
    if (media_spec.As<endpoints::UdpSpec>()) {
      start_input();
      if (stopping) {
        std::fprintf(stderr, "%s: %s\n", Name(side), std::string(failure.message()).c_str());
        return kExitRuntime;
      }
    }
  } else {
    auto started = output->Start(io, [&](absl::Status why) { stop(std::move(why)); });
    if (!started.ok()) {
      std::fprintf(stderr, "%s: %s\n", Name(side), std::string(started.message()).c_str());
      return 1;
    }
  }

  std::string where = io::FormatEndpoint((*options).remote.value_or((*driver)->local_endpoint()));
  for (const io::PathEndpoints& p : (*options).extra_paths) {
    absl::StrAppend(&where, " + ", io::FormatEndpoint(p.remote));
  }
  if (const auto& paths = (*options).connection.paths) {
    absl::StrAppend(&where, " (multipath ", path::MultipathModeName(paths->mode), ")");
  }
  std::fprintf(stderr, "%s: %s %s, media %s\n", Name(side),
               hitless->mode == endpoints::HitlessMode::kCaller ? "calling" : "listening on",
               where.c_str(), (input ? input->Describe() : output->Describe()).c_str());
  {
    // The buffers' memory cap in stream terms: a long latency holds only so
    // much rate. Said at start when it is below what contribution feeds run.
    const double slots = static_cast<double>(session::SenderConfig{}.max_buffer_capacity);
    const double held_mbit = slots * 1316 * 8 / 1e6 / (*options).connection.latency.ToSecondsF();
    if (held_mbit < 100) {
      std::fprintf(stderr,
                   "%s: warning: at latency %.0f ms the buffers (%.0f slots, ~190 MB) hold a "
                   "stream of at most %.0f Mbit/s (1316-byte packets); beyond it packets are "
                   "refused and counted\n",
                   Name(side), (*options).connection.latency.ToMillisecondsF(), slots, held_mbit);
    }
  }
  if (hitless->mode == endpoints::HitlessMode::kListener) {
    // Machine-readable, for scripts and tests that listen on port 0.
    std::printf("listening %s\n", io::FormatEndpoint((*driver)->local_endpoint()).c_str());
    std::fflush(stdout);
  }

  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::optional<Duration> status_every = flags.GetSwitch("quiet") ? std::nullopt
                                               : *status_interval       ? *status_interval
                                               : terminal
                                                   ? std::optional<Duration>(Duration::Seconds(1))
                                                   : std::nullopt;
  StatusLine status_line;
  const std::string remote =
      (*options).remote ? io::FormatEndpoint(*(*options).remote) : std::string();
  const auto context = [&] {
    StatsContext c;
    c.program = Name(side);
    c.driver = driver->get();
    c.now = clock.Now();
    c.elapsed = c.now - start;
    c.configured_latency = (*options).connection.latency;
    c.remote = remote;
    return c;
  };
  // Notices (notices.h) every 250 ms: a setting or a fault that cannot work
  // is said within a second, whatever the status interval.
  Notices notices;
  std::function<void()> arm_notices = [&] {
    notice_timer.expires_after(std::chrono::milliseconds(250));
    notice_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      const StatsContext c = context();
      for (const std::string& line : notices.Poll(c, clock.Now())) {
        std::fprintf(stderr, "%s%s: warning: %s\n", status_every && terminal ? "\n" : "",
                     Name(side), line.c_str());
      }
      if (const auto* initiator = (*driver)->connection().initiator();
          initiator && initiator->latency_refused()) {
        const auto rtt = initiator->handshake_rtt();
        const LatencyFloor floor = LatencyFloorFor(rtt.value_or(Duration::Zero()));
        exit_code = kExitLatencyRefused;
        stop(absl::FailedPreconditionError(absl::StrFormat(
            "latency_strict=on: latency %.0f ms cannot carry this path (round trip %.0f ms); the "
            "smallest budget that plays is %.0f ms (%.0f ms lets retransmission repair); not "
            "starting",
            (*options).connection.latency.ToMillisecondsF(),
            rtt.value_or(Duration::Zero()).ToMillisecondsF(), floor.play.ToMillisecondsF(),
            floor.repair.ToMillisecondsF())));
        return;
      }
      if (const uint8_t reason = (*driver)->connection().final_reject(); reason != 0) {
        exit_code = kExitRefused;
        stop(absl::PermissionDeniedError(
            absl::StrFormat("the listener refused stream \"%s\": %s (reject reason %d)",
                            (*options).connection.stream_id, FinalRejectText(reason), reason)));
        return;
      }
      arm_notices();
    });
  };
  arm_notices();
  std::function<void()> arm_status = [&] {
    if (!status_every) return;
    status_timer.expires_after(std::chrono::nanoseconds(status_every->ToNanoseconds()));
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      StatsContext c = context();
      const endpoints::InputStats in = input ? input->stats() : endpoints::InputStats{};
      const endpoints::OutputStats out = output ? output->stats() : endpoints::OutputStats{};
      c.input = input ? &in : nullptr;
      c.output = output ? &out : nullptr;
      std::fprintf(stderr, terminal ? "\r%s\x1b[K" : "%s\n",
                   status_line.Render(c, clock.Now()).c_str());
      arm_status();
    });
  };
  arm_status();

  io.run();
  if (status_every && terminal) std::fprintf(stderr, "\n");

  if (output) {
    if (auto closed = output->Close(); !closed.ok() && failure.ok()) failure = closed;
  }
  StatsContext c = context();
  const endpoints::InputStats in = input ? input->stats() : endpoints::InputStats{};
  const endpoints::OutputStats out = output ? output->stats() : endpoints::OutputStats{};
  c.input = input ? &in : nullptr;
  c.output = output ? &out : nullptr;
  if (const auto path = flags.GetString("stats-json")) {
    const std::string tmp = *path + ".tmp";
    std::ofstream file(tmp, std::ios::trunc);
    file << StatsJson(c);
    file.close();
    if (!file || std::rename(tmp.c_str(), path->c_str()) != 0) {
      std::fprintf(stderr, "%s: cannot write %s\n", Name(side), path->c_str());
      if (failure.ok()) return 1;
    }
  }
  if (!failure.ok()) {
    std::fprintf(stderr, "%s: %s\n", Name(side), std::string(failure.message()).c_str());
    return exit_code != 0 ? exit_code : kExitRuntime;
  }
  return 0;
}

}  // namespace hitless::apps
