// FEC codec throughput (Google Benchmark): encode and decode-with-losses for
// XOR and Reed-Solomon with 1316-byte payloads. Bytes/s are source bytes.
// The *ChangingLoss benchmarks lose a different set of sources in every block
// (so the RS planner cannot reuse the last pattern's tables) and count heap
// allocations in the timed loop (allocs_per_block; the decoder promises 0).
//   cmake -S . -B build/fec-rel -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/fec-rel --target fec_bench && ./build/fec-rel/tests/bench/fec_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <random>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"
// Every heap allocation of the process is counted (replacement operator
// new, then plain malloc), so the other benchmarks here are unaffected.
#include "tests/sim/alloc_counter.h"

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

// One block's losses: which sources are dropped and which repairs (indices
// into the encoded block's repairs, in delivery order) rebuild them.
struct LossPattern {
  std::vector<uint8_t> lost;     // k flags
  std::vector<uint8_t> repairs;  // e = number of losses
  bool operator==(const LossPattern&) const = default;
};

// 64 patterns, cycled: e uniform in 1..max_losses, positions and repair rows
// drawn from a seeded PRNG, and no pattern equal to the one before it
// (cyclically), so every block needs a fresh RS plan.
std::vector<LossPattern> LossPatterns(int k, int max_losses, int repairs) {
  constexpr int kPatterns = 64;
  std::mt19937 rng(static_cast<uint32_t>(k * 1000 + max_losses));
  std::vector<int> sources(static_cast<size_t>(k));
  std::vector<int> rows(static_cast<size_t>(repairs));
  std::iota(sources.begin(), sources.end(), 0);
  std::iota(rows.begin(), rows.end(), 0);
  auto draw = [&] {
    LossPattern p;
    const int e = std::uniform_int_distribution<int>(1, max_losses)(rng);
    std::shuffle(sources.begin(), sources.end(), rng);
    std::shuffle(rows.begin(), rows.end(), rng);
    p.lost.assign(static_cast<size_t>(k), 0);
    for (int i = 0; i < e; ++i) {
      p.lost[static_cast<size_t>(sources[i])] = 1;
      p.repairs.push_back(static_cast<uint8_t>(rows[i]));
    }
    return p;
  };
  std::vector<LossPattern> out;
  while (out.size() < kPatterns) {
    LossPattern p = draw();
    const bool repeats_previous = !out.empty() && p == out.back();
    const bool repeats_first = out.size() == kPatterns - 1 && p == out.front();
    if (!repeats_previous && !repeats_first) out.push_back(std::move(p));
  }
  return out;
}

// Counts rebuilt sources and checks each one: always its seq range, timestamp
// and length (cheap), and the payload bytes too when `compare_payloads`.
class VerifyingSink : public FecDecoderSink {
 public:
  explicit VerifyingSink(const std::vector<std::vector<uint8_t>>& payloads) : payloads_(payloads) {}
  void OnRecovered(const FecSource& p) override {
    ++recovered;
    const int64_t i = p.seq - base;
    if (i < 0 || i >= static_cast<int64_t>(payloads_.size()) ||
        p.timestamp != Timestamp(static_cast<int>(i)) || p.payload.size() != kPayload ||
        (compare_payloads && std::memcmp(p.payload.data(), payloads_[i].data(), kPayload) != 0)) {
      ++wrong;
    }
    benchmark::DoNotOptimize(p.payload.data());
  }
  void OnUnrecoverable(int64_t) override { ++lost; }
  static uint32_t Timestamp(int i) { return 9000u + static_cast<uint32_t>(i); }

  int64_t base = 0;  // seq of the block's first source
  bool compare_payloads = true;
  uint64_t recovered = 0;
  uint64_t wrong = 0;
  uint64_t lost = 0;

 private:
  const std::vector<std::vector<uint8_t>>& payloads_;
};

