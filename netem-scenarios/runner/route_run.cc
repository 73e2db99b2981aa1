// RouteRun (route_run.h): wiring, watching, judging.
#include "netem-scenarios/runner/route_run.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "netem-scenarios/runner/child.h"
#include "netem-scenarios/runner/netns.h"
#include "netem-scenarios/runner/srt_compare.h"
#include "transport/base/clock.h"

namespace hitless::scenario {
namespace {

using netem::HostRole;
using netem::RouteHost;
using netem::RouteLink;
using netem::RouteScenario;

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::optional<std::string> Find(const std::string& self_dir, const std::string& name,
                                const std::string& build_subdir) {
  for (const std::string& c : {absl::StrCat(self_dir, "/", name),
                               absl::StrCat(self_dir, "/../../", build_subdir, "/", name),
                               absl::StrCat(self_dir, "/../", build_subdir, "/", name)}) {
    if (Executable(c)) return c;
  }
  if (const char* path = std::getenv("PATH")) {
    for (const absl::string_view dir : absl::StrSplit(path, ':')) {
      const std::string c = absl::StrCat(dir, "/", name);
      if (!dir.empty() && Executable(c)) return c;
    }
  }
  return std::nullopt;
}

std::string Pct(double f) { return absl::StrFormat("%.4g%%", 100 * f); }

// One running program of the route.
struct Proc {
  std::string name;  // file stem: "relay-cloud", "netem-2", ...
  std::string host;  // route host it belongs to ("" for a link's emulator)
  std::unique_ptr<Child> child = std::make_unique<Child>();
  uint16_t port = 0;  // its listening port, if it listens
};

class Run {
 public:
  Run(const RouteScenario& route, const Programs& programs, const RunOptions& options)
      : route_(route), programs_(programs), options_(options) {
    duration_ = options.duration.value_or(route.duration);
  }
  ~Run() {
    StopAll();
    netns_.Destroy();
  }

  absl::StatusOr<RunResult> Go();

 private:
  std::string Path(const std::string& file) const { return options_.out_dir + "/" + file; }
  // `ns`: the network namespace to run in (netns mode; ignored otherwise).
  absl::StatusOr<Proc*> Start(const std::string& name, const std::string& host,
                              std::vector<std::string> argv, bool listens,
                              const std::string& ns = "");
  // Starts link `index`'s emulator; returns the address its caller dials.
  // `callee_port`: where the callee listens (loopback mode).
  absl::StatusOr<std::string> StartLink(size_t index, bool receiver_calls, uint16_t callee_port);
  std::string ListenAddress() const { return netns_.active() ? "0.0.0.0:9000" : "127.0.0.1:0"; }
  absl::Status Wire();
  std::string HitlessUrl(const std::string& address, bool first) const;
  void Watch(Time start);
  void Progress(double elapsed_s);
  void StopAll();
  void Judge(RunResult& result);
  SystemFigures HitlessFigures();
  double CpuOf(const char* prefix) const;
  void WriteSummary(const RunResult& result);

