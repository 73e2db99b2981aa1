// hitless-scenario: proves a contribution route before match day. Runs a
// route scenario (netem-scenarios/routes/*.toml, route.h) through the real
// programs on this machine and judges it against the file's expectations.
//
//   hitless-scenario run FILE [--out DIR] [--duration 30s] [--quiet]
//   hitless-scenario run-all DIR [--out DIR] [--duration 30s] [--quiet]
//   hitless-scenario list DIR
//
// Exit: 0 every expectation holds, 1 one does not (or a process failed),
// 2 a bad file or flag, 130 interrupted (everything it started is stopped).
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "netem-scenarios/model/route.h"
#include "netem-scenarios/runner/child.h"
#include "netem-scenarios/runner/netns.h"
#include "netem-scenarios/runner/route_run.h"
#include "transport/apps/flags.h"

namespace hitless::scenario {
namespace {

constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

constexpr const char* kSummary =
    "Usage: hitless-scenario run FILE [--out DIR] [--duration D] [--quiet]\n"
    "       hitless-scenario run-all DIR [--out DIR] [--duration D] [--quiet]\n"
    "       hitless-scenario list DIR\n"
    "  Proves a route before match day: runs a route scenario (hosts, impaired links,\n"
    "  outages, processes killed) through the real hitless-send, hitless-relay,\n"
    "  hitless-recv and hitless-netem on this machine, and judges it against the\n"
    "  file's [expect] table.";

constexpr const char* kEpilogue =
    "What it does: every host is a process on loopback ports (each link a\n"
    "  hitless-netem applying the link's impairment and timeline per direction); the\n"
    "  sender streams a gen:// test stream at the file's bitrate, each receiver checks\n"
    "  every packet (loss, duplicates, end-to-end delay). A line a second shows the\n"
    "  receivers' delivered, lost and repaired counts.\n"
    "Output (--out, default ./scenario-out/NAME): summary.json (verdict per\n"
    "  expectation and every process's final stats), send/recv *.series.jsonl (every\n"
    "  counter once a second), each process's log and stats, the links' scenario files.\n"
    "  A verdict table on stdout.\n"
    "Exit: 0 every expectation holds; 1 one does not, or a process crashed;\n"
    "  2 bad file or flag (file, line and problem named); 130 interrupted (Ctrl-C):\n"
    "  every process it started is stopped first.\n"
    "Scenario files: see netem-scenarios/routes/ and the README (\"hitless-scenario\").\n"
    "Examples:\n"
    "  hitless-scenario list netem-scenarios/routes\n"
    "  hitless-scenario run netem-scenarios/routes/broadband-relay.toml --duration 20s\n"
    "  hitless-scenario run-all netem-scenarios/routes --out /tmp/routes\n";

std::vector<std::string> ScenarioFiles(const std::string& dir, std::string* error) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *error = absl::StrCat(dir, ": cannot open directory");
    return files;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".toml") {
      files.push_back(dir + "/" + name);
    }
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

std::string SelfPath(const char* argv0) {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n > 0) return std::string(buffer, static_cast<size_t>(n));
  return argv0;
}

