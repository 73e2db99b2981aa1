// FEC: FEC_REPAIR body parsing plus the decoder fed a fuzzed mix of genuine
// sources, genuine repairs, mutated repairs, raw parsed repairs, Expire and
// clock steps. Invariants: no crash, bounded blocks in flight, and while only
// genuine repairs were delivered every rebuilt source equals the original.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"
#include "transport/wire/fec_repair.h"

namespace hitless {
namespace {

struct Original {
  uint32_t timestamp;
  std::vector<uint8_t> payload;
};

struct OwnedRepair {
  FecRepairBody body;
  int64_t base;
  std::vector<uint8_t> payload;
};

class Collect : public FecRepairSink {
 public:
  void OnRepair(const FecRepair& r) override {
    repairs.push_back({r.body, r.base_sequence, {r.body.payload.begin(), r.body.payload.end()}});
  }
  std::vector<OwnedRepair> repairs;
};

class Check : public FecDecoderSink {
 public:
  void OnRecovered(const FecSource& p) override {
    if (!genuine_only) return;
    auto it = originals->find(p.seq);
    if (it == originals->end() || it->second.timestamp != p.timestamp ||
        !std::equal(p.payload.begin(), p.payload.end(), it->second.payload.begin(),
                    it->second.payload.end())) {
      std::abort();
    }
  }
  void OnUnrecoverable(int64_t) override {}
  const std::map<int64_t, Original>* originals = nullptr;
  bool genuine_only = true;
};

}  // namespace
}  // namespace hitless

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hitless;
  FuzzedDataProvider fdp(data, size);
  FecEncoderConfig config;
  config.mode = static_cast<FecCodec>(fdp.ConsumeIntegralInRange<int>(0, 3));
  config.columns = fdp.ConsumeIntegralInRange<int>(1, 12);
  config.rows = fdp.ConsumeIntegralInRange<int>(1, 12);
  config.k = fdp.ConsumeIntegralInRange<int>(1, 30);
  config.m = fdp.ConsumeIntegralInRange<int>(1, config.k);
  config.interleave = fdp.ConsumeIntegralInRange<int>(1, 4);
  config.max_block_delay = Duration::Milliseconds(fdp.ConsumeIntegralInRange<int>(1, 50));
  auto encoder = CreateFecEncoder(config);
  if (!encoder.ok()) return 0;

  // Originals: n sources, lengths and bytes from the input, 1 ms apart.
  std::map<int64_t, Original> originals;
  Collect collect;
  const int n = fdp.ConsumeIntegralInRange<int>(1, 200);
  const int64_t first = fdp.ConsumeIntegralInRange<int64_t>(0, 1 << 20);
  const uint8_t fill = fdp.ConsumeIntegral<uint8_t>();
  for (int i = 0; i < n; ++i) {
    Original o;
    o.timestamp = static_cast<uint32_t>(i * 7919u);
    o.payload.assign(fdp.ConsumeIntegralInRange<size_t>(1, kMaxDataPayload),
                     static_cast<uint8_t>(fill + i));
    (*encoder)->OnSource(FecSource{first + i, o.timestamp, o.payload},
                         Time::Zero() + Duration::Milliseconds(i), collect);
    originals.emplace(first + i, std::move(o));
  }
  (*encoder)->Flush(collect);

  FecDecoderConfig dc;
  dc.window = fdp.ConsumeIntegralInRange<size_t>(1, 1024);
  dc.max_blocks = fdp.ConsumeIntegralInRange<size_t>(1, 16);
  dc.max_repair_symbols = fdp.ConsumeIntegralInRange<size_t>(1, 64);
  dc.block_timeout = Duration::Milliseconds(fdp.ConsumeIntegralInRange<int>(1, 100));
  FecDecoder decoder(dc);
  Check check;
  check.originals = &originals;
  Time now = Time::Zero();
  while (fdp.remaining_bytes() > 0) {
    switch (fdp.ConsumeIntegralInRange<int>(0, 6)) {
      case 0:
      case 1: {  // a genuine source
        const int64_t seq = first + fdp.ConsumeIntegralInRange<int>(0, n - 1);
        const Original& o = originals[seq];
        (void)decoder.OnSource(FecSource{seq, o.timestamp, o.payload}, now, check);
        break;
      }
      case 2: {  // a genuine repair
        if (collect.repairs.empty()) break;
        const auto& r =
            collect.repairs[fdp.ConsumeIntegralInRange<size_t>(0, collect.repairs.size() - 1)];
        FecRepairBody b = r.body;
        b.payload = r.payload;
        (void)decoder.OnRepair(b, r.base, now, check);
        break;
      }
      case 3: {  // a mutated repair
        if (collect.repairs.empty()) break;
        const auto& r =
            collect.repairs[fdp.ConsumeIntegralInRange<size_t>(0, collect.repairs.size() - 1)];
        FecRepairBody b = r.body;
        std::vector<uint8_t> payload = r.payload;
        b.source_count = fdp.ConsumeIntegral<uint16_t>();
        b.repair_count = fdp.ConsumeIntegral<uint8_t>();
        b.repair_index = fdp.ConsumeIntegral<uint8_t>();
        b.stride = fdp.ConsumeIntegral<uint8_t>();
        b.length_recovery ^= fdp.ConsumeIntegral<uint16_t>();
        payload.resize(fdp.ConsumeIntegralInRange<size_t>(0, kMaxDataPayload + 8));
        b.payload = payload;
        check.genuine_only = false;
        (void)decoder.OnRepair(b, r.base + fdp.ConsumeIntegralInRange<int>(-8, 8), now, check);
        break;
      }
      case 4: {  // a raw FEC_REPAIR body through the wire parser
        const auto raw = fdp.ConsumeBytes<uint8_t>(fdp.ConsumeIntegralInRange<size_t>(0, 1600));
        auto parsed = ParseFecRepair(raw);
        if (parsed.ok()) {
          check.genuine_only = false;
          (void)decoder.OnRepair(*parsed, first + static_cast<int32_t>(parsed->base_sequence % 512),
                                 now, check);
        }
        break;
      }
      case 5:
        decoder.Expire(first + fdp.ConsumeIntegralInRange<int>(0, n), check);
        break;
      case 6:
        now += Duration::Milliseconds(fdp.ConsumeIntegralInRange<int>(0, 40));
        decoder.OnTimer(now, check);
        break;
    }
    if (decoder.blocks_in_flight() > dc.max_blocks) std::abort();
  }
  return 0;
}
