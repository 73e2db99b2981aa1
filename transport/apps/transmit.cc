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
#include <functional>
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
#include "transport/mpegts/ts_health.h"
#include "transport/path/sender_paths.h"
#include "transport/session/latency_floor.h"
#include "transport/session/route_merge.h"

namespace hitless::apps {
namespace {

constexpr Duration kDefaultLatency = Duration::Milliseconds(120);

const char* Name(Side side) { return side == Side::kSend ? "hitless-send" : "hitless-recv"; }

std::string Summary(Side side) {
  if (side == Side::kSend) {
    return "hitless-send [flags] INPUT hitless://HOST:PORT[?latency=300ms&stream=NAME]"
           " [hitless://HOST:PORT ...]\n"
           "  Carries a live stream from INPUT to a hitless-recv (or relay) with ARQ repair\n"
           "  and a fixed end-to-end latency; with multipath=routes, to several relays.\n"
           "  INPUT:  udp://[@]HOST:PORT  (unicast, or multicast join; ?iface=ADDR&rcvbuf=N)\n"
           "          srt://:PORT (an encoder calls in)   srt://HOST:PORT (we call the encoder)\n"
           "          file:///path[?rate=20M]   -  (stdin)   gen://?bitrate=20M&duration=60s";
  }
  return "hitless-recv [flags] hitless://[HOST]:PORT[?latency=300ms&stream=NAME]"
         " [hitless://HOST:PORT ...] OUTPUT\n"
         "  Receives a Hitless stream and outputs it at the configured end-to-end latency;\n"
         "  from several relays (routes), merged, when several INPUT URLs are given.\n"
         "  OUTPUT: udp://HOST:PORT  (?ttl=N&iface=ADDR for multicast)   file:///path\n"
         "          srt://:PORT (a decoder calls in)   srt://HOST:PORT (we call the decoder)\n"
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
         "Routes (two relays on two routes, SMPTE 2022-7 style across relays):\n"
         "  hitless-recv 'hitless://RELAY_A:9000?stream=NAME&latency=500ms'\n"
         "               hitless://RELAY_B:9000 OUTPUT\n"
         "                    subscribes at every relay named (each route its own session,\n"
         "                    repairing from its own relay) and merges them: first copy of\n"
         "                    each packet wins, one output at the latency. A relay that dies\n"
         "                    costs nothing while another carries the stream; its route\n"
         "                    reconnects by itself. Up to 8 routes.\n"
         "  hitless-send INPUT 'hitless://RELAY_A:9000?stream=NAME&multipath=routes'\n"
         "               hitless://RELAY_B:9000\n"
         "                    publishes to every relay named, each its own session, every\n"
         "                    packet numbered once so the copies merge downstream.\n"
         "  A further route URL takes the first one's stream=, latency= and options\n"
         "  (secret=, fec=, arq=) unless it names its own; bind= and paths= are its own.\n"
         "srt:// URLs (an SRT leg to an encoder or decoder, through libsrt, live mode):\n"
         "  srt://[HOST]:PORT?mode=caller|listener|rendezvous&latency=MS&passphrase=...\n"
         "      &pbkeylen=16|24|32&streamid=...   the keys of srt-live-transmit's URLs, so a\n"
         "                    URL that works there works here. mode defaults to listener\n"
         "                    without a host, caller with one. latency= is milliseconds\n"
         "                    (ffmpeg's srt:// counts microseconds: latency=120000 there is\n"
         "                    latency=120 here); it is this leg's own SRT latency, added to\n"
         "                    the Hitless latency. Also: rcvlatency, peerlatency, conntimeo,\n"
         "                    peeridletimeo, maxbw, inputbw, oheadbw, enforcedencryption,\n"
         "                    tlpktdrop, rcvbuf, sndbuf, payloadsize, adapter, port.\n"
         "                    A listener input serves one caller (a new one takes over); a\n"
         "                    listener output serves up to 8 (each gets the stream); a\n"
         "                    caller calls again every second after a failure or a drop. A\n"
         "                    refused handshake (wrong passphrase...) is said with its reason.\n"
         "  hitless-recv shows the output's MPEG-TS health (continuity errors, PCR interval,\n"
         "  PAT/PMT) in its status line and --stats-json when the stream is MPEG-TS.\n"
         "Exit codes: 0 ok; 1 runtime failure (bind, name resolution, a file that cannot be\n"
         "  written); 2 bad flags or URLs; 3 latency_strict=on and the path cannot carry\n"
         "  the latency; 4 the listener (a relay) refused the stream for good.\n"
         "Examples:\n"
         "  hitless-recv 'hitless://:9000?latency=300ms' udp://127.0.0.1:5000\n"
         "  hitless-send 'srt://:9001?latency=60' 'hitless://relay.example:9000?stream=match'\n"
         "  hitless-recv 'hitless://relay.example:9000?stream=match' 'srt://:9002?latency=60'\n"
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

// Delivers released media to the output endpoint, through the TS health
// analysis (what the output carries, in the order it carries it).
class OutputSink final : public session::MediaSink {
 public:
  OutputSink(endpoints::MediaOutput* output, mpegts::TsHealth* ts) : output_(output), ts_(ts) {}
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    ts_->OnDatagram(payload, now);
    output_->Write(payload, now);
  }

 private:
  endpoints::MediaOutput* output_;
  mpegts::TsHealth* ts_;
};

// A route's own releases (several routes): the merge's output is the
// program's.
class DiscardSink final : public session::MediaSink {
 public:
  void DeliverMedia(std::span<const uint8_t>, Time) override {}
};

// A route's accepted DATA, to the merge.
class RouteTap final : public session::StreamTap {
 public:
  explicit RouteTap(std::function<void(const session::StreamPacket&, Time)> on_packet)
      : on_packet_(std::move(on_packet)) {}
  void OnStreamPacket(const session::StreamPacket& packet, Time now) override {
    on_packet_(packet, now);
  }

