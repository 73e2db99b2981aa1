// RouteRun: one route scenario carried by the real programs on this
// machine (loopback ports; each link one hitless-netem), watched while it
// runs, and judged against its expectations.
//
// Wiring (route.h's topology): every relay listens; a relay fed by another
// relay pulls from it ([[upstream]] in its config); a receiver fed by relays
// calls each of them (two relays: two routes, merged); a receiver fed by the
// sender directly listens and the sender calls it (several links: paths of
// one session); the sender calls its first hops (two relays: routes). Each
// link is a hitless-netem whose listener the caller calls and which forwards
// to the listening end; the link's "forward" tables are the media direction,
// so they are exchanged when the receiving end is the caller.
//
// Out directory: the link scenario files, every process's stdout/stderr,
// --stats-json and --stats-series files, verify reports, summary.json.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "netem-scenarios/model/route.h"

namespace hitless::scenario {

struct Programs {
  std::string send, recv, relay, netem;
  std::string report;  // scenario_report.py; empty if not found
  std::string probe;   // hitless-probe (for --compare)
  std::string srt;     // srt-live-transmit, from PATH; empty if not installed
};

// Finds the programs beside `self` (installed), in the build tree's layout,
// or in PATH; an error names what is missing.
absl::StatusOr<Programs> FindPrograms(const std::string& self);

struct RunOptions {
  std::string out_dir;
  // Also carry the same test stream through srt-live-transmit over the same
  // link, at the same latency (single-link routes only), and report both.
  bool compare_srt = false;
  // One network namespace per host and per link (netns.h; needs root).
  bool netns = false;
  std::optional<Duration> duration;  // overrides the file's
  bool progress = true;              // a line per second on stderr
  const std::atomic<bool>* interrupted = nullptr;
};

struct Verdict {
  std::string expectation;  // e.g. "max_residual_loss <= 0% (studio)"
  std::string measured;
  bool pass = false;
};

// One system's figures over the route, for the side-by-side table.
struct SystemFigures {
  std::string system;  // "hitless", "srt"
  std::string note;    // why figures are missing, when they are
  std::optional<double> sent, received, p50_ms, p99_ms, overhead, cpu_s_per_gb;
};

struct RunResult {
  std::vector<Verdict> verdicts;
  std::vector<SystemFigures> compared;  // with compare_srt: hitless, then srt
  std::vector<std::string> problems;    // a process that crashed, a missing file
  bool interrupted = false;
  bool pass() const;
};

absl::StatusOr<RunResult> RunRoute(const netem::RouteScenario& route, const Programs& programs,
                                   const RunOptions& options);

// The verdict table, as printed on stdout.
std::string VerdictTable(const netem::RouteScenario& route, const RunResult& result);

// A number in our own JSON output: the first occurrence of each key in turn
// (path = {"input", "bytes"}: the "bytes" after the first "input").
std::optional<double> JsonNumber(const std::string& json, const std::vector<std::string>& path);

}  // namespace hitless::scenario
