// Prints the README's FEC table: residual loss and total overhead for each
// loss model x latency budget x repair mode, from the deterministic simulator
// (10 Mbit/s of 1316-byte packets, RTT 60 ms, the same impairment both ways),
// beside the erasure-channel minimum overhead p / (1 - p). Modes use what the
// URL options give: ARQ (fec=none), FEC (fec=rs,k=20,m=4&arq=off), FEC+ARQ
// (fec=rs,k=20,m=4), adaptive+ARQ (fec=adaptive), adaptive (fec=adaptive&arq=off).
//   build/release/tests/bench/fec_table [--seconds 60]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/session_harness.h"
#include "transport/session/fec_config.h"

namespace {

using hitless::Duration;
using hitless::sim::ArqRun;

struct LossModel {
  const char* name;
  std::string spec;  // netem spec of both directions (delay included)
  std::vector<std::pair<Duration, std::string>> changes;  // forward only
  double average;                                         // average loss rate, for p / (1 - p)
};

struct Mode {
  const char* name;
  bool fec = false;
  bool adaptive = false;
  bool arq = true;
};

std::string Short(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1e", v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60;
  if (argc == 3 && std::strcmp(argv[1], "--seconds") == 0) seconds = std::atoi(argv[2]);
  if (seconds <= 0) {
    std::fprintf(stderr, "usage: fec_table [--seconds N]\n");
    return 2;
  }
  const Duration third = Duration::Seconds(seconds) / 3;
  const std::vector<LossModel> models = {
      {"random 2%", "delay 30ms loss 2%", {}, 0.02},
      {"random 5%", "delay 30ms loss 5%", {}, 0.05},
      // p / (p + r) = 3%, mean burst 1 / r = 8 packets.
      {"bursts 3% (GE, mean 8)", "delay 30ms loss gemodel 0.3866% 12.5%", {}, 0.03},
      {"1% -> 8% -> 1% (thirds)",
       "delay 30ms loss 1%",
       {{third, "delay 30ms loss 8%"}, {third * 2, "delay 30ms loss 1%"}},
       (0.01 + 0.08 + 0.01) / 3},
  };
  const int rtt_multiples_x2[] = {2, 3, 8};  // 1, 1.5 and 4 x RTT
  const Mode modes[] = {
      {"ARQ", false, false, true},
      {"FEC rs(20,4)", true, false, false},
      {"FEC+ARQ rs(20,4)", true, false, true},
      {"adaptive FEC", true, true, false},
      {"adaptive FEC+ARQ", true, true, true},
  };
  // One row per loss model x latency; each mode's cell is
  // "residual loss / total overhead (FEC + retransmission bytes)".
  std::printf("| loss model | latency | minimum p/(1-p) |");
  for (const Mode& mode : modes) std::printf(" %s |", mode.name);
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < std::size(modes); ++i) std::printf("---|");
  std::printf("\n");
  for (const LossModel& model : models) {
    for (const int x2 : rtt_multiples_x2) {
      const double p = model.average;
      std::printf("| %s | %d ms (%gxRTT) | %.2f%% |", model.name, 30 * x2, x2 / 2.0,
                  100 * p / (1 - p));
      for (const Mode& mode : modes) {
        ArqRun run;
        run.forward = model.spec;
        run.reverse = model.spec;
        run.forward_changes = model.changes;
        run.latency = Duration::Milliseconds(30 * x2);
        run.duration = Duration::Seconds(seconds);
        run.arq = mode.arq;
        // As a session negotiates it: fec=adaptive (k=20, m=10, i=8), or
        // fec=rs,k=20,m=4; blocks sized to the latency.
        if (mode.adaptive) {
          hitless::FecConfig wire;
          wire.mode = hitless::FecMode::kReedSolomonAdaptive;
          wire.k = 20;
          wire.m = 10;
          wire.interleave = 8;
          run.fec_adaptive = hitless::session::AdaptiveConfigFor(wire, mode.arq, run.latency);
        } else if (mode.fec) {
          hitless::FecEncoderConfig fec;
          fec.mode = hitless::FecCodec::kReedSolomon;
          fec.k = 20;
          fec.m = 4;
          fec.max_block_delay = hitless::session::FecBlockDelayFor(run.latency);
          run.fec = fec;
        }
        const auto r = hitless::sim::RunArq(run);
        const double residual = static_cast<double>(r.missing) / static_cast<double>(r.sent);
        std::printf(" %s / %.1f%% |", residual == 0 ? "0" : Short(residual).c_str(),
                    100 * (r.fec_overhead + r.retransmit_overhead));
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
  return 0;
}
