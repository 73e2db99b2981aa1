// hitless-relay: the relay daemon. A thin main over RelayDriver (sockets),
// the TOML configuration, the metrics endpoint and the signals:
// SIGINT/SIGTERM send SHUTDOWN to every peer and stop; SIGHUP reloads the
// configuration file (streams, secrets, limits, upstreams) without touching
// the streams that did not change.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "relay/metrics_server.h"
#include "relay/relay_config.h"
#include "relay/relay_driver.h"
#include "relay/relay_metrics.h"
#include "relay/srt_legs.h"
#include "transport/apps/flags.h"
#include "transport/crypto/cookie.h"

namespace hitless::relay {
namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char* kSummary =
    "hitless-relay [--listen ADDR:PORT] [--config relay.toml] [--metrics ADDR:PORT]\n"
    "  Relays Hitless streams: publishers (hitless-send, or another relay) push a stream\n"
    "  in, subscribers (hitless-recv, or another relay) pull it out. Every packet goes on\n"
    "  to every subscriber the moment it arrives (no jitter buffer here); each hop runs\n"
    "  its own retransmission and FEC, and the latency budget stays end to end.";

const char* kEpilogue =
    "Clients:\n"
    "  hitless-send INPUT 'hitless://RELAY:9000?stream=match1&latency=500ms'   (publish)\n"
    "  hitless-recv 'hitless://RELAY:9000?stream=match1' OUTPUT               (subscribe)\n"
    "  with secret=SECRET when the stream has a publish or subscribe secret.\n"
    "Without --config the relay is open: any stream id, no secrets (it says so at start).\n"
    "Configuration (TOML; every key optional):\n"
    "  [relay]   listen = \"0.0.0.0:9000\"  metrics = \"127.0.0.1:9100\"  latency = \"120ms\"\n"
    "            open = false   (also accept streams that are not listed)\n"
    "  [limits]  max_streams = 64  max_subscribers = 256  handshakes_per_second = 200\n"
    "            max_stream_memory_mb = 1024\n"
    "  [[stream]]   id = \"match1\"  publish_secret = \"...\"  subscribe_secret = \"...\"\n"
    "               latency = \"500ms\"\n"
    "  [[upstream]] address = \"relay-eu.example:9000\"  stream = \"match1\"  secret = \"...\"\n"
    "               latency = \"500ms\"   (pull match1 from another relay; two upstreams of\n"
    "               one stream are merged, first copy wins)\n"
    "  See relay/relay.example.toml.\n"
    "SRT legs (--srt-listen ADDR:PORT): encoders and decoders that speak SRT only.\n"
    "  publish: srt://RELAY:PORT?streamid=#!::r=match1,m=publish   (or publish:match1)\n"
    "  read:    srt://RELAY:PORT?streamid=#!::r=match1            (or read:match1, match1)\n"
    "  The stream's publish_secret / subscribe_secret is the SRT passphrase (so it must\n"
    "  be 10..79 characters). A reader gets the stream in order at the stream's latency\n"
    "  (as a hitless-recv here would), plus its own SRT latency (--srt-latency).\n"
    "Signals: SIGTERM/SIGINT tell every peer (SHUTDOWN) and stop; SIGHUP reloads --config.\n"
    "Metrics: GET /metrics (Prometheus) and /streams (JSON) on --metrics.\n"
    "Exit codes: 0 ok; 1 runtime failure (bind, a file that cannot be written);\n"
    "  2 bad flags or configuration (the file, line and problem are named).\n";

int Usage(const absl::Status& s) {
  std::fprintf(stderr, "hitless-relay: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
}

absl::StatusOr<boost::asio::ip::tcp::endpoint> TcpEndpoint(const std::string& text) {
  auto udp = io::ParseEndpoint(text);
  if (!udp.ok()) return udp.status();
  return boost::asio::ip::tcp::endpoint(udp->address(), udp->port());
}

absl::Status CheckWritable(const std::string& path) {
  std::ofstream f(path + ".tmp", std::ios::trunc);
  if (!f) return absl::InvalidArgumentError(absl::StrFormat("--stats-json: cannot write %s", path));
  f.close();
  std::remove((path + ".tmp").c_str());
  return absl::OkStatus();
}

int Run(int argc, const char* const* argv) {
  cli::FlagParser flags("hitless-relay", kSummary, kEpilogue);
  flags.AddValue("listen", "ADDR:PORT", "UDP address for publishers and subscribers",
                 "0.0.0.0:9000, or [relay] listen");
  flags.AddValue("config", "FILE", "TOML configuration (streams, secrets, limits, upstreams)");
  flags.AddValue("metrics", "ADDR:PORT", "HTTP for /metrics and /streams (off by default)");
  flags.AddValue("latency", "DURATION", "sessions run at least this budget", "120ms");
  flags.AddValue("srt-listen", "ADDR:PORT",
                 "SRT callers publish and read streams here (off by default; see SRT legs)");
  flags.AddValue("srt-latency", "DURATION", "the SRT legs' own SRT latency", "120ms");
  flags.AddValue("stats-json", "FILE", "write every counter as JSON at exit");
  flags.AddValue("status-interval", "DURATION",
                 "status line period on stderr (default 1s on a terminal, off otherwise)");
  flags.AddValue("duration", "DURATION", "stop after this long");
  flags.AddSwitch("quiet", "no status line");
  if (auto s = flags.Parse(argc, argv); !s.ok()) return Usage(s);
  if (flags.help_requested()) {
    std::printf("%s", flags.HelpText().c_str());
    return 0;
  }
  auto latency = flags.GetDuration("latency");
  if (!latency.ok()) return Usage(latency.status());
  if (*latency && (**latency < Duration::Milliseconds(20) || **latency > Duration::Seconds(60))) {
    return Usage(absl::InvalidArgumentError("--latency: must be within 20ms..60s"));
  }
  auto status_interval = flags.GetDuration("status-interval");
  if (!status_interval.ok()) return Usage(status_interval.status());
  auto run_duration = flags.GetDuration("duration");
  if (!run_duration.ok()) return Usage(run_duration.status());

  const std::optional<std::string> config_path = flags.GetString("config");
  DaemonConfig config;
  if (config_path) {
    auto loaded = LoadDaemonConfig(*config_path);
    if (!loaded.ok()) return Usage(loaded.status());
    config = *std::move(loaded);
  }
  if (*latency) config.relay.latency = **latency;
  const std::string listen_text =
      flags.GetString("listen").value_or(config.listen.value_or("0.0.0.0:9000"));
  auto listen = io::ParseEndpoint(listen_text);
  if (!listen.ok()) {
    return Usage(absl::InvalidArgumentError(
        absl::StrFormat("--listen %s: %s", listen_text, listen.status().message())));
  }
  std::optional<boost::asio::ip::tcp::endpoint> metrics_at;
  if (auto text = flags.GetString("metrics") ? flags.GetString("metrics") : config.metrics) {
    auto m = TcpEndpoint(*text);
    if (!m.ok()) {
      return Usage(absl::InvalidArgumentError(
          absl::StrFormat("--metrics %s: %s", *text, m.status().message())));
    }
    metrics_at = *m;
  }
  std::optional<io::UdpEndpoint> srt_at;
  if (auto text = flags.GetString("srt-listen")) {
    auto at = io::ParseEndpoint(*text);
    if (!at.ok()) {
      return Usage(absl::InvalidArgumentError(
          absl::StrFormat("--srt-listen %s: %s", *text, at.status().message())));
    }
    srt_at = *at;
  }
  auto srt_latency = flags.GetDuration("srt-latency");
  if (!srt_latency.ok()) return Usage(srt_latency.status());
  if (*srt_latency && **srt_latency > Duration::Seconds(60)) {
    return Usage(absl::InvalidArgumentError("--srt-latency: must be within 0..60s"));
  }
  const std::optional<std::string> stats_path = flags.GetString("stats-json");
  if (stats_path) {
    if (auto ok = CheckWritable(*stats_path); !ok.ok()) return Usage(ok);
  }

  boost::asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE);
  RelayDriverOptions options;
  options.listen = *listen;
  options.config = config.relay;
  options.config.cookie_secret = CookieMinter::RandomSecret();
  for (size_t i = 0; i < 8; ++i) {
    options.config.seed = options.config.seed << 8 | CookieMinter::RandomSecret()[i];
  }
  options.upstreams = config.upstreams;
  auto driver = RelayDriver::Create(io, options);
  if (!driver.ok()) {
    std::fprintf(stderr, "hitless-relay: %s\n", std::string(driver.status().message()).c_str());
    return driver.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
  }
  const Time start = (*driver)->now();
  const std::string listen_address = io::FormatEndpoint((*driver)->local_endpoint());
  std::unique_ptr<RelaySrtLegs> srt_legs;
  if (srt_at) {
    srt_legs = std::make_unique<RelaySrtLegs>(
        io, **driver,
        RelaySrtLegs::Options{.listen = *srt_at,
                              .srt_latency = srt_latency->value_or(Duration::Milliseconds(120))});
    if (auto started = srt_legs->Start(options.config); !started.ok()) {
      std::fprintf(stderr, "hitless-relay: %s\n", std::string(started.message()).c_str());
      return kExitRuntime;
    }
  }
  const auto snapshot = [&] {
    RelaySnapshot s = SnapshotOf(**driver, (*driver)->now() - start);
    s.listen_address = listen_address;
    if (srt_legs) {
      s.srt_legs = srt_legs->Legs();
      s.srt_server = srt_legs->server_stats();
    }
    return s;
  };

  std::unique_ptr<MetricsServer> metrics;
  if (metrics_at) {
    auto made = MetricsServer::Create(io, *metrics_at, [&](const std::string& path) {
      if (path == "/metrics") {
        return HttpPage{200, "text/plain; version=0.0.4; charset=utf-8",
                        PrometheusText(snapshot())};
      }
      if (path == "/streams") return HttpPage{200, "application/json", StreamsJson(snapshot())};
      return HttpPage{404, "text/plain; charset=utf-8", "try /metrics or /streams\n"};
    });
    if (!made.ok()) {
      std::fprintf(stderr, "hitless-relay: %s\n", std::string(made.status().message()).c_str());
      return kExitRuntime;
    }
    metrics = *std::move(made);
  }

  const std::string where = io::FormatEndpoint((*driver)->local_endpoint());
  if (options.config.open) {
    std::fprintf(stderr,
                 "hitless-relay: open relay: any stream id may be published and subscribed, "
                 "without secrets%s\n",
                 options.config.streams.empty()
                     ? " (give --config with [[stream]] entries to restrict it)"
                     : " (listed streams keep their secrets)");
  }
  std::fprintf(stderr,
               "hitless-relay: listening on %s (%zu configured stream(s), %zu upstream(s))\n",
               where.c_str(), options.config.streams.size(), options.upstreams.size());
  // Machine-readable, for scripts and tests that listen on port 0.
  std::printf("listening %s\n", where.c_str());
  if (metrics) {
    const auto m = metrics->local_endpoint();
    std::printf("metrics %s:%d\n", m.address().to_string().c_str(), m.port());
  }
  if (srt_legs) {
    std::fprintf(stderr,
                 "hitless-relay: SRT callers on %s:%d (streamid #!::r=NAME,m=publish to publish, "
                 "#!::r=NAME or NAME to read; the stream's secret is the passphrase)\n",
                 srt_at->address().to_string().c_str(), srt_legs->local_port());
    std::printf("srt %s:%d\n", srt_at->address().to_string().c_str(), srt_legs->local_port());
  }
  std::fflush(stdout);

  bool stopping = false;
  std::string final_stats;  // taken before Shutdown empties the relay
  boost::asio::steady_timer status_timer(io), duration_timer(io);
  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  boost::asio::signal_set hup(io, SIGHUP);
  const auto stop = [&] {
    if (stopping) return;
    stopping = true;
    if (stats_path) final_stats = RelayStatsJson(snapshot());
    if (srt_legs) srt_legs->Stop();
    (*driver)->Shutdown();
    if (metrics) metrics->Close();
    stop_signals.cancel();
    hup.cancel();
    status_timer.cancel();
    duration_timer.cancel();
    // Metrics connections still waiting for a request would hold the loop
    // for their timeout: the SHUTDOWNs are sent, so stop here.
    io.stop();
  };
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (!config_path) {
        std::fprintf(stderr, "hitless-relay: SIGHUP: no --config to reload\n");
      } else if (auto next = LoadDaemonConfig(*config_path); !next.ok()) {
        std::fprintf(stderr, "hitless-relay: SIGHUP: %s; keeping the running configuration\n",
                     std::string(next.status().message()).c_str());
      } else {
        if (*latency) next->relay.latency = **latency;
        if (srt_legs) srt_legs->Reload(next->relay);
        if (auto applied = (*driver)->Reload(*next); !applied.ok()) {
          std::fprintf(stderr, "hitless-relay: SIGHUP: %s\n",
                       std::string(applied.message()).c_str());
        } else {
          std::fprintf(stderr,
                       "hitless-relay: reloaded %s: %zu configured stream(s), %zu upstream(s)%s\n",
                       config_path->c_str(), next->relay.streams.size(), next->upstreams.size(),
                       next->relay.open ? ", open" : "");
        }
        if (next->listen && *next->listen != listen_text) {
          std::fprintf(stderr, "hitless-relay: SIGHUP: listen address changes need a restart\n");
        }
      }
      wait_hup();
    });
  };
  wait_hup();
  if (*run_duration) {
    duration_timer.expires_after(std::chrono::nanoseconds((**run_duration).ToNanoseconds()));
    duration_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) stop();
    });
  }
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::optional<Duration> status_every = flags.GetSwitch("quiet") ? std::nullopt
                                               : *status_interval       ? *status_interval
                                               : terminal
                                                   ? std::optional<Duration>(Duration::Seconds(1))
                                                   : std::nullopt;
  RelayStatusLine status_line;
  std::function<void()> arm_status = [&] {
    if (!status_every) return;
    status_timer.expires_after(std::chrono::nanoseconds(status_every->ToNanoseconds()));
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      std::fprintf(stderr, terminal ? "\r%s\x1b[K" : "%s\n",
                   status_line.Render(snapshot()).c_str());
      arm_status();
    });
  };
  arm_status();

  io.run();
  if (status_every && terminal) std::fprintf(stderr, "\n");
  if (stats_path) {
    const std::string tmp = *stats_path + ".tmp";
    std::ofstream file(tmp, std::ios::trunc);
    file << (final_stats.empty() ? RelayStatsJson(snapshot()) : final_stats);
    file.close();
    if (!file || std::rename(tmp.c_str(), stats_path->c_str()) != 0) {
      std::fprintf(stderr, "hitless-relay: cannot write %s\n", stats_path->c_str());
      return kExitRuntime;
    }
  }
  return 0;
}

}  // namespace
}  // namespace hitless::relay

int main(int argc, char** argv) { return hitless::relay::Run(argc, argv); }