 private:
  std::function<void(const session::StreamPacket&, Time)> on_packet_;
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
      "multipath=%s: expected multipath=duplicate, multipath=backup, multipath=bond or "
      "multipath=routes (hitless-send: every URL its own session, e.g. to two relays)",
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

// Several routes (hitless-recv with several INPUTs, hitless-send with
// multipath=routes): each URL is a session of its own, to its own relay. A
// further URL takes the first URL's stream, latency and options unless it
// names its own; bind=, paths= and multipath= are each route's own.
absl::StatusOr<std::vector<io::ConnectionDriverOptions>> RouteOptions(
    Side side, const std::vector<endpoints::EndpointSpec>& specs, Duration latency_flag,
    bool latency_flag_set) {
  if (specs.size() > kMaxPaths) {
    return absl::InvalidArgumentError(
        absl::StrFormat("at most %d routes, got %d", kMaxPaths, specs.size()));
  }
  const auto* first = specs.front().As<endpoints::HitlessSpec>();
  std::vector<io::ConnectionDriverOptions> routes;
  for (const endpoints::EndpointSpec& spec : specs) {
    const auto* own = spec.As<endpoints::HitlessSpec>();
    if (own == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("\"%s\": every %s of several routes must be a hitless:// URL", spec.url,
                          side == Side::kSend ? "OUTPUT" : "INPUT"));
    }
    if (own->mode != endpoints::HitlessMode::kCaller) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "\"%s\": a route calls its relay (or receiver): it needs a HOST and a port, not "
          "mode=listener",
          spec.url));
    }
    endpoints::HitlessSpec route = *own;
    if (route.stream.empty()) route.stream = first->stream;
    if (!route.latency) route.latency = first->latency;
    for (const auto& [key, value] : first->options) {
      if (key == "bind" || key == "paths" || key == "multipath") continue;
      route.options.emplace(key, value);  // keeps the route's own value
    }
    if (auto it = route.options.find("multipath"); it != route.options.end()) {
      if (it->second != "routes") {
        return absl::InvalidArgumentError(absl::StrFormat(
            "\"%s\": multipath=%s: a route is one session to one relay; multipath=routes "
            "(on the first URL) makes every URL a route",
            spec.url, it->second));
      }
      route.options.erase(it);
    }
    auto options = DriverOptions(route, side, latency_flag, latency_flag_set, {});
    if (!options.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("\"%s\": %s", spec.url, options.status().message()));
    }
    routes.push_back(*std::move(options));
  }
  // Every route must carry the same stream for the copies to merge.
  for (const auto& r : routes) {
    if (r.connection.stream_id != routes.front().connection.stream_id) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "routes name different streams (\"%s\" and \"%s\"): every route carries the same "
          "stream",
          routes.front().connection.stream_id, r.connection.stream_id));
    }
  }
  return routes;
}

}  // namespace