  const RouteScenario& route_;
  const Programs& programs_;
  const RunOptions& options_;
  Duration duration_;
  std::vector<std::unique_ptr<Proc>> procs_;
  std::map<std::string, uint16_t> relay_ports_;
  Netns netns_;
  std::vector<std::string> problems_;
  bool interrupted_ = false;
  SteadyClock clock_;
};

absl::StatusOr<Proc*> Run::Start(const std::string& name, const std::string& host,
                                 std::vector<std::string> argv, bool listens,
                                 const std::string& ns) {
  if (netns_.active() && !ns.empty()) {
    std::vector<std::string> exec = netns_.Exec(ns);
    argv.insert(argv.begin(), exec.begin(), exec.end());
  }
  auto p = std::make_unique<Proc>();
  p->name = name;
  p->host = host;
  if (auto s = p->child->Start(std::move(argv), Path(name + ".out"), Path(name + ".err"));
      !s.ok()) {
    return s;
  }
  if (listens) {
    auto port = p->child->WaitListening(5000);
    if (!port.ok()) return port.status();
    p->port = *port;
  }
  procs_.push_back(std::move(p));
  return procs_.back().get();
}

absl::StatusOr<std::string> Run::StartLink(size_t index, bool receiver_calls,
                                           uint16_t callee_port) {
  const RouteLink& link = route_.links[index];
  const std::string stem = absl::StrFormat("link%d-%s-%s", index + 1, link.from, link.to);
  const std::string file = Path(stem + ".toml");
  if (!WriteFile(file, receiver_calls ? link.netem_toml_swapped : link.netem_toml)) {
    return absl::InternalError(absl::StrCat("cannot write ", file));
  }
  const bool ns = netns_.active();
  const std::string listen = ns ? Netns::CallerFacing(index) + ":7000" : "127.0.0.1:0";
  const std::string forward =
      ns ? Netns::Callee(index) + ":9000" : absl::StrCat("127.0.0.1:", callee_port);
  auto p = Start(stem, "",
                 {programs_.netem, "--listen", listen, "--forward", forward, "--scenario", file,
                  "--quiet", "--stats-json", Path(stem + ".json")},
                 true, ns ? netns_.LinkNs(index) : "");
  if (!p.ok()) return p.status();
  return ns ? listen : absl::StrCat("127.0.0.1:", (*p)->port);
}

std::string Run::HitlessUrl(const std::string& address, bool first) const {
  if (!first) return absl::StrCat("hitless://", address);
  const netem::RouteStream& s = route_.stream;
  return absl::StrCat("hitless://", address, "?stream=", route_.name,
                      "&latency=", s.latency.ToMilliseconds(), "ms&fec=", s.fec,
                      "&arq=", s.arq ? "on" : "off");
}

absl::Status Run::Wire() {
  const std::string latency = absl::StrCat(route_.stream.latency.ToMilliseconds(), "ms");
  // Relays, in order of distance from the sender (an upstream first).
  std::vector<std::string> order = {route_.Sender().name};
  for (size_t i = 0; i < order.size(); ++i) {
    for (const RouteLink& l : route_.links) {
      if (l.from == order[i] && std::find(order.begin(), order.end(), l.to) == order.end()) {
        order.push_back(l.to);
      }
    }
  }
  for (const std::string& name : order) {
    const RouteHost* h = route_.Host(name);
    if (h->role != HostRole::kRelay) continue;
    std::string config = "[relay]\nopen = true\n";
    for (size_t i = 0; i < route_.links.size(); ++i) {
      const RouteLink& l = route_.links[i];
      if (l.to != name || route_.Host(l.from)->role != HostRole::kRelay) continue;
      const auto up = relay_ports_.find(l.from);
      if (up == relay_ports_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(l.where, ": relay \"", l.from, "\" feeds \"", name,
                         "\" but is not fed itself before it (a loop?)"));
      }
      auto dial = StartLink(i, true, up->second);
      if (!dial.ok()) return dial.status();
      absl::StrAppend(&config, "\n[[upstream]]\naddress = \"", *dial, "\"\nstream = \"",
                      route_.name, "\"\nlatency = \"", latency, "\"\n");
    }
    const std::string config_file = Path("relay-" + name + ".toml");
    if (!WriteFile(config_file, config)) return absl::InternalError("cannot write " + config_file);
    auto p =
        Start("relay-" + name, name,
              {programs_.relay, "--listen", ListenAddress(), "--config", config_file, "--latency",
               latency, "--stats-json", Path("relay-" + name + ".json"), "--status-interval", "1s"},
              true, netns_.active() ? netns_.HostNs(name) : "");
    if (!p.ok()) return p.status();
    relay_ports_[name] = (*p)->port;
    if (!netns_.active()) {
      // A restart must come back on the same port: the links forward there.
      std::vector<std::string> argv = (*p)->child->argv();
      argv[2] = absl::StrCat("127.0.0.1:", (*p)->port);
      (*p)->child->set_argv(std::move(argv));
    }
  }
  // Receivers.
  std::map<std::string, std::vector<std::string>> sender_targets;  // next host -> dial addresses
  for (const RouteHost& h : route_.hosts) {
    if (h.role != HostRole::kReceiver) continue;
    std::vector<std::string> urls;
    std::vector<size_t> direct;
    for (size_t i = 0; i < route_.links.size(); ++i) {
      const RouteLink& l = route_.links[i];
      if (l.to != h.name) continue;
      if (route_.Host(l.from)->role == HostRole::kSender) {
        direct.push_back(i);
        continue;
      }
      auto dial = StartLink(i, true, relay_ports_.at(l.from));
      if (!dial.ok()) return dial.status();
      urls.push_back(HitlessUrl(*dial, urls.empty()));
    }
    if (!direct.empty() && !urls.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "receiver \"", h.name, "\" is fed by the sender and by relays: not supported"));
    }
    const std::string stem = "recv-" + h.name;
    std::vector<std::string> argv = {programs_.recv};
    if (!direct.empty()) {
      argv.push_back(absl::StrCat("hitless://", ListenAddress(),
                                  "?mode=listener&stream=", route_.name, "&latency=", latency));
    } else {
      argv.insert(argv.end(), urls.begin(), urls.end());
    }
    for (const std::string& a :
         {absl::StrCat("verify://?report=", Path("verify-" + h.name + ".json")),
          std::string("--stats-json"), Path(stem + ".json"), std::string("--stats-series"),
          Path(stem + ".series.jsonl"), std::string("--status-interval"), std::string("1s")}) {
      argv.push_back(a);
    }
    auto p =
        Start(stem, h.name, argv, !direct.empty(), netns_.active() ? netns_.HostNs(h.name) : "");
    if (!p.ok()) return p.status();
    for (const size_t i : direct) {
      auto dial = StartLink(i, false, (*p)->port);
      if (!dial.ok()) return dial.status();
      sender_targets[h.name].push_back(*dial);
    }
  }
  // The sender's first hops into relays.
  for (size_t i = 0; i < route_.links.size(); ++i) {
    const RouteLink& l = route_.links[i];
    if (l.from != route_.Sender().name || route_.Host(l.to)->role != HostRole::kRelay) continue;
    auto dial = StartLink(i, false, relay_ports_.at(l.to));
    if (!dial.ok()) return dial.status();
    sender_targets[l.to].push_back(*dial);
  }
  // The stream starts once the route is up: every calling receiver
  // connected (its series says so within a second), then time for relays'
  // upstream pulls to connect (a handshake across every link), so the first
  // packets are not lost to a subscriber still joining.
  Duration settle = Duration::Milliseconds(300);
  for (const RouteLink& l : route_.links) settle = settle + l.media.params.delay.delay * 4;
  for (const auto& p : procs_) {
    if (p->name.rfind("recv-", 0) != 0 || p->port != 0) continue;
    for (int i = 0; i < 100; ++i) {
      if (LastLine(Path(p->name + ".series.jsonl")).find("\"state\": \"connected\"") !=
          std::string::npos) {
        break;
      }
      if (options_.interrupted != nullptr && options_.interrupted->load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(settle.ToMilliseconds()));
  // The sender: one destination (host) = paths; several = routes.
  std::vector<std::string> argv = {programs_.send,
                                   absl::StrCat("gen://?bitrate=", route_.stream.bitrate_text,
                                                "&duration=", duration_.ToMilliseconds(), "ms")};
  const bool routes = sender_targets.size() > 1;
  bool first = true;
  for (const auto& [host, ports] : sender_targets) {
    for (const std::string& port : ports) {
      std::string url = HitlessUrl(port, first);
      if (first) {
        if (routes) {
          absl::StrAppend(&url, "&multipath=routes");
        } else if (ports.size() > 1) {
          absl::StrAppend(&url, "&multipath=", route_.stream.multipath);
        }
      }
      first = false;
      argv.push_back(url);
      if (routes) break;  // a route per relay (its first link)
    }
  }
  for (const std::string& a :
       {std::string("--stats-json"), Path("send.json"), std::string("--stats-series"),
        Path("send.series.jsonl"), std::string("--status-interval"), std::string("1s")}) {
    argv.push_back(a);
  }
  auto p = Start("send", route_.Sender().name, argv, false,
                 netns_.active() ? netns_.HostNs(route_.Sender().name) : "");
  if (!p.ok()) return p.status();
  return absl::OkStatus();
}

void Run::Progress(double elapsed_s) {
  std::string line =
      absl::StrFormat("[%5.1f/%.0f s]", elapsed_s, duration_.ToMillisecondsF() / 1000);
  for (const auto& p : procs_) {
    if (p->name.rfind("recv-", 0) != 0) continue;
    const std::string last = LastLine(Path(p->name + ".series.jsonl"));
    if (last.empty()) {
      absl::StrAppend(&line, " ", p->host, ": waiting");
      continue;
    }
    absl::StrAppendFormat(&line, " %s: delivered %.0f lost %.0f repaired %.0f (fec %.0f)", p->host,
                          JsonNumber(last, {"delivered"}).value_or(0),
                          JsonNumber(last, {"lost_at_deadline"}).value_or(0),
                          JsonNumber(last, {"recovered_by_retransmission"}).value_or(0),
                          JsonNumber(last, {"recovered_by_fec"}).value_or(0));
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

void Run::Watch(Time start) {
  std::vector<bool> done(route_.events.size(), false);
  struct Pending {
    Time at;
    Proc* proc;
  };
  std::vector<Pending> restarts;
  Proc* sender = nullptr;
  for (const auto& p : procs_) {
    if (p->name == "send") sender = p.get();
  }
  const Duration grace = route_.stream.latency + Duration::Seconds(3);
  double next_progress = 1;
  while (true) {
    if (options_.interrupted != nullptr && options_.interrupted->load()) {
      interrupted_ = true;
      return;
    }
    const Time now = clock_.Now();
    const Duration elapsed = now - start;
    for (const auto& p : procs_) p->child->Poll();  // reap what exited
    for (size_t i = 0; i < route_.events.size(); ++i) {
      const netem::RouteEvent& e = route_.events[i];
      if (done[i] || elapsed < e.at) continue;
      done[i] = true;
      for (const auto& p : procs_) {
        if (p->host != e.kill) continue;
        std::fprintf(
            stderr, "hitless-scenario: %.1f s: kill -9 %s (%s)%s\n",
            elapsed.ToMillisecondsF() / 1000, p->host.c_str(), p->name.c_str(),
            e.restart ? absl::StrFormat(", restart in %.1f s", e.restart->ToMillisecondsF() / 1000)
                            .c_str()
                      : "");
        p->child->Kill();
        if (e.restart) restarts.push_back({now + *e.restart, p.get()});
      }
    }
    for (auto it = restarts.begin(); it != restarts.end();) {
      if (now < it->at) {
        ++it;
        continue;
      }
      if (auto s = it->proc->child->Restart(); !s.ok()) {
        problems_.push_back(absl::StrCat("restart of ", it->proc->name, ": ", s.message()));
      }
      it = restarts.erase(it);
    }
    // A process that died on its own (not killed by an event) is a problem.
    for (const auto& p : procs_) {
      const bool killed_by_event = std::any_of(
          route_.events.begin(), route_.events.end(),
          [&](const netem::RouteEvent& e) { return e.kill == p->host && e.at <= elapsed; });
      if (p.get() == sender || killed_by_event || p->child->running()) continue;
      if (const auto status = p->child->Poll();
          status && p->name.find("crashed") == std::string::npos) {
        problems_.push_back(absl::StrFormat("%s exited with status %d during the run (see %s.err)",
                                            p->name, *status, p->name));
        p->name += " (crashed)";
      }
    }
    if (options_.progress && elapsed.ToMillisecondsF() / 1000 >= next_progress) {
      Progress(elapsed.ToMillisecondsF() / 1000);
      next_progress += 1;
    }
    const bool sender_done = sender != nullptr && !sender->child->running() && restarts.empty();
    if (sender_done && elapsed >= duration_) break;
    if (elapsed > duration_ + grace + Duration::Seconds(10)) {
      problems_.push_back("the sender did not finish by the end of the run");
      break;
    }
    if (sender_done && elapsed < duration_ &&
        std::none_of(route_.events.begin(), route_.events.end(),
                     [&](const netem::RouteEvent& e) { return e.kill == sender->host; })) {
      problems_.push_back(absl::StrFormat("the sender exited early (status %d, see send.err)",
                                          sender->child->Poll().value_or(-1)));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The receivers play out the last latency window.
  std::this_thread::sleep_for(
      std::chrono::milliseconds((route_.stream.latency + Duration::Seconds(1)).ToMilliseconds()));
}

void Run::StopAll() {
  // Receivers first (their stats see the end), then relays, then links.
  for (const char* prefix : {"send", "recv-", "relay-", "link"}) {
    for (const auto& p : procs_) {
      if (p->name.rfind(prefix, 0) == 0 && p->child->running()) p->child->Stop(5000);
    }
  }
}

std::optional<double> Fraction(double part, double whole) {
  if (whole <= 0) return std::nullopt;
  return part / whole;
}

void Run::Judge(RunResult& result) {
  const std::string send = ReadFile(Path("send.json"));
  const auto sent = JsonNumber(send, {"\"input\"", "datagrams"});
  const auto media_bytes = JsonNumber(send, {"\"input\"", "bytes"});
  const auto bytes_out = JsonNumber(send, {"bytes_out"});
  const netem::RouteExpect& x = route_.expect;
  if (!sent) result.problems.push_back("send.json is missing or has no input figures");
  for (const RouteHost& h : route_.hosts) {
    if (h.role != HostRole::kReceiver) continue;
    const std::string verify = ReadFile(Path("verify-" + h.name + ".json"));
    const std::string recv = ReadFile(Path("recv-" + h.name + ".json"));
    const auto unique = JsonNumber(verify, {"unique"});
    if (!unique) result.problems.push_back(absl::StrCat("no verify report from ", h.name));
    if (x.max_residual_loss) {
      const auto loss =
          sent && unique ? Fraction(std::max(0.0, *sent - *unique), *sent) : std::nullopt;
      result.verdicts.push_back(
          {absl::StrCat("residual loss <= ", Pct(*x.max_residual_loss), " (", h.name, ")"),
           loss ? absl::StrFormat("%s (%.0f of %.0f)", Pct(*loss), *sent - *unique, *sent) : "n/a",
           loss && *loss <= *x.max_residual_loss + 1e-12});
    }
    if (x.max_loss_time) {
      // The stream's packet interval from what was sent over the run.
      const double seconds = duration_.ToMillisecondsF() / 1000;
      const std::optional<double> lost_s =
          sent && unique && *sent > 0
              ? std::optional<double>(std::max(0.0, *sent - *unique) * seconds / *sent)
              : std::nullopt;
      result.verdicts.push_back({absl::StrFormat("stream time lost <= %.2f s (%s)",
                                                 x.max_loss_time->ToMillisecondsF() / 1000, h.name),
                                 lost_s ? absl::StrFormat("%.2f s", *lost_s) : "n/a",
                                 lost_s && *lost_s <= x.max_loss_time->ToMillisecondsF() / 1000});
    }
    if (x.max_late) {
      const auto late = JsonNumber(recv, {"\"receiver\"", "late"});
      const auto f = sent && late ? Fraction(*late, *sent) : std::nullopt;
      result.verdicts.push_back({absl::StrCat("late <= ", Pct(*x.max_late), " (", h.name, ")"),
                                 f ? absl::StrFormat("%s (%.0f)", Pct(*f), *late) : "n/a",
                                 f && *f <= *x.max_late + 1e-12});
    }
    if (x.max_latency_p99) {
      const auto p99 = JsonNumber(verify, {"latency_ms", "p99"});
      result.verdicts.push_back({absl::StrFormat("latency p99 <= %.0f ms (%s)",
                                                 x.max_latency_p99->ToMillisecondsF(), h.name),
                                 p99 ? absl::StrFormat("%.1f ms", *p99) : "n/a",
                                 p99 && *p99 <= x.max_latency_p99->ToMillisecondsF()});
    }
  }
  if (x.max_overhead) {
    const auto f =
        bytes_out && media_bytes ? Fraction(*bytes_out - *media_bytes, *media_bytes) : std::nullopt;
    result.verdicts.push_back({absl::StrCat("sender overhead <= ", Pct(*x.max_overhead)),
                               f ? Pct(*f) : "n/a", f && *f <= *x.max_overhead + 1e-12});
  }
}

void Run::WriteSummary(const RunResult& result) {
  std::string j = absl::StrFormat(
      "{\"scenario\": \"%s\", \"file\": \"%s\", \"description\": \"%s\", \"duration_s\": %.3f, "
      "\"pass\": %s, \"interrupted\": %s,\n \"verdicts\": [",
      route_.name, route_.file, absl::StrReplaceAll(route_.description, {{"\"", "'"}}),
      duration_.ToMillisecondsF() / 1000, result.pass() ? "true" : "false",
      result.interrupted ? "true" : "false");
  for (size_t i = 0; i < result.verdicts.size(); ++i) {
    const Verdict& v = result.verdicts[i];
    absl::StrAppendFormat(&j, "%s\n  {\"expectation\": \"%s\", \"measured\": \"%s\", \"pass\": %s}",
                          i ? "," : "", v.expectation, v.measured, v.pass ? "true" : "false");
  }
  absl::StrAppend(&j, "],\n \"compared\": [");
  const auto num = [](const std::optional<double>& v) {
    return v ? absl::StrFormat("%.6g", *v) : std::string("null");
  };
  for (size_t i = 0; i < result.compared.size(); ++i) {
    const SystemFigures& c = result.compared[i];
    absl::StrAppendFormat(&j,
                          "%s\n  {\"system\": \"%s\", \"note\": \"%s\", \"sent\": %s, "
                          "\"received\": %s, \"latency_p50_ms\": %s, \"latency_p99_ms\": %s, "
                          "\"overhead\": %s, \"cpu_seconds_per_gb\": %s}",
                          i ? "," : "", c.system, absl::StrReplaceAll(c.note, {{"\"", "'"}}),
                          num(c.sent), num(c.received), num(c.p50_ms), num(c.p99_ms),
                          num(c.overhead), num(c.cpu_s_per_gb));
  }
  absl::StrAppend(&j, "],\n \"problems\": [");
  for (size_t i = 0; i < result.problems.size(); ++i) {
    absl::StrAppendFormat(&j, "%s\"%s\"", i ? ", " : "",
                          absl::StrReplaceAll(result.problems[i], {{"\"", "'"}}));
  }
  absl::StrAppend(&j, "],\n \"processes\": {");
  bool first = true;
  for (const auto& p : procs_) {
    std::string stem = p->name.substr(0, p->name.find(' '));
    const std::string stats = ReadFile(Path(stem + ".json"));
    if (stats.empty()) continue;
    absl::StrAppendFormat(&j, "%s\n  \"%s\": {\"host\": \"%s\", \"restarts\": %d, \"stats\": %s}",
                          first ? "" : ",", stem, p->host, p->child->restarts(), stats);
    first = false;
  }
  absl::StrAppend(&j, "}}\n");
  WriteFile(Path("summary.json"), j);
}

double Run::CpuOf(const char* prefix) const {
  double cpu = 0;
  for (const auto& p : procs_) {
    if (p->name.rfind(prefix, 0) == 0) cpu += p->child->CpuSeconds().value_or(0);
  }
  return cpu;
}

SystemFigures Run::HitlessFigures() {
  SystemFigures f;
  f.system = "hitless";
  const std::string send = ReadFile(Path("send.json"));
  f.sent = JsonNumber(send, {"\"input\"", "datagrams"});
  const auto media = JsonNumber(send, {"\"input\"", "bytes"});
  const auto out = JsonNumber(send, {"bytes_out"});
  for (const RouteHost& h : route_.hosts) {
    if (h.role != HostRole::kReceiver) continue;
    const std::string verify = ReadFile(Path("verify-" + h.name + ".json"));
    f.received = JsonNumber(verify, {"unique"});
    f.p50_ms = JsonNumber(verify, {"latency_ms", "p50"});
    f.p99_ms = JsonNumber(verify, {"latency_ms", "p99"});
    break;  // the first receiver
  }
  if (media && out && *media > 0) f.overhead = *out / *media - 1;
  if (media && *media > 0) f.cpu_s_per_gb = (CpuOf("send") + CpuOf("recv-")) / (*media / 1e9);
  return f;
}

absl::StatusOr<RunResult> Run::Go() {
  std::error_code ec;
  std::filesystem::create_directories(options_.out_dir, ec);
  if (!std::filesystem::is_directory(options_.out_dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out ", options_.out_dir, ": cannot make the directory: ", ec.message()));
  }
  if (options_.netns) {
    if (auto made = netns_.Create(route_, static_cast<int>(::getpid()), Path("netns.log"));
        !made.ok()) {
      return made;
    }
  }
  const Time start = clock_.Now();
  if (auto wired = Wire(); !wired.ok()) {
    StopAll();
    netns_.Destroy();
    return wired;
  }
  Watch(start);
  StopAll();
  netns_.Destroy();
  RunResult result;
  result.interrupted = interrupted_;
  result.problems = problems_;
  if (!interrupted_) Judge(result);
  if (options_.compare_srt && !interrupted_) {
    result.compared.push_back(HitlessFigures());
    result.compared.push_back(
        RunSrtBeside(route_, programs_, options_.out_dir, duration_, options_.interrupted));
  }
  WriteSummary(result);
  return result;
}

}  // namespace

bool RunResult::pass() const {
  return !interrupted && problems.empty() &&
         std::all_of(verdicts.begin(), verdicts.end(), [](const Verdict& v) { return v.pass; });
}

absl::StatusOr<Programs> FindPrograms(const std::string& self) {
  const std::string dir = DirOf(self);
  Programs p;
  std::vector<std::string> missing;
  const auto find = [&](const char* name, const char* sub, std::string& out) {
    if (auto f = Find(dir, name, sub)) {
      out = *f;
    } else {
      missing.push_back(name);
    }
  };
  find("hitless-send", "transport/apps", p.send);
  find("hitless-recv", "transport/apps", p.recv);
  find("hitless-relay", "relay", p.relay);
  find("hitless-netem", "netem-scenarios/emulator", p.netem);
  if (auto f = Find(dir, "hitless-probe", "netem-scenarios/runner")) p.probe = *f;
  if (auto f = Find(dir, "srt-live-transmit", "")) p.srt = *f;
  for (const std::string& c :
       {dir + "/scenario_report.py", dir + "/../../netem-scenarios/runner/scenario_report.py"}) {
    if (::access(c.c_str(), R_OK) == 0 && p.report.empty()) p.report = c;
  }
  if (!missing.empty()) {
    return absl::NotFoundError(absl::StrCat("cannot find ", absl::StrJoin(missing, ", "),
                                            " beside ", dir, ", in the build tree or in PATH"));
  }
  return p;
}

absl::StatusOr<RunResult> RunRoute(const netem::RouteScenario& route, const Programs& programs,
                                   const RunOptions& options) {
  Run run(route, programs, options);
  return run.Go();
}

std::string VerdictTable(const netem::RouteScenario& route, const RunResult& result) {
  std::string out = absl::StrFormat("%s: %s\n", route.name,
                                    result.interrupted ? "INTERRUPTED"
                                    : result.pass()    ? "PASS"
                                                       : "FAIL");
  size_t width = 10;
  for (const Verdict& v : result.verdicts) width = std::max(width, v.expectation.size());
  for (const Verdict& v : result.verdicts) {
    absl::StrAppendFormat(&out, "  %-4s  %-*s  measured %s\n", v.pass ? "ok" : "FAIL",
                          static_cast<int>(width), v.expectation, v.measured);
  }
  for (const std::string& p : result.problems) absl::StrAppend(&out, "  FAIL  ", p, "\n");
  if (!result.compared.empty()) {
    absl::StrAppend(&out, "  side by side, same link and latency:\n",
                    "    system   lost / sent        p50 ms   p99 ms   overhead   CPU s/GB\n");
    for (const SystemFigures& c : result.compared) {
      if (!c.received || !c.sent) {
        absl::StrAppendFormat(&out, "    %-7s  %s\n", c.system, c.note);
        continue;
      }
      absl::StrAppendFormat(
          &out, "    %-7s  %-17s  %7.1f  %7.1f  %8s  %9s\n", c.system,
          absl::StrFormat("%.0f / %.0f", std::max(0.0, *c.sent - *c.received), *c.sent),
          c.p50_ms.value_or(0), c.p99_ms.value_or(0),
          c.overhead ? absl::StrFormat("%.1f%%", 100 * *c.overhead) : "n/a",
          c.cpu_s_per_gb ? absl::StrFormat("%.1f", *c.cpu_s_per_gb) : "n/a");
    }
  }
  return out;
}

std::optional<double> JsonNumber(const std::string& json, const std::vector<std::string>& path) {
  size_t at = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& key = path[i];
    const std::string quoted = key.front() == '"' ? key : absl::StrCat("\"", key, "\"");
    const size_t found = json.find(quoted, at);
    if (found == std::string::npos) return std::nullopt;
    at = found + quoted.size();
  }
  while (at < json.size() && (json[at] == ' ' || json[at] == ':')) ++at;
  const char* begin = json.c_str() + at;
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  return v;
}

}  // namespace hitless::scenario
