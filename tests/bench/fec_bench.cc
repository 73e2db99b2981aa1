// FEC codec throughput (Google Benchmark): encode and decode-with-losses for
// XOR and Reed-Solomon with 1316-byte payloads. Bytes/s are source bytes.
//   cmake -S . -B build/fec-rel -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/fec-rel --target fec_bench && ./build/fec-rel/tests/bench/fec_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"

namespace hitless {
namespace {

constexpr size_t kPayload = 1316;

struct OwnedRepair {
  FecRepairBody body;
  int64_t base;
  std::vector<uint8_t> payload;
};

class CountSink : public FecRepairSink {
 public:
  void OnRepair(const FecRepair& r) override {
    benchmark::DoNotOptimize(r.body.payload.data());
    ++count;
  }
  uint64_t count = 0;
};

class CollectSink : public FecRepairSink {
 public:
  void OnRepair(const FecRepair& r) override {
    repairs.push_back({r.body, r.base_sequence, {r.body.payload.begin(), r.body.payload.end()}});
  }
  std::vector<OwnedRepair> repairs;
};

class NullDecoderSink : public FecDecoderSink {
 public:
  void OnRecovered(const FecSource& p) override {
    benchmark::DoNotOptimize(p.payload.data());
    ++recovered;
  }
  void OnUnrecoverable(int64_t) override { ++lost; }
  uint64_t recovered = 0;
  uint64_t lost = 0;
};

std::vector<std::vector<uint8_t>> Payloads(size_t n) {
  std::vector<std::vector<uint8_t>> out(n, std::vector<uint8_t>(kPayload));
  uint32_t x = 12345;
  for (auto& p : out) {
    for (auto& b : p) {
      x = x * 1103515245u + 12345u;
      b = static_cast<uint8_t>(x >> 24);
    }
  }
  return out;
}

FecEncoderConfig Config(bool rs, int k, int m) {
  FecEncoderConfig c;
  c.max_block_delay = Duration::Infinite();
  if (rs) {
    c.mode = FecCodec::kReedSolomon;
    c.k = k;
    c.m = m;
  } else if (m == 1) {
    c.mode = FecCodec::kXorRow;  // one repair per k sources
    c.columns = k;
  } else {
    c.mode = FecCodec::kXor2D;  // L = k columns, D = m rows
    c.columns = k;
    c.rows = m;
  }
  return c;
}

// Sources per pass: one full XOR matrix or RS block.
int BlockSources(bool rs, int k, int m) { return rs || m == 1 ? k : k * m; }

void Encode(benchmark::State& state, bool rs) {
  const int k = static_cast<int>(state.range(0));
  const int m = static_cast<int>(state.range(1));
  const int n = BlockSources(rs, k, m);
  auto payloads = Payloads(static_cast<size_t>(n));
  auto enc = *CreateFecEncoder(Config(rs, k, m));
  CountSink sink;
  int64_t seq = 0;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      enc->OnSource(FecSource{seq++, 1, payloads[i]}, Time::Zero(), sink);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * n * kPayload);
  state.counters["repairs/block"] = static_cast<double>(sink.count) / state.iterations();
}

// Each pass: one block with losses (RS: m sources; XOR row: 1; XOR 2-D: one
// per row) delivered to a long-lived decoder, repairs after their sources.
void Decode(benchmark::State& state, bool rs) {
  const int k = static_cast<int>(state.range(0));
  const int m = static_cast<int>(state.range(1));
  const int n = BlockSources(rs, k, m);
  auto payloads = Payloads(static_cast<size_t>(n));
  CollectSink collected;
  {
    auto enc = *CreateFecEncoder(Config(rs, k, m));
    for (int i = 0; i < n; ++i)
      enc->OnSource(FecSource{i, 1, payloads[i]}, Time::Zero(), collected);
  }
  std::vector<bool> lost(static_cast<size_t>(n), false);
  if (rs) {
    for (int i = 0; i < m; ++i) lost[static_cast<size_t>(i * (k / m))] = true;
  } else {
    for (int r = 0; r < (m == 1 ? 1 : m); ++r) lost[static_cast<size_t>(r * k + r % k)] = true;
  }
  FecDecoder dec;
  NullDecoderSink sink;
  int64_t base = 0;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      if (!lost[i]) (void)dec.OnSource(FecSource{base + i, 1, payloads[i]}, Time::Zero(), sink);
    }
    for (const auto& r : collected.repairs) {
      FecRepairBody b = r.body;
      b.payload = r.payload;
      (void)dec.OnRepair(b, base + r.base, Time::Zero(), sink);
    }
    base += n;
  }
  if (sink.lost != 0 || dec.stats().rejected.Total() != 0) state.SkipWithError("decode failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * n * kPayload);
  state.counters["recovered/block"] = static_cast<double>(sink.recovered) / state.iterations();
}

void BM_RsEncode(benchmark::State& s) { Encode(s, true); }
void BM_RsDecode(benchmark::State& s) { Decode(s, true); }
void BM_XorEncode(benchmark::State& s) { Encode(s, false); }
void BM_XorDecode(benchmark::State& s) { Decode(s, false); }

void RsArgs(benchmark::internal::Benchmark* b) {
  for (int k : {10, 20, 50}) {
    for (int m : {2, 4, 8}) b->Args({k, m});
  }
}
// XOR: (k, 1) = row FEC with L = k; (k, m) = 2-D with L = k columns, D = m rows.
void XorArgs(benchmark::internal::Benchmark* b) {
  for (int k : {10, 20, 50}) {
    for (int m : {1, 2, 4, 8}) {
      if (k * m <= kMaxBlockSpan) b->Args({k, m});
    }
  }
}

BENCHMARK(BM_RsEncode)->Apply(RsArgs);
BENCHMARK(BM_RsDecode)->Apply(RsArgs);
BENCHMARK(BM_XorEncode)->Apply(XorArgs);
BENCHMARK(BM_XorDecode)->Apply(XorArgs);

}  // namespace
}  // namespace hitless

BENCHMARK_MAIN();