// Each pass: one block (RS: k sources, m repairs; XOR row: L = k, 1 repair)
// losing the next precomputed pattern's sources, then exactly the pattern's
// repairs, to a long-lived decoder. A warm-up pass over every pattern (not
// timed) compares all rebuilt payloads and lets the planner's scratch reach
// its largest size; the timed passes check counts, seqs, timestamps, lengths.
void DecodeChangingLoss(benchmark::State& state, bool rs) {
  const int k = static_cast<int>(state.range(0));
  const int m = rs ? static_cast<int>(state.range(1)) : 1;
  auto payloads = Payloads(static_cast<size_t>(k));
  CollectSink collected;
  {
    auto enc = *CreateFecEncoder(Config(rs, k, m));
    for (int i = 0; i < k; ++i) {
      enc->OnSource(FecSource{i, VerifyingSink::Timestamp(i), payloads[i]}, Time::Zero(),
                    collected);
    }
  }
  if (collected.repairs.size() != static_cast<size_t>(m)) {
    state.SkipWithError("encoder did not close the block");
    return;
  }
  const std::vector<LossPattern> patterns = LossPatterns(k, m, m);
  std::vector<FecRepairBody> bodies;
  for (const auto& r : collected.repairs) {
    bodies.push_back(r.body);
    bodies.back().payload = r.payload;  // r.base is 0: the only block
  }

  FecDecoder dec;
  VerifyingSink sink(payloads);
  uint64_t expected = 0;
  auto run_block = [&](const LossPattern& p) {
    for (int i = 0; i < k; ++i) {
      if (!p.lost[i]) {
        (void)dec.OnSource(FecSource{sink.base + i, VerifyingSink::Timestamp(i), payloads[i]},
                           Time::Zero(), sink);
      }
    }
    for (uint8_t r : p.repairs) (void)dec.OnRepair(bodies[r], sink.base, Time::Zero(), sink);
    sink.base += k;
    expected += p.repairs.size();
    return sink.recovered == expected && sink.wrong == 0;
  };

  for (const LossPattern& p : patterns) {
    if (!run_block(p)) {
      state.SkipWithError("warm-up: lost sources not rebuilt correctly");
      return;
    }
  }
  // The setup above allocated: a zero count means the replacement operator new
  // is not the one in use, and allocs_per_block would be meaningless.
  if (g_allocations.load(std::memory_order_relaxed) == 0) {
    state.SkipWithError("allocation counter is not counting");
    return;
  }
  sink.compare_payloads = false;
  size_t next = 0;
  uint64_t losses = 0;
  g_allocations.store(0, std::memory_order_relaxed);
  for (auto _ : state) {
    const LossPattern& p = patterns[next];
    next = next + 1 == patterns.size() ? 0 : next + 1;
    losses += p.repairs.size();
    if (!run_block(p)) {
      state.SkipWithError("lost sources not rebuilt");
      break;
    }
  }
  const uint64_t allocations = g_allocations.load(std::memory_order_relaxed);
  if (sink.lost != 0 || dec.stats().rejected.Total() != 0) state.SkipWithError("decode failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * k * kPayload);
  const auto per_block = [&](uint64_t v) {
    return static_cast<double>(v) / static_cast<double>(std::max<uint64_t>(state.iterations(), 1));
  };
  state.counters["lost/block"] = per_block(losses);
  state.counters["allocs_per_block"] = per_block(allocations);
}

void BM_RsEncode(benchmark::State& s) { Encode(s, true); }
void BM_RsDecode(benchmark::State& s) { Decode(s, true); }
void BM_XorEncode(benchmark::State& s) { Encode(s, false); }
void BM_XorDecode(benchmark::State& s) { Decode(s, false); }
void BM_RsDecodeChangingLoss(benchmark::State& s) { DecodeChangingLoss(s, true); }
void BM_XorRowDecodeChangingLoss(benchmark::State& s) { DecodeChangingLoss(s, false); }

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
BENCHMARK(BM_RsDecodeChangingLoss)->Apply(RsArgs);
// XOR row (L = k, one repair per row): the lost position moves every row.
BENCHMARK(BM_XorRowDecodeChangingLoss)->Arg(10)->Arg(20)->Arg(50);

}  // namespace
}  // namespace hitless

BENCHMARK_MAIN();
