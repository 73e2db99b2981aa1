// Prints the README's ARQ table: residual loss and retransmission overhead
// against loss rate and latency budget, from the deterministic simulator
// (10 Mbit/s, 60 s, RTT 60 ms, independent loss on both directions), beside
// the erasure-channel minimum overhead p / (1 - p).
//   build/release/tests/bench/arq_table [--seconds 60]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/session_harness.h"

int main(int argc, char** argv) {
  int seconds = 60;
  if (argc == 3 && std::strcmp(argv[1], "--seconds") == 0) seconds = std::atoi(argv[2]);
  if (seconds <= 0) {
    std::fprintf(stderr, "usage: arq_table [--seconds N]\n");
    return 2;
  }
  const double losses[] = {1, 2, 5, 10, 20};
  const int rtt_multiples[] = {2, 3, 4, 8};
  std::printf(
      "| loss (each way) | latency | residual loss | retransmit overhead | minimum p/(1-p) |\n");
  std::printf("|---|---|---|---|---|\n");
  for (const double loss : losses) {
    for (const int k : rtt_multiples) {
      hitless::sim::ArqRun run;
      char spec[64];
      std::snprintf(spec, sizeof(spec), "delay 30ms loss %g%%", loss);
      run.forward = spec;
      run.reverse = spec;
      run.latency = hitless::Duration::Milliseconds(60 * k);
      run.duration = hitless::Duration::Seconds(seconds);
      const auto r = hitless::sim::RunArq(run);
      const double p = loss / 100;
      std::printf("| %g%% | %d ms (%dxRTT) | %llu / %llu (%.2g) | %.2f%% | %.2f%% |\n", loss,
                  60 * k, k, static_cast<unsigned long long>(r.missing),
                  static_cast<unsigned long long>(r.sent),
                  static_cast<double>(r.missing) / static_cast<double>(r.sent),
                  100 * r.retransmit_overhead, 100 * p / (1 - p));
    }
  }
  return 0;
}
