// Simulator speed: simulated seconds per wall-clock second for a 10 Mbit/s
// stream of 1316-byte datagrams across an impaired link (and a 100 Mbit/s
// one), and the impairment model's cost per packet.
//   build/release/tests/bench/sim_bench
#include <benchmark/benchmark.h>

#include "netem-scenarios/model/link.h"
#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/sim/stream_nodes.h"

namespace hitless::sim {
namespace {

netem::DirectionConfig Spec(const char* spec) {
  return netem::DirectionConfig{*netem::ParseNetemSpec(spec), {}};
}

void BM_SimulateStream(benchmark::State& state) {
  const auto bitrate = static_cast<uint64_t>(state.range(0)) * 1'000'000;
  const Duration duration = Duration::Seconds(60);
  uint64_t datagrams = 0;
  for (auto _ : state) {
    Simulator sim(1);
    CbrSource source(sim, {.bitrate_bps = bitrate, .duration = duration});
    StreamSink sink;
    const NodeId a = sim.AddNode(&source);
    const NodeId b = sim.AddNode(&sink);
    const auto ports = sim.Connect(a, b, Spec("delay 30ms 5ms loss 5%"), Spec("delay 30ms"));
    source.AttachPort(a, ports.first);
    sim.Wake(a);
    sim.RunFor(duration + Duration::Seconds(1));
    datagrams += source.sent();
    benchmark::DoNotOptimize(sink.checker().unique());
  }
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(
      60.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["datagrams_per_s"] =
      benchmark::Counter(static_cast<double>(datagrams), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateStream)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_LinkEnqueueDequeue(benchmark::State& state) {
  netem::Link link(Spec("delay 30ms 5ms loss 5% duplicate 1% rate 100mbit"), 1, Time::Zero());
  Time now = Time::Zero();
  const std::vector<uint8_t> payload(1316, 0x47);
  for (auto _ : state) {
    link.Enqueue(netem::Packet{payload, 0}, now);
    while (auto p = link.DequeueDue(now)) benchmark::DoNotOptimize(p->data.data());
    now += Duration::Microseconds(100);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LinkEnqueueDequeue);

}  // namespace
}  // namespace hitless::sim

BENCHMARK_MAIN();
