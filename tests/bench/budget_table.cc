// Prints the README's send-budget tables from the deterministic simulator:
// 10 Mbit/s of 1316-byte packets, 30 ms each way (RTT 60 ms).
//   1. Bottlenecks of 1.05x / 1.2x / 1.5x the stream rate with drop-tail
//      queues of 50 / 100 / 500 ms, random loss 0 / 1 / 2% (both ways),
//      latency 2x / 4x / 8x RTT;
//   2. Gilbert-Elliott bursts (3% average, mean burst 5 / 10 / 20 packets) at
//      2x / 4x / 8x RTT on a path with room;
//   3. the capacity falling from 2x to 1.1x the stream rate mid-stream, and
//      an on/off competing flow taking 40% of a 1.5x bottleneck.
// Each cell: residual loss / total overhead (FEC + retransmitted bytes over
// the DATA bytes) / mean queueing delay the sender measured, for ARQ alone
// (no fec=), fixed FEC+ARQ (fec=rs,k=20,m=4) and adaptive FEC+ARQ
// (fec=adaptive). A '!' marks a cell where FEC on lost more than ARQ alone.
//   build/release/tests/bench/budget_table [--seconds 60] [--seeds N] [--full]
// (--full prints every combination; the default prints the README's rows.)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "tests/sim/session_harness.h"