int RunTransmit(Side side, int argc, const char* const* argv) {
  cli::FlagParser flags(Name(side), Summary(side), Epilogue());
  flags.AddValue("latency", "DURATION", "end-to-end latency (overrides the URL's latency=)",
                 "120ms");
  flags.AddValue("stats-json", "FILE", "write every counter as JSON at exit");
  flags.AddValue("stats-series", "FILE",
                 "append every counter as one JSON line each second (a time series)");
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
  // more path of the same session, or with multipath=routes a session of its
  // own. hitless-recv may name several INPUTs: routes, merged.
  if (positional.size() < 2) {
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

  // The network URLs: hitless-send's OUTPUTs (positional 1..), hitless-recv's
  // INPUTs (every positional but the last).
  const size_t media_index = side == Side::kSend ? 0 : positional.size() - 1;
  auto media_parsed = endpoints::ParseEndpointUrl(
      positional[media_index],
      side == Side::kSend ? endpoints::Role::kInput : endpoints::Role::kOutput);
  if (!media_parsed.ok()) return UsageError(side, media_parsed.status());
  const endpoints::EndpointSpec& media_spec = *media_parsed;
  std::vector<endpoints::EndpointSpec> net_specs;
  for (size_t i = 0; i < positional.size(); ++i) {
    if (i == media_index) continue;
    auto spec = endpoints::ParseEndpointUrl(
        positional[i], side == Side::kSend ? endpoints::Role::kOutput : endpoints::Role::kInput);
    if (!spec.ok()) return UsageError(side, spec.status());
    net_specs.push_back(*std::move(spec));
  }
  const endpoints::EndpointSpec& net_spec = net_specs.front();
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
  const auto routes_option = hitless->options.find("multipath");
  const bool routes = side == Side::kRecv ? net_specs.size() > 1
                                          : routes_option != hitless->options.end() &&
                                                routes_option->second == "routes";
  std::vector<io::ConnectionDriverOptions> route_options;
  if (routes) {
    auto made = RouteOptions(side, net_specs, latency_flag->value_or(kDefaultLatency),
                             latency_flag->has_value());
    if (!made.ok()) return UsageError(side, made.status());
    route_options = *std::move(made);
  } else {
    std::vector<io::PathEndpoints> more_destinations;
    for (size_t i = 1; i < net_specs.size(); ++i) {
      auto destination = ExtraDestination(net_specs[i]);
      if (!destination.ok()) return UsageError(side, destination.status());
      more_destinations.push_back(*destination);
    }
    auto options = DriverOptions(*hitless, side, latency_flag->value_or(kDefaultLatency),
                                 latency_flag->has_value(), more_destinations);
    if (!options.ok()) return UsageError(side, options.status());
    route_options.push_back(*std::move(options));
  }
  // Files written at exit must be writable now: a run of hours must not end
  // with "cannot write".
  if (const auto path = flags.GetString("stats-json")) {
    if (auto ok = CheckWritable("--stats-json", *path); !ok.ok()) return UsageError(side, ok);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> series_file(nullptr, &std::fclose);
  if (const auto path = flags.GetString("stats-series")) {
    series_file.reset(std::fopen(path->c_str(), "w"));
    if (!series_file) {
      return UsageError(
          side, absl::InvalidArgumentError(absl::StrFormat("--stats-series: cannot write %s: %s",
                                                           *path, std::strerror(errno))));
    }
  }
  std::FILE* const series = series_file.get();
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
  const io::ConnectionDriverOptions& primary = route_options.front();
  const Duration configured_latency = primary.connection.latency;
  std::unique_ptr<endpoints::MediaInput> input;
  std::unique_ptr<endpoints::MediaOutput> output;
  if (side == Side::kSend) {
    // A slow input is read in batches of several datagrams: held up to
    // latency / 40 (at most 5 ms, at least the 2 ms every input gets).
    const Duration max_hold = std::clamp(configured_latency / int64_t{40},
                                         Duration::Milliseconds(2), Duration::Milliseconds(5));
    auto made = endpoints::MakeInput(media_spec, {.max_hold = max_hold});
    if (!made.ok()) return UsageError(side, made.status());
    input = *std::move(made);
  } else {
    auto made = endpoints::MakeOutput(media_spec);
    if (!made.ok()) return UsageError(side, made.status());
    output = *std::move(made);
  }
  SteadyClock clock;
  const Time start = clock.Now();
  mpegts::TsHealth ts_health;
  OutputSink sink(output.get(), &ts_health);
  // Several routes: each is a Connection of its own. A publisher numbers
  // its input once for all of them; a receiver's routes tap what they accept
  // into one merge, whose output is the program's (their own releases go
  // nowhere).
  DiscardSink discard;
  std::optional<session::RouteMerge> merge;
  boost::asio::steady_timer merge_timer(io);
  std::optional<Time> merge_timer_at;
  std::function<void()> arm_merge = [&] {
    const std::optional<Time> next = merge ? merge->NextWakeup() : std::nullopt;
    if (!next || (merge_timer_at && *merge_timer_at <= *next)) return;
    merge_timer_at = *next;
    merge_timer.expires_at(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next->ToNanoseconds())));
    merge_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      merge_timer_at.reset();
      merge->OnTimer(clock.Now());
      arm_merge();
    });
  };
  std::vector<std::unique_ptr<io::ConnectionDriver>> drivers;
  std::vector<std::unique_ptr<RouteTap>> taps;
  if (routes) {
    session::ConnectionConfig::StreamOrigin origin;
    origin.epoch = start;
    for (size_t i = 0; i < 4; ++i) {
      origin.initial_sequence = origin.initial_sequence << 8 | CookieMinter::RandomSecret()[i];
    }
    for (size_t i = 0; i < route_options.size(); ++i) {
      if (side == Side::kSend) {
        route_options[i].connection.origin = origin;
      } else {
        taps.push_back(std::make_unique<RouteTap>([&, i](const session::StreamPacket& packet,
                                                         Time now) {
          const session::Connection& conn = drivers[i]->connection();
          if (!merge) {
            session::RouteMergeConfig config;
            config.latency = conn.negotiated() ? conn.negotiated()->latency : configured_latency;
            config.routes = route_options.size();
            config.release_window = kReleaseWindow;
            merge.emplace(config, &sink);
          }
          const Duration transit =
              conn.receiver() ? conn.receiver()->origin_transit() : Duration::Zero();
          merge->OnRoutePacket(i, packet, transit, now);
          arm_merge();
        }));
        route_options[i].connection.tap = taps.back().get();
        // The merge plays the stream out; a route's own buffer keeps timing
        // only (its NACK deadlines), no payloads.
        route_options[i].connection.receiver.playout = false;
      }
    }
  }
  for (const io::ConnectionDriverOptions& options : route_options) {
    session::MediaSink* media = output ? (routes ? static_cast<session::MediaSink*>(&discard)
                                                 : static_cast<session::MediaSink*>(&sink))
                                       : nullptr;
    auto driver = io::ConnectionDriver::Create(io, options, media);
    if (!driver.ok()) {
      std::fprintf(stderr, "%s: %s\n", Name(side), std::string(driver.status().message()).c_str());
      return 1;
    }
    drivers.push_back(*std::move(driver));
  }
  absl::Status failure;
  bool stopping = false;
  boost::asio::steady_timer drain_timer(io), status_timer(io), duration_timer(io), notice_timer(io),
      series_timer(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);

  const auto stop = [&](absl::Status why) {
    if (stopping) return;
    stopping = true;
    failure = std::move(why);
    if (input) input->Stop();
    for (auto& d : drivers) d->Close();
    signals.cancel();
    notice_timer.cancel();
    drain_timer.cancel();
    status_timer.cancel();
    series_timer.cancel();
    duration_timer.cancel();
    merge_timer.cancel();
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
  // udp:// or srt:// input opens at once, so a busy port or a bad multicast join is
  // reported at start, not when a receiver appears; what it offers while no
  // session runs is counted (media_not_connected), as across restarts.
  bool input_started = false;
  int exit_code = 0;
  const auto start_input = [&] {
    if (input_started || stopping) return;
    input_started = true;
    auto started = input->Start(
        io,
        [&](std::span<const uint8_t> d, Time arrived) {
          if (drivers.size() == 1) {
            drivers.front()->OnMedia(d, arrived);
            return;
          }
          // One stamp for every route: their copies must match.
          for (auto& driver : drivers) driver->OnMedia(d, arrived);
        },
        [&](absl::Status end) {
          if (!end.ok()) {
            stop(std::move(end));
            return;
          }
          // Input over: keep answering NACKs for one latency window, then stop.
          Duration drain = configured_latency;
          for (const auto& d : drivers) {
            if (const auto& n = d->connection().negotiated()) drain = std::max(drain, n->latency);
          }
          drain += Duration::Milliseconds(200);
          drain_timer.expires_after(std::chrono::nanoseconds(drain.ToNanoseconds()));
          drain_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) stop(absl::OkStatus());
          });
        });
    if (!started.ok()) stop(started);
  };
  if (input) {
    for (auto& d : drivers) {
      d->SetStateHandler([&](session::ConnectionState state) {
        if (state == session::ConnectionState::kEstablished) start_input();
      });
    }
    if (media_spec.As<endpoints::UdpSpec>() || media_spec.As<endpoints::SrtSpec>()) {
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

  // Each route's remote, for messages ("" for a listener).
  std::vector<std::string> remotes;
  for (size_t i = 0; i < drivers.size(); ++i) {
    const io::ConnectionDriverOptions& o = route_options[i];
    remotes.push_back(o.remote ? io::FormatEndpoint(*o.remote) : std::string());
    std::string where = io::FormatEndpoint(o.remote.value_or(drivers[i]->local_endpoint()));
    for (const io::PathEndpoints& p : o.extra_paths) {
      absl::StrAppend(&where, " + ", io::FormatEndpoint(p.remote));
    }
    if (const auto& paths = o.connection.paths) {
      absl::StrAppend(&where, " (multipath ", path::MultipathModeName(paths->mode), ")");
    }
    std::fprintf(stderr, "%s: %s%s %s, media %s\n", Name(side),
                 routes ? absl::StrFormat("route %d: ", i).c_str() : "",
                 hitless->mode == endpoints::HitlessMode::kCaller ? "calling" : "listening on",
                 where.c_str(), (input ? input->Describe() : output->Describe()).c_str());
  }
  if (routes) {
    std::fprintf(stderr, "%s: %d routes, stream \"%s\": %s\n", Name(side),
                 static_cast<int>(drivers.size()), primary.connection.stream_id.c_str(),
                 side == Side::kSend
                     ? "every packet on every route, numbered once (a receiver subscribed to "
                       "several relays merges them)"
                     : "merged first copy wins, one output at the latency");
  }
  {
    // The buffers' memory cap in stream terms: a long latency holds only so
    // much rate. Said at start when it is below what contribution feeds run.
    const double slots = static_cast<double>(session::SenderConfig{}.max_buffer_capacity);
    const double held_mbit = slots * 1316 * 8 / 1e6 / configured_latency.ToSecondsF();
    if (held_mbit < 100) {
      std::fprintf(stderr,
                   "%s: warning: at latency %.0f ms the buffers (%.0f slots, ~190 MB) hold a "
                   "stream of at most %.0f Mbit/s (1316-byte packets); beyond it packets are "
                   "refused and counted\n",
                   Name(side), configured_latency.ToMillisecondsF(), slots, held_mbit);
    }
  }
  if (hitless->mode == endpoints::HitlessMode::kListener) {
    // Machine-readable, for scripts and tests that listen on port 0.
    std::printf("listening %s\n", io::FormatEndpoint(drivers.front()->local_endpoint()).c_str());
    std::fflush(stdout);
  }

  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::optional<Duration> status_every = flags.GetSwitch("quiet") ? std::nullopt
                                               : *status_interval       ? *status_interval
                                               : terminal
                                                   ? std::optional<Duration>(Duration::Seconds(1))
                                                   : std::nullopt;
  std::vector<StatusLine> status_lines(drivers.size());
  const auto context = [&](size_t route) {
    StatsContext c;
    c.program = Name(side);
    c.driver = drivers[route].get();
    c.now = clock.Now();
    c.elapsed = c.now - start;
    c.configured_latency = configured_latency;
    c.remote = remotes[route];
    return c;
  };
  // Prefix of a route's messages when there are several.
  const auto route_label = [&](size_t route) {
    return routes ? absl::StrFormat("route %d (%s): ", route, remotes[route]) : std::string();
  };
  // Notices (notices.h) every 250 ms: a setting or a fault that cannot work
  // is said within a second, whatever the status interval.
  std::vector<Notices> notices(drivers.size());
  uint64_t merge_lost_said = 0;  // said at most every 10 s, as the notices
  std::optional<Time> merge_said_at;
  std::function<void()> arm_notices = [&] {
    notice_timer.expires_after(std::chrono::milliseconds(250));
    notice_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      for (size_t i = 0; i < drivers.size(); ++i) {
        const StatsContext c = context(i);
        for (const std::string& line : notices[i].Poll(c, clock.Now())) {
          // A route's own losses are covered by the others as long as the
          // merged output has the packets: say whose figure it is.
          std::fprintf(stderr, "%s%s: warning: %s%s%s\n", status_every && terminal ? "\n" : "",
                       Name(side), route_label(i).c_str(),
                       routes && output ? "(this route alone; the output is the merge) " : "",
                       line.c_str());
        }
        const session::Connection& conn = drivers[i]->connection();
        if (const auto* initiator = conn.initiator(); initiator && initiator->latency_refused()) {
          const auto rtt = initiator->handshake_rtt();
          const LatencyFloor floor = LatencyFloorFor(rtt.value_or(Duration::Zero()));
          exit_code = kExitLatencyRefused;
          stop(absl::FailedPreconditionError(absl::StrFormat(
              "%slatency_strict=on: latency %.0f ms cannot carry this path (round trip %.0f ms); "
              "the smallest budget that plays is %.0f ms (%.0f ms lets retransmission repair); "
              "not starting",
              route_label(i), configured_latency.ToMillisecondsF(),
              rtt.value_or(Duration::Zero()).ToMillisecondsF(), floor.play.ToMillisecondsF(),
              floor.repair.ToMillisecondsF())));
          return;
        }
        if (const uint8_t reason = conn.final_reject(); reason != 0) {
          exit_code = kExitRefused;
          stop(absl::PermissionDeniedError(absl::StrFormat(
              "%sthe listener refused stream \"%s\": %s (reject reason %d)", route_label(i),
              route_options[i].connection.stream_id, FinalRejectText(reason), reason)));
          return;
        }
      }
      // The merged output's own loss: what no route had in time.
      if (merge && merge->stats().lost > merge_lost_said &&
          (!merge_said_at || clock.Now() - *merge_said_at >= Duration::Seconds(10))) {
        merge_said_at = clock.Now();
        const uint64_t lost = merge->stats().lost;
        std::fprintf(stderr,
                     "%s%s: warning: merged output: %llu packets lost for good so far (no route "
                     "had them by their release time)\n",
                     status_every && terminal ? "\n" : "", Name(side),
                     static_cast<unsigned long long>(lost));
        merge_lost_said = lost;
      }
      arm_notices();
    });
  };
  arm_notices();
  // The TS packets of datagrams lost for good: the merge's loss (routes) or
  // the session's.
  const auto update_ts_lost = [&] {
    uint64_t lost = 0;
    if (merge) {
      lost = merge->stats().lost;
    } else if (const auto* r = drivers[0]->connection().receiver()) {
      lost = r->stats().lost;
    }
    ts_health.SetDatagramsLost(lost);
  };
  const auto render_status = [&](Time now) {
    update_ts_lost();
    std::string line;
    const endpoints::InputStats in = input ? input->stats() : endpoints::InputStats{};
    const endpoints::OutputStats out = output ? output->stats() : endpoints::OutputStats{};
    for (size_t i = 0; i < drivers.size(); ++i) {
      StatsContext c = context(i);
      c.input = input ? &in : nullptr;
      c.output = output ? &out : nullptr;
      c.ts = output ? &ts_health : nullptr;
      if (i > 0) line += terminal ? "\n" : " || ";
      line += route_label(i) + status_lines[i].Render(c, now);
    }
    if (merge) line += (terminal ? "\n" : " || ") + RouteMergeStatus(*merge);
    return line;
  };
  std::function<void()> arm_status = [&] {
    if (!status_every) return;
    status_timer.expires_after(std::chrono::nanoseconds(status_every->ToNanoseconds()));
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      // Several lines (routes) are not redrawn in place: one block a period.
      const bool in_place = terminal && drivers.size() == 1;
      std::fprintf(stderr, in_place ? "\r%s\x1b[K" : "%s\n", render_status(clock.Now()).c_str());
      arm_status();
    });
  };
  arm_status();

  // Every counter as JSON: at exit (--stats-json) and each second
  // (--stats-series, one line each).
  const auto stats_json = [&] {
    update_ts_lost();
    const endpoints::InputStats in = input ? input->stats() : endpoints::InputStats{};
    const endpoints::OutputStats out = output ? output->stats() : endpoints::OutputStats{};
    std::string json;
    if (!routes) {
      StatsContext c = context(0);
      c.input = input ? &in : nullptr;
      c.output = output ? &out : nullptr;
      c.ts = output ? &ts_health : nullptr;
      json = StatsJson(c);
    } else {
      std::vector<std::string> parts;
      for (size_t i = 0; i < drivers.size(); ++i) parts.push_back(StatsJson(context(i)));
      StatsContext c = context(0);
      c.input = input ? &in : nullptr;
      c.output = output ? &out : nullptr;
      c.ts = output ? &ts_health : nullptr;
      json = RoutesJson(c, parts, merge ? &*merge : nullptr);
    }
    return json;
  };
  std::function<void()> arm_series = [&] {
    if (series == nullptr) return;
    series_timer.expires_after(std::chrono::seconds(1));
    series_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      std::string line = stats_json();
      std::replace(line.begin(), line.end(), '\n', ' ');
      std::fprintf(series, "%s\n", line.c_str());
      std::fflush(series);
      arm_series();
    });
  };
  arm_series();

  io.run();
  if (status_every && terminal && drivers.size() == 1) std::fprintf(stderr, "\n");

  if (output) {
    if (auto closed = output->Close(); !closed.ok() && failure.ok()) failure = closed;
  }
  if (const auto path = flags.GetString("stats-json")) {
    const std::string json = stats_json();
    const std::string tmp = *path + ".tmp";
    std::ofstream file(tmp, std::ios::trunc);
    file << json;
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
