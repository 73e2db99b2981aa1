// SRT beside Hitless (srt_compare.h).
#include "netem-scenarios/runner/srt_compare.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "netem-scenarios/runner/child.h"

namespace hitless::scenario {
namespace {

// A free UDP port on loopback (bound and released: srt-live-transmit's
// listener and input need a number up front).
uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// One program of the chain.
struct Leg {
  std::string name;
  std::unique_ptr<Child> child = std::make_unique<Child>();
  uint16_t port = 0;  // its listening port, if it listens
};

}  // namespace

SystemFigures RunSrtBeside(const netem::RouteScenario& route, const Programs& programs,
                           const std::string& out_dir, Duration duration,
                           const std::atomic<bool>* interrupted) {
  const auto Path = [&](const std::string& file) { return out_dir + "/" + file; };
  SystemFigures f;
  f.system = "srt";
  if (programs.srt.empty()) {
    f.note = "srt-live-transmit not installed (apt-get install srt-tools)";
    return f;
  }
  if (programs.probe.empty()) {
    f.note = "hitless-probe not found";
    return f;
  }
  if (route.links.size() != 1 || route.hosts.size() != 2) {
    f.note = "n/a: single-link routes only (Debian's libsrt has no bonding; relays not carried)";
    return f;
  }
  // Equal glass-to-glass latency: SRT's latency counts from the sender's
  // clock at the receiver, so it plays latency + one-way delay after input;
  // Hitless's budget is end to end. SRT gets the budget less the link's
  // mean one-way delay.
  const int64_t latency_ms = std::max<int64_t>(
      20, (route.stream.latency - route.links[0].media.params.delay.delay).ToMilliseconds());
  const uint64_t pkts =
      std::max<uint64_t>(25600, route.stream.bitrate * static_cast<uint64_t>(latency_ms + 100) * 3 /
                                    (8ULL * 1000 * 1316 * 2));
  const std::string tuning =
      absl::StrFormat("&fc=%d&rcvbuf=%d&sndbuf=%d", pkts, pkts * 1456, pkts * 1456);
  std::vector<std::unique_ptr<Leg>> chain;
  const auto start = [&](const std::string& name, std::vector<std::string> argv,
                         bool listens) -> absl::StatusOr<Leg*> {
    auto p = std::make_unique<Leg>();
    p->name = name;
    if (auto st = p->child->Start(std::move(argv), Path(name + ".out"), Path(name + ".err"));
        !st.ok()) {
      return st;
    }
    if (listens) {
      auto port = p->child->WaitListening(5000);
      if (!port.ok()) return port.status();
      p->port = *port;
    }
    chain.push_back(std::move(p));
    return chain.back().get();
  };
  const std::string probe_json = Path("srt-probe.json");
  const double seconds = duration.ToMillisecondsF() / 1000;
  auto recv =
      start("srt-probe-recv",
            {programs.probe, "recv", "--listen", "127.0.0.1:0", "--idle", "3s", "--duration",
             absl::StrFormat("%.0fs", seconds + 60), "--stats-json", probe_json},
            true);
  if (!recv.ok()) {
    f.note = std::string(recv.status().message());
    return f;
  }
  const uint16_t srt_listen = FreePort();
  auto rx = start("srt-rx",
                  {programs.srt, "-q",
                   absl::StrFormat("srt://127.0.0.1:%d?mode=listener&latency=%d%s", srt_listen,
                                   latency_ms, tuning),
                   absl::StrFormat("udp://127.0.0.1:%d", (*recv)->port)},
                  false);
  const std::string link_file = Path("srt-link.toml");
  WriteFile(link_file, route.links[0].netem_toml);
  auto net = start("srt-link",
                   {programs.netem, "--listen", "127.0.0.1:0", "--forward",
                    absl::StrCat("127.0.0.1:", srt_listen), "--scenario", link_file, "--quiet",
                    "--stats-json", Path("srt-link.json")},
                   true);
  if (!rx.ok() || !net.ok()) {
    f.note = "could not start the SRT chain (see srt-*.err)";
    return f;
  }
  const uint16_t udp_in = FreePort();
  auto tx = start("srt-tx",
                  {programs.srt, "-q", absl::StrFormat("udp://127.0.0.1:%d", udp_in),
                   absl::StrFormat("srt://127.0.0.1:%d?mode=caller&latency=%d%s", (*net)->port,
                                   latency_ms, tuning)},
                  false);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the caller connects
  auto send = start(
      "srt-probe-send",
      {programs.probe, "send", "--to", absl::StrCat("127.0.0.1:", udp_in), "--bitrate",
       route.stream.bitrate_text, "--duration", absl::StrFormat("%dms", duration.ToMilliseconds())},
      false);
  if (!tx.ok() || !send.ok()) {
    f.note = "could not start the SRT chain (see srt-*.err)";
    return f;
  }
  std::fprintf(stderr, "hitless-scenario: the same stream over srt-live-transmit (%.0f s)\n",
               seconds);
  while ((*send)->child->running() && !(interrupted != nullptr && interrupted->load())) {
    (*send)->child->Poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(
      std::chrono::milliseconds((route.stream.latency + Duration::Seconds(2)).ToMilliseconds()));
  const double cpu =
      (*tx)->child->CpuSeconds().value_or(0) + (*rx)->child->CpuSeconds().value_or(0);
  for (Leg* p : {*send, *tx, *rx, *recv, *net}) p->child->Stop(3000);
  const std::string probe = ReadFile(probe_json);
  const std::string link = ReadFile(Path("srt-link.json"));
  // hitless-probe send's last line: "sent N datagrams of ...".
  const std::string sent_line = LastLineStartingWith(Path("srt-probe-send.out"), "sent ");
  if (!sent_line.empty()) f.sent = std::strtod(sent_line.c_str() + 5, nullptr);
  f.received = JsonNumber(probe, {"unique"});
  f.p50_ms = JsonNumber(probe, {"p50"});
  f.p99_ms = JsonNumber(probe, {"p99"});
  const auto wire = JsonNumber(link, {"\"forward\"", "bytes_received"});
  const double media = f.sent.value_or(0) * 1316;
  if (wire && media > 0) f.overhead = *wire / media - 1;
  if (media > 0) f.cpu_s_per_gb = cpu / (media / 1e9);
  if (!f.received) f.note = "no probe report (see srt-*.err)";
  return f;
}

}  // namespace hitless::scenario