// report.html through scenario_report.py (python3-matplotlib); a report
// that cannot be made is said, and does not change the verdict.
void WriteReport(const Programs& programs, const std::string& out_dir) {
  if (programs.report.empty()) {
    std::fprintf(stderr, "hitless-scenario: no scenario_report.py beside the binary: no report\n");
    return;
  }
  Child report;
  const auto started = report.Start({"/usr/bin/python3", programs.report, out_dir},
                                    out_dir + "/report.out", out_dir + "/report.err");
  const auto status = started.ok() ? report.Wait(120'000) : std::nullopt;
  if (status == 0) {
    std::fprintf(stderr, "hitless-scenario: report %s/report.html\n", out_dir.c_str());
  } else {
    std::fprintf(stderr, "hitless-scenario: no report (see %s/report.err)\n", out_dir.c_str());
  }
}

int RunOne(const std::string& file, const Programs& programs, const std::string& out_dir,
           std::optional<Duration> duration, bool quiet, bool compare_srt, bool loopback,
           bool* passed) {
  auto route = netem::LoadRouteScenarioFile(file);
  if (!route.ok()) {
    std::fprintf(stderr, "hitless-scenario: %s\n", std::string(route.status().message()).c_str());
    return kExitUsage;
  }
  const Duration d = duration.value_or(route->duration);
  std::fprintf(stderr, "hitless-scenario: %s: %s (%.0f s, latency %.0f ms, %s) -> %s\n",
               route->name.c_str(), route->description.c_str(), d.ToMillisecondsF() / 1000,
               route->stream.latency.ToMillisecondsF(), route->stream.bitrate_text.c_str(),
               out_dir.c_str());
  RunOptions options;
  options.netns = !loopback && Netns::Available();
  if (options.netns) {
    std::fprintf(stderr,
                 "hitless-scenario: network namespaces: one per host and one per link (its "
                 "hitless-netem), joined by veth pairs\n");
  } else {
    std::fprintf(stderr,
                 "hitless-scenario: loopback mode: each host is a process on 127.0.0.1 with its "
                 "own ports, each link a hitless-netem%s\n",
                 loopback ? "" : " (network namespaces need root and a working 'ip netns')");
  }
  options.out_dir = out_dir;
  options.duration = duration;
  options.progress = !quiet;
  options.compare_srt = compare_srt;
  options.interrupted = &g_interrupted;
  auto result = RunRoute(*route, programs, options);
  if (!result.ok()) {
    std::fprintf(stderr, "hitless-scenario: %s: %s\n", route->name.c_str(),
                 std::string(result.status().message()).c_str());
    return result.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFail;
  }
  std::printf("%s", VerdictTable(*route, *result).c_str());
  std::fflush(stdout);
  if (!result->interrupted) WriteReport(programs, out_dir);
  *passed = result->pass();
  if (result->interrupted) return kExitInterrupted;
  return result->pass() ? 0 : kExitFail;
}

int Main(int argc, char** argv) {
  cli::FlagParser flags("hitless-scenario", kSummary, kEpilogue);
  flags.AddValue("out", "DIR", "where results go (run-all: one subdirectory per scenario)",
                 "./scenario-out/NAME");
  flags.AddValue("duration", "DURATION", "stream this long instead of the file's duration");
  flags.AddSwitch("quiet", "no progress lines");
  flags.AddSwitch("loopback",
                  "run every host on 127.0.0.1 even as root (default as root: a network "
                  "namespace per host and per link)");
  flags.AddValue("compare", "srt",
                 "then carry the same test stream through srt-live-transmit over the same link "
                 "at the same latency and print both (single-link routes; rist: not yet)");
  std::vector<std::string> positional, flag_args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      flag_args.push_back(a);
      // A value flag takes the next argument.
      if ((a == "--out" || a == "--duration" || a == "--compare") && i + 1 < argc) {
        flag_args.push_back(argv[++i]);
      }
    } else {
      positional.push_back(a);
    }
  }
  if (auto s = flags.Parse(flag_args); !s.ok()) {
    std::fprintf(stderr, "hitless-scenario: %s (see --help)\n", std::string(s.message()).c_str());
    return kExitUsage;
  }
  if (flags.help_requested()) {
    std::printf("%s", flags.HelpText().c_str());
    return 0;
  }
  auto duration = flags.GetDuration("duration");
  if (!duration.ok()) {
    std::fprintf(stderr, "hitless-scenario: %s\n",
                 std::string(duration.status().message()).c_str());
    return kExitUsage;
  }
  bool compare_srt = false;
  if (const auto compare = flags.GetString("compare")) {
    for (const absl::string_view system : absl::StrSplit(*compare, ',')) {
      if (system == "srt") {
        compare_srt = true;
      } else {
        std::fprintf(stderr,
                     "hitless-scenario: --compare %s: only srt is available (rist is not built "
                     "yet)\n",
                     std::string(system).c_str());
        return kExitUsage;
      }
    }
  }
  if (positional.size() != 2 ||
      (positional[0] != "run" && positional[0] != "run-all" && positional[0] != "list")) {
    std::fprintf(stderr,
                 "hitless-scenario: expected 'run FILE', 'run-all DIR' or 'list DIR' (see "
                 "--help)\n");
    return kExitUsage;
  }
  const std::string& command = positional[0];
  const std::string& target = positional[1];

  if (command == "list") {
    std::string error;
    const auto files = ScenarioFiles(target, &error);
    if (!error.empty()) {
      std::fprintf(stderr, "hitless-scenario: %s\n", error.c_str());
      return kExitUsage;
    }
    int bad = 0;
    for (const std::string& f : files) {
      auto route = netem::LoadRouteScenarioFile(f);
      if (!route.ok()) {
        std::printf("%-28s  INVALID: %s\n", f.c_str(),
                    std::string(route.status().message()).c_str());
        ++bad;
        continue;
      }
      std::printf("%-24s %4.0f s  %5.0f ms  %6s  %zu hosts %zu links  %s\n", route->name.c_str(),
                  route->duration.ToMillisecondsF() / 1000, route->stream.latency.ToMillisecondsF(),
                  route->stream.bitrate_text.c_str(), route->hosts.size(), route->links.size(),
                  route->description.c_str());
    }
    return bad > 0 ? kExitUsage : 0;
  }

  auto programs = FindPrograms(SelfPath(argv[0]));
  if (!programs.ok()) {
    std::fprintf(stderr, "hitless-scenario: %s\n",
                 std::string(programs.status().message()).c_str());
    return kExitFail;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const auto out_for = [&](const std::string& file) {
    std::string stem = file.substr(file.find_last_of('/') + 1);
    stem = stem.substr(0, stem.rfind('.'));
    if (const auto out = flags.GetString("out")) {
      return command == "run" ? *out : absl::StrCat(*out, "/", stem);
    }
    return absl::StrCat("scenario-out/", stem);
  };
  if (command == "run") {
    bool passed = false;
    return RunOne(target, *programs, out_for(target), *duration, flags.GetSwitch("quiet"),
                  compare_srt, flags.GetSwitch("loopback"), &passed);
  }
  std::string error;
  const auto files = ScenarioFiles(target, &error);
  if (!error.empty() || files.empty()) {
    std::fprintf(stderr, "hitless-scenario: %s\n",
                 error.empty() ? absl::StrCat(target, ": no .toml files").c_str() : error.c_str());
    return kExitUsage;
  }
  std::vector<std::pair<std::string, int>> results;
  for (const std::string& f : files) {
    bool passed = false;
    const int code = RunOne(f, *programs, out_for(f), *duration, flags.GetSwitch("quiet"),
                            compare_srt, flags.GetSwitch("loopback"), &passed);
    results.emplace_back(f, code);
    if (code == kExitInterrupted) break;
  }
  std::printf("\nrun-all %s:\n", target.c_str());
  int worst = 0;
  for (const auto& [f, code] : results) {
    std::printf("  %-6s %s\n",
                code == 0                  ? "PASS"
                : code == kExitInterrupted ? "STOP"
                : code == 2                ? "BAD"
                                           : "FAIL",
                f.c_str());
    worst = std::max(worst, code == kExitInterrupted ? kExitInterrupted
                            : code == 0              ? 0
                            : code == 2              ? 2
                                                     : 1);
  }
  return worst == 2 ? kExitUsage : worst;
}

}  // namespace
}  // namespace hitless::scenario

int main(int argc, char** argv) { return hitless::scenario::Main(argc, argv); }