namespace {

using hitless::Duration;
using hitless::sim::ArqResult;
using hitless::sim::ArqRun;

struct Mode {
  const char* name;
  bool fec = false;
  bool adaptive = false;
};
const Mode kModes[] = {
    {"ARQ", false, false}, {"FEC+ARQ rs(20,4)", true, false}, {"adaptive FEC+ARQ", false, true}};

ArqRun Configure(const Mode& mode, ArqRun run) {
  if (mode.fec) return hitless::sim::WithFixedFec(run);
  if (mode.adaptive) return hitless::sim::WithAdaptiveFec(run);
  return run;
}

std::string Cell(const ArqResult& r, const ArqResult& arq) {
  char buf[96];
  const double residual = r.sent ? static_cast<double>(r.missing) / static_cast<double>(r.sent) : 0;
  const double overhead = r.retransmit_overhead + r.fec_overhead;
  const char* worse = r.missing > arq.missing ? "!" : "";
  if (r.missing == 0) {
    std::snprintf(buf, sizeof(buf), "0 / %.1f%% / %.0f ms", 100 * overhead, r.queueing_mean_ms);
  } else {
    std::snprintf(buf, sizeof(buf), "%s%.1e / %.1f%% / %.0f ms", worse, residual, 100 * overhead,
                  r.queueing_mean_ms);
  }
  return buf;
}

struct Case {
  std::string name;
  ArqRun run;
};

// --trace SUBSTRING MODE: the budget and queueing samples of one run.
const char* g_trace = nullptr;
int g_seeds = 1;
int g_trace_mode = 0;

void Trace(const Case& c) {
  const ArqResult r = hitless::sim::RunArq(Configure(kModes[g_trace_mode], c.run));
  std::printf(
      "%s, %s: missing %llu late %llu no-time %llu sender-too-late %llu nacks %llu "
      "withheld %llu cuts %llu\n",
      c.name.c_str(), kModes[g_trace_mode].name, static_cast<unsigned long long>(r.missing),
      static_cast<unsigned long long>(r.late), static_cast<unsigned long long>(r.no_time_to_repair),
      static_cast<unsigned long long>(r.too_late_at_sender),
      static_cast<unsigned long long>(r.nacks), static_cast<unsigned long long>(r.fec_withheld),
      static_cast<unsigned long long>(r.congestion_events));
  for (const auto& [t, budget, queueing] : r.budget_samples) {
    std::printf("  t %6.2f s  budget %6.2f Mbit/s  queueing %5.1f ms\n", t, budget * 1e-6,
                queueing);
  }
}

void PrintRows(const std::vector<Case>& cases, int* worse_count) {
  if (g_trace) {
    for (const Case& c : cases) {
      if (c.name.find(g_trace) != std::string::npos) Trace(c);
    }
    return;
  }
  std::printf("| case |");
  for (const Mode& m : kModes) std::printf(" %s |", m.name);
  std::printf("\n|---|");
  for (size_t i = 0; i < std::size(kModes); ++i) std::printf("---|");
  std::printf("\n");
  for (const Case& c : cases) {
    std::vector<ArqResult> results;
    for (const Mode& m : kModes) {
      // Several seeds: residual loss under bursts is a count of rare events.
      ArqResult sum;
      for (int seed = 1; seed <= g_seeds; ++seed) {
        ArqRun run = Configure(m, c.run);
        run.seed = static_cast<uint64_t>(seed);
        const ArqResult r = hitless::sim::RunArq(run);
        const double w = 1.0 / g_seeds;
        sum.sent += r.sent;
        sum.missing += r.missing;
        sum.retransmit_overhead += w * r.retransmit_overhead;
        sum.fec_overhead += w * r.fec_overhead;
        sum.queueing_mean_ms += w * r.queueing_mean_ms;
      }
      results.push_back(sum);
    }
    std::printf("| %s |", c.name.c_str());
    for (const ArqResult& r : results) {
      std::printf(" %s |", Cell(r, results[0]).c_str());
      if (r.missing > results[0].missing) ++*worse_count;
    }
    std::printf("\n");
    std::fflush(stdout);
  }
}

std::string Bottleneck(double factor, int queue_ms, double loss) {
  char pct[32];
  std::snprintf(pct, sizeof(pct), "%g%%", loss * 100);
  return hitless::sim::BottleneckSpec(factor, queue_ms, pct);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60;
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--trace") == 0 && i + 2 < argc) {
      g_trace = argv[++i];
      g_trace_mode = std::clamp(std::atoi(argv[++i]), 0, 2);
    } else if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
      g_seeds = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--full") == 0) {
      full = true;
    } else {
      std::fprintf(stderr,
                   "usage: budget_table [--seconds N] [--full] [--seeds N] [--trace NAME MODE]\n");
      return 2;
    }
  }
  if (seconds <= 0) return 2;
  const Duration duration = Duration::Seconds(seconds);
  int worse = 0;

  std::vector<Case> bottlenecks;
  for (const double factor : {1.05, 1.2, 1.5}) {
    for (const int queue : {50, 100, 500}) {
      for (const double loss : {0.0, 0.01, 0.02}) {
        for (const int rtts : {2, 4, 8}) {
          if (!full && !(rtts == 2 || (rtts == 4 && loss == 0.01))) continue;
          if (!full && loss == 0.02 && factor != 1.05) continue;
          ArqRun run;
          run.forward = Bottleneck(factor, queue, loss);
          run.reverse = loss > 0 ? "delay 30ms loss " + std::to_string(loss * 100) + "%"
                                 : std::string("delay 30ms");
          run.latency = Duration::Milliseconds(60 * rtts);
          run.duration = duration;
          char name[128];
          std::snprintf(name, sizeof(name), "%.2fx, queue %d ms, loss %.0f%%, %dxRTT", factor,
                        queue, loss * 100, rtts);
          bottlenecks.push_back({name, run});
        }
      }
    }
  }
  std::printf("Bottlenecks (residual / overhead / mean queueing delay):\n\n");
  PrintRows(bottlenecks, &worse);

  std::vector<Case> bursts;
  for (const int burst : {5, 10, 20}) {
    for (const int rtts : {2, 4, 8}) {
      const double r = 1.0 / burst;
      const double p = 0.03 * r / 0.97;
      ArqRun run;
      char spec[128];
      std::snprintf(spec, sizeof(spec), "delay 30ms loss gemodel %.4f%% %.2f%%", 100 * p, 100 * r);
      run.forward = spec;
      run.reverse = spec;
      run.latency = Duration::Milliseconds(60 * rtts);
      run.duration = duration;
      char name[96];
      std::snprintf(name, sizeof(name), "GE 3%%, mean burst %d, %dxRTT", burst, rtts);
      bursts.push_back({name, run});
    }
  }
  std::printf("\nBursts (residual / overhead / mean queueing delay):\n\n");
  PrintRows(bursts, &worse);

  std::vector<Case> changing;
  {
    ArqRun run;
    run.forward = Bottleneck(2.0, 100, 0.01);
    run.reverse = "delay 30ms loss 1%";
    run.latency = Duration::Milliseconds(240);
    run.duration = duration;
    run.forward_changes = {{duration / 2, Bottleneck(1.1, 100, 0.01)}};
    changing.push_back({"2x -> 1.1x at half time, queue 100 ms, 1%, 4xRTT", run});
    // An on/off flow taking 3 of 15 Mbit/s for 5 s out of every 10 s
    // (modelled as the capacity left to us: the simulator has one flow).
    ArqRun onoff = run;
    onoff.forward = Bottleneck(1.5, 100, 0.01);
    onoff.forward_changes.clear();
    for (int t = 5; t < seconds; t += 10) {
      onoff.forward_changes.push_back({Duration::Seconds(t), Bottleneck(1.2, 100, 0.01)});
      onoff.forward_changes.push_back({Duration::Seconds(t + 5), Bottleneck(1.5, 100, 0.01)});
    }
    changing.push_back({"1.5x, 1.2x while a 3 Mbit/s flow is on (5 s on / 5 s off), 4xRTT", onoff});
  }
  std::printf("\nChanging capacity (residual / overhead / mean queueing delay):\n\n");
  PrintRows(changing, &worse);
  std::printf("\ncells where FEC on lost more than ARQ alone: %d\n", worse);
  return 0;
}
