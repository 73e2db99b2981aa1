// The protocol's own cost per media packet, with the I/O taken away: a
// SenderSession and a ReceiverSession joined by two in-process delay lines
// (fixed delay, Bernoulli loss, preallocated slots: the harness itself never
// allocates), driven on one virtual clock. After a warm-up (buffers sized,
// FEC planned, RTT learnt) it counts, per media packet through both sessions:
//   allocs_per_packet  heap allocations (replacement operator new; the data
//                      path promises 0 in steady state, loss or not)
//   time_per_packet    both sessions' work per packet (seconds; the timed
//                      loop's time over the packets it carried)
// Arguments: Mbit/s, forward loss in 1/1000, FEC (0 none, 1 rs k=10 m=2,
// 2 adaptive).
//   cmake --preset release && cmake --build --preset release --target session_alloc_bench
//   build/release/tests/bench/session_alloc_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

#include "tests/sim/alloc_counter.h"
#include "tests/sim/session_pair.h"
#include "transport/base/time.h"

namespace hitless::session {
namespace {

using testing::Pair;

void BM_SessionPair(benchmark::State& state) {
  const auto bitrate = static_cast<uint64_t>(state.range(0)) * 1'000'000;
  const double loss = static_cast<double>(state.range(1)) / 1000;
  const int fec = static_cast<int>(state.range(2));
  Pair pair(bitrate, loss, fec);
  // Warm-up: buffers at their working size, RTT and FEC policy settled.
  pair.RunFor(Duration::Seconds(10));
  if (g_allocations.load(std::memory_order_relaxed) == 0) {
    state.SkipWithError("allocation counter is not counting");
    return;
  }
  const uint64_t sent_before = pair.sent;
  const uint64_t delivered_before = pair.media().delivered;
  const uint64_t lost_before = pair.receiver().stats().lost;
  g_allocations.store(0, std::memory_order_relaxed);
  for (auto _ : state) pair.RunFor(Duration::Milliseconds(100));
  const uint64_t allocations = g_allocations.load(std::memory_order_relaxed);
  const auto packets = static_cast<double>(pair.sent - sent_before);
  state.counters["allocs_per_packet"] = static_cast<double>(allocations) / packets;
  state.counters["time_per_packet"] =
      benchmark::Counter(packets, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["delivered"] = static_cast<double>(pair.media().delivered - delivered_before);
  state.counters["lost"] = static_cast<double>(pair.receiver().stats().lost - lost_before);
  state.counters["packets"] = packets;
}
BENCHMARK(BM_SessionPair)
    ->ArgNames({"mbps", "loss_permille", "fec"})
    ->Args({10, 0, 0})
    ->Args({100, 0, 0})
    ->Args({10, 20, 0})
    ->Args({100, 20, 0})
    ->Args({100, 20, 1})
    ->Args({100, 20, 2})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

}  // namespace
}  // namespace hitless::session

BENCHMARK_MAIN();
