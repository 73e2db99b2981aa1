// Writes the seed corpus for fec_fuzz (tests/fuzz/corpus/fec is its checked-in
// output): small scripts that take every scheme through recovery, give-up
// (Expire, timeout, eviction, full buffer), rejected and mutated repairs and
// the raw FEC_REPAIR parse path, one file each.
// Usage: make_fec_corpus <output-dir> (created if missing)
//
// fec_fuzz reads its input through FuzzedDataProvider: integers from the END
// of the input, each in as few bytes as its range needs, most significant byte
// first; byte strings from the front. A Seed records the values in the order
// fec_fuzz consumes them and lays the bytes out that way. Each step is also run
// here on a real encoder and decoder built exactly as fec_fuzz builds them, so
// a seed that stops doing what its name says (say, after a decoder change)
// fails here instead of silently becoming a useless seed.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"
#include "transport/wire/fec_repair.h"
#include "transport/wire/header.h"

namespace {

using namespace hitless;

constexpr size_t kMaxSeedSize = 4096;

// The byte layout FuzzedDataProvider reads back as the recorded values.
class InputWriter {
 public:
  // A value of ConsumeIntegralInRange(min, max).
  void Int(int64_t min, int64_t max, int64_t value) {
    if (value < min || value > max) {
      std::fprintf(stderr, "value %lld outside [%lld, %lld]\n", static_cast<long long>(value),
                   static_cast<long long>(min), static_cast<long long>(max));
      std::abort();
    }
    values_.push_back({min, max, value, {}, false});
    const uint64_t range = static_cast<uint64_t>(max) - static_cast<uint64_t>(min);
    const uint64_t offset = static_cast<uint64_t>(value) - static_cast<uint64_t>(min);
    // FuzzedDataProvider takes bytes while range >> (8 * taken) is non-zero
    // (none for a single-value range), each shifted in below the previous.
    int bytes = 0;
    while (bytes < 8 && (range >> (8 * bytes)) != 0) ++bytes;
    for (int i = bytes - 1; i >= 0; --i) tail_.push_back(static_cast<uint8_t>(offset >> (8 * i)));
  }
  // ConsumeBytes(bytes.size()).
  void Bytes(const std::vector<uint8_t>& bytes) {
    values_.push_back({0, 0, 0, bytes, true});
    head_.insert(head_.end(), bytes.begin(), bytes.end());
  }
  std::vector<uint8_t> Data() const {
    std::vector<uint8_t> out = head_;
    out.insert(out.end(), tail_.rbegin(), tail_.rend());
    return out;
  }
  // Reads `data` back the way fec_fuzz does: every value, nothing left over.
  bool ReadsBack(const std::vector<uint8_t>& data) const {
    FuzzedDataProvider fdp(data.data(), data.size());
    for (const Value& v : values_) {
      if (v.is_bytes ? fdp.ConsumeBytes<uint8_t>(v.bytes.size()) != v.bytes
                     : fdp.ConsumeIntegralInRange<int64_t>(v.min, v.max) != v.value) {
        return false;
      }
    }
    return fdp.remaining_bytes() == 0;
  }

 private:
  struct Value {
    int64_t min, max, value;
    std::vector<uint8_t> bytes;
    bool is_bytes;
  };
  std::vector<Value> values_;
  std::vector<uint8_t> head_;
  std::vector<uint8_t> tail_;  // in the order consumed (read from the end)
};

// fec_fuzz's parameters, in the order it consumes them. XOR ignores k and m
// and RS ignores columns and rows, but they are consumed all the same.
struct SeedConfig {
  FecCodec mode = FecCodec::kReedSolomon;
  int columns = 1;          // 1..12
  int rows = 1;             // 1..12
  int k = 1;                // 1..30
  int m = 1;                // 1..k
  int interleave = 1;       // 1..4
  int block_delay_ms = 50;  // 1..50; sources are 1 ms apart
  int n = 1;                // sources, 1..200
  int64_t first = 0;        // 0..2^20
  uint8_t fill = 0x47;
  std::function<size_t(int)> length = [](int i) { return 20 + static_cast<size_t>(i * 7 % 50); };
  size_t window = 1024;            // 1..1024
  size_t max_blocks = 16;          // 1..16
  size_t max_repair_symbols = 64;  // 1..64
  int block_timeout_ms = 100;      // 1..100
};

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

// fec_fuzz's Check, counting instead of aborting.
class Check : public FecDecoderSink {
 public:
  void OnRecovered(const FecSource& p) override {
    if (!genuine_only) return;
    auto it = originals->find(p.seq);
    if (it == originals->end() || it->second.timestamp != p.timestamp ||
        !std::equal(p.payload.begin(), p.payload.end(), it->second.payload.begin(),
                    it->second.payload.end())) {
      ++wrong;
    }
  }
  void OnUnrecoverable(int64_t) override {}
  const std::map<int64_t, Original>* originals = nullptr;
  bool genuine_only = true;
  int wrong = 0;
};

// The fields fec_fuzz's "mutated repair" step replaces (length_recovery is
// XORed, the base shifted).
struct Mutation {
  uint16_t source_count;
  uint8_t repair_count;
  uint8_t repair_index;
  uint8_t stride;
  uint16_t length_xor = 0;
  size_t payload_size;
  int base_delta = 0;  // -8..8
};

// What a seed must do when run, checked by Write (-1: anything).
struct Want {
  int recovered = -1;
  int unrecoverable = -1;
  int min_rejected = 0;
  int min_evicted = 0;
  int min_recovered = 0;
  int min_unrecoverable = 0;
};

class Seed {
 public:
  explicit Seed(const SeedConfig& c) : c_(c) {
    in_.Int(0, 3, static_cast<int>(c.mode));
    in_.Int(1, 12, c.columns);
    in_.Int(1, 12, c.rows);
    in_.Int(1, 30, c.k);
    in_.Int(1, c.k, c.m);
    in_.Int(1, 4, c.interleave);
    in_.Int(1, 50, c.block_delay_ms);
    FecEncoderConfig ec;
    ec.mode = c.mode;
    ec.columns = c.columns;
    ec.rows = c.rows;
    ec.k = c.k;
    ec.m = c.m;
    ec.interleave = c.interleave;
    ec.max_block_delay = Duration::Milliseconds(c.block_delay_ms);
    auto encoder = *CreateFecEncoder(ec);

    in_.Int(1, 200, c.n);
    in_.Int(0, 1 << 20, c.first);
    in_.Int(0, 255, c.fill);
    for (int i = 0; i < c.n; ++i) {
      Original o;
      o.timestamp = static_cast<uint32_t>(i * 7919u);
      const size_t len = c.length(i);
      in_.Int(1, kMaxDataPayload, static_cast<int64_t>(len));
      o.payload.assign(len, static_cast<uint8_t>(c.fill + i));
      encoder->OnSource(FecSource{c.first + i, o.timestamp, o.payload},
                        Time::Zero() + Duration::Milliseconds(i), collect_);
      originals_.emplace(c.first + i, std::move(o));
      emitted_after_.push_back(collect_.repairs.size());
    }
    encoder->Flush(collect_);

    in_.Int(1, 1024, static_cast<int64_t>(c.window));
    in_.Int(1, 16, static_cast<int64_t>(c.max_blocks));
    in_.Int(1, 64, static_cast<int64_t>(c.max_repair_symbols));
    in_.Int(1, 100, c.block_timeout_ms);
    FecDecoderConfig dc;
    dc.window = c.window;
    dc.max_blocks = c.max_blocks;
    dc.max_repair_symbols = c.max_repair_symbols;
    dc.block_timeout = Duration::Milliseconds(c.block_timeout_ms);
    decoder_ = std::make_unique<FecDecoder>(dc);
    check_.originals = &originals_;
  }

  int n() const { return c_.n; }
  const std::vector<OwnedRepair>& repairs() const { return collect_.repairs; }

  // The index (in emission order) of repair `index` of the block starting at
  // source `offset` (relative to the first source).
  size_t Find(FecScheme scheme, int offset, int index) const {
    for (size_t i = 0; i < repairs().size(); ++i) {
      const OwnedRepair& r = repairs()[i];
      if (r.body.scheme == scheme && r.base == c_.first + offset && r.body.repair_index == index) {
        return i;
      }
    }
    std::fprintf(stderr, "no repair %d of block %d\n", index, offset);
    std::abort();
  }

  void Source(int i) {
    in_.Int(0, 6, 0);
    in_.Int(0, c_.n - 1, i);
    const Original& o = originals_.at(c_.first + i);
    (void)decoder_->OnSource(FecSource{c_.first + i, o.timestamp, o.payload}, now_, check_);
  }
  void Sources(const std::set<int>& lost) {
    for (int i = 0; i < c_.n; ++i) {
      if (!lost.contains(i)) Source(i);
    }
  }
  void Repair(size_t index) {
    in_.Int(0, 6, 2);
    in_.Int(0, static_cast<int64_t>(repairs().size()) - 1, static_cast<int64_t>(index));
    const OwnedRepair& r = repairs()[index];
    FecRepairBody b = r.body;
    b.payload = r.payload;
    (void)decoder_->OnRepair(b, r.base, now_, check_);
  }
  void AllRepairs() {
    for (size_t i = 0; i < repairs().size(); ++i) Repair(i);
  }
  // The sender's order: each source (unless lost), each repair right after
  // the source that closed its block, the flushed repairs last.
  void SendAll(const std::set<int>& lost) {
    size_t next = 0;
    for (int i = 0; i < c_.n; ++i) {
      if (!lost.contains(i)) Source(i);
      for (; next < emitted_after_[static_cast<size_t>(i)]; ++next) Repair(next);
    }
    for (; next < repairs().size(); ++next) Repair(next);
  }

  Mutation Unchanged(size_t index) const {
    const OwnedRepair& r = repairs()[index];
    return {r.body.source_count,
            r.body.repair_count,
            r.body.repair_index,
            r.body.stride,
            0,
            r.payload.size(),
            0};
  }
  void Mutated(size_t index, const Mutation& mu) {
    in_.Int(0, 6, 3);
    in_.Int(0, static_cast<int64_t>(repairs().size()) - 1, static_cast<int64_t>(index));
    in_.Int(0, 0xFFFF, mu.source_count);
    in_.Int(0, 0xFF, mu.repair_count);
    in_.Int(0, 0xFF, mu.repair_index);
    in_.Int(0, 0xFF, mu.stride);
    in_.Int(0, 0xFFFF, mu.length_xor);
    in_.Int(0, kMaxDataPayload + 8, static_cast<int64_t>(mu.payload_size));
    in_.Int(-8, 8, mu.base_delta);
    const OwnedRepair& r = repairs()[index];
    FecRepairBody b = r.body;
    std::vector<uint8_t> payload = r.payload;
    b.source_count = mu.source_count;
    b.repair_count = mu.repair_count;
    b.repair_index = mu.repair_index;
    b.stride = mu.stride;
    b.length_recovery ^= mu.length_xor;
    payload.resize(mu.payload_size);
    b.payload = payload;
    check_.genuine_only = false;
    (void)decoder_->OnRepair(b, r.base + mu.base_delta, now_, check_);
  }

  // A raw FEC_REPAIR body (fec_fuzz maps its base to first + base % 512)
  // that the wire parser must accept or refuse as `parses` says.
  void Raw(const std::vector<uint8_t>& body, bool parses = true) {
    in_.Int(0, 6, 4);
    in_.Int(0, 1600, static_cast<int64_t>(body.size()));
    in_.Bytes(body);
    auto parsed = ParseFecRepair(body);
    if (parsed.ok() != parses) raw_unexpected_ = true;
    if (parsed.ok()) {
      check_.genuine_only = false;
      (void)decoder_->OnRepair(
          *parsed, c_.first + static_cast<int32_t>(parsed->base_sequence % 512), now_, check_);
    }
  }
  // The body of a genuine repair, its base written so fec_fuzz maps it back.
  std::vector<uint8_t> RawOf(size_t index) const {
    const OwnedRepair& r = repairs()[index];
    FecRepairBody b = r.body;
    b.payload = r.payload;
    b.base_sequence = static_cast<uint32_t>(r.base - c_.first);
    Header header;
    header.session_id = 1;  // 0 is for handshakes only
    uint8_t buf[kMaxDatagramSize];
    const size_t size = Serialize(header, b, buf);
    if (size <= kHeaderSize) std::abort();
    return {buf + kHeaderSize, buf + size};
  }

  void Expire(int before) {
    in_.Int(0, 6, 5);
    in_.Int(0, c_.n, before);
    decoder_->Expire(c_.first + before, check_);
  }
  void Advance(int ms) {
    in_.Int(0, 6, 6);
    in_.Int(0, 40, ms);
    now_ += Duration::Milliseconds(ms);
    decoder_->OnTimer(now_, check_);
  }

  bool Write(const std::string& dir, const std::string& name, const Want& want) const {
    const std::vector<uint8_t> data = in_.Data();
    const FecDecoderStats& s = decoder_->stats();
    const auto recovered = static_cast<int>(s.recovered);
    const auto unrecoverable = static_cast<int>(s.unrecoverable);
    const auto rejected = static_cast<int>(s.rejected.Total());
    const auto evicted = static_cast<int>(s.blocks_evicted);
    std::printf("%-34s %5zu bytes %3zu repairs: recovered %3d unrecoverable %3d evicted %2d",
                name.c_str(), data.size(), repairs().size(), recovered, unrecoverable, evicted);
    s.rejected.ForEach([](DropReason r, uint64_t count) {
      if (count != 0) {
        std::printf(" %.*s %llu", static_cast<int>(DropReasonName(r).size()),
                    DropReasonName(r).data(), static_cast<unsigned long long>(count));
      }
    });
    std::printf(" | accepted: %d sources, %d repairs (%d unneeded); %d blocks given up\n",
                static_cast<int>(s.sources), static_cast<int>(s.repairs),
                static_cast<int>(s.repairs_unneeded), static_cast<int>(s.blocks_given_up));
    const char* problem = nullptr;
    if (data.size() > kMaxSeedSize) {
      problem = "larger than 4 KiB";
    } else if (!in_.ReadsBack(data)) {
      problem = "does not read back as written (layout bug)";
    } else if (raw_unexpected_) {
      problem = "a raw body was parsed or refused against expectation";
    } else if (check_.wrong != 0) {
      problem = "a genuine-only run rebuilt a wrong source (decoder bug)";
    } else if ((want.recovered >= 0 && recovered != want.recovered) ||
               (want.unrecoverable >= 0 && unrecoverable != want.unrecoverable) ||
               rejected < want.min_rejected || evicted < want.min_evicted ||
               recovered < want.min_recovered || unrecoverable < want.min_unrecoverable) {
      problem = "no longer does what it is named for";
    }
    if (problem != nullptr) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), problem);
      return false;
    }
    const std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(data.data(), 1, data.size(), f) != data.size() ||
        std::fclose(f) != 0) {
      std::perror(path.c_str());
      return false;
    }
    return true;
  }

 private:
  SeedConfig c_;
  InputWriter in_;
  Collect collect_;
  std::map<int64_t, Original> originals_;
  std::vector<size_t> emitted_after_;  // repairs emitted once source i was fed
  std::unique_ptr<FecDecoder> decoder_;
  Check check_;
  Time now_ = Time::Zero();
  bool raw_unexpected_ = false;
};

SeedConfig Rs(int k, int m, int n, int interleave = 1) {
  SeedConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = k;
  c.m = m;
  c.n = n;
  c.interleave = interleave;
  return c;
}

SeedConfig Xor(FecCodec mode, int columns, int rows, int n) {
  SeedConfig c;
  c.mode = mode;
  c.columns = columns;
  c.rows = rows;
  c.n = n;
  return c;
}

// Source index of row r, column c of an L-column matrix.
int At(int columns, int r, int c) { return r * columns + c; }

// A raw FEC_REPAIR body: the 16 fixed bytes (scheme, index, k, m, stride,
// base, length and timestamp recovery, big-endian) and `payload` zero bytes.
std::vector<uint8_t> RawBody(uint8_t scheme, uint8_t index, uint16_t k, uint8_t m, uint8_t stride,
                             uint32_t base, size_t payload) {
  std::vector<uint8_t> b = {scheme,
                            index,
                            static_cast<uint8_t>(k >> 8),
                            static_cast<uint8_t>(k),
                            m,
                            stride,
                            static_cast<uint8_t>(base >> 24),
                            static_cast<uint8_t>(base >> 16),
                            static_cast<uint8_t>(base >> 8),
                            static_cast<uint8_t>(base),
                            0,
                            30,
                            0,
                            0,
                            0,
                            1};
  b.resize(b.size() + payload, 0);
  return b;
}

// Bursty random losses (a 2-state model: a burst starts with 10 %, goes on
// with 60 %) for the longer "soak" seeds. mt19937's output is standardized,
// the distributions' are not, so no distributions: same seeds everywhere.
std::set<int> BurstyLosses(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::set<int> lost;
  bool bad = false;
  for (int i = 0; i < n; ++i) {
    bad = rng() % 100 < (bad ? 60u : 10u);
    if (bad) lost.insert(i);
  }
  return lost;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output-dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  bool ok = true;
  constexpr auto kRs = FecScheme::kReedSolomon;
  constexpr auto kRow = FecScheme::kXorRow;
  constexpr auto kColumn = FecScheme::kXorColumn;

  // ---- Reed-Solomon: recoverable patterns.
  {
    Seed s(Rs(10, 2, 10));
    s.SendAll({3, 7});
    ok &= s.Write(dir, "rs_k10_m2_lose2", {.recovered = 2, .unrecoverable = 0});
  }
  {  // Repairs before any source: the block waits for its sources.
    Seed s(Rs(20, 4, 20));
    s.AllRepairs();
    s.Sources({0, 5, 6, 19});
    ok &= s.Write(dir, "rs_k20_m4_repairs_first", {.recovered = 4, .unrecoverable = 0});
  }
  {  // Lengths 1 and 1452 in one block: padding and exact lengths rebuilt.
    SeedConfig c = Rs(30, 8, 30);
    c.length = [](int i) { return i % 3 == 0 ? size_t{1452} : i % 3 == 1 ? size_t{1} : 700u + i; };
    Seed s(c);
    s.SendAll({0, 1, 2, 10, 11, 20, 28, 29});
    ok &= s.Write(dir, "rs_k30_m8_full_size", {.recovered = 8, .unrecoverable = 0});
  }
  {  // m = k: every source rebuilt from repairs alone.
    Seed s(Rs(5, 5, 5));
    s.AllRepairs();
    ok &= s.Write(dir, "rs_k5_m5_all_lost", {.recovered = 5, .unrecoverable = 0});
  }
  {  // k = 1: the repair is a copy.
    Seed s(Rs(1, 1, 3));
    s.SendAll({0, 2});
    ok &= s.Write(dir, "rs_k1_m1", {.recovered = 2, .unrecoverable = 0});
  }
  {  // I = 4: a burst of I x m = 8 leaves 2 losses in each of the 4 blocks.
    Seed s(Rs(6, 2, 24, 4));
    s.SendAll({4, 5, 6, 7, 8, 9, 10, 11});
    ok &= s.Write(dir, "rs_interleave4_burst", {.recovered = 8, .unrecoverable = 0});
  }
  {  // Two groups of I = 3 blocks: a burst of 3 is rebuilt, 2 losses in one
     // block of m = 1 are not.
    SeedConfig c = Rs(4, 1, 24, 3);
    c.first = 1 << 20;
    Seed s(c);
    s.SendAll({0, 1, 2, 12, 15});
    s.Expire(24);
    ok &= s.Write(dir, "rs_interleave3_partial", {.recovered = 3, .unrecoverable = 2});
  }
  {  // max_block_delay 5 ms at one source per ms: short blocks (k' < k), one
     // loss each.
    SeedConfig c = Rs(20, 3, 30);
    c.block_delay_ms = 5;
    Seed probe(c);
    std::set<int> lost;
    for (const OwnedRepair& r : probe.repairs()) lost.insert(static_cast<int>(r.base - c.first));
    Seed s(c);
    s.SendAll(lost);
    ok &= s.Write(dir, "rs_short_blocks",
                  {.recovered = static_cast<int>(lost.size()), .unrecoverable = 0});
  }

  // ---- Reed-Solomon: giving up.
  {  // Block 0 loses 3 > m; block 1 loses 1.
    Seed s(Rs(10, 2, 20));
    s.SendAll({1, 2, 3, 12});
    s.Expire(10);
    s.Expire(20);
    ok &= s.Write(dir, "rs_too_many_losses_expire", {.recovered = 1, .unrecoverable = 3});
  }
  {  // Block 0 times out 10 ms after its first repair; its repair after that
     // is too late; block 1 is rebuilt later on.
    SeedConfig c = Rs(8, 2, 16);
    c.block_timeout_ms = 10;
    Seed s(c);
    for (int i = 3; i < 8; ++i) s.Source(i);
    s.Repair(s.Find(kRs, 0, 0));
    s.Advance(5);
    s.Advance(10);
    s.Repair(s.Find(kRs, 0, 1));
    for (int i = 8; i < 16; ++i) {
      if (i != 9) s.Source(i);
    }
    s.Repair(s.Find(kRs, 8, 1));
    s.Advance(40);
    ok &= s.Write(dir, "rs_block_timeout", {.recovered = 1, .unrecoverable = 3, .min_rejected = 1});
  }
  {  // max_blocks = 1: each unsolvable block evicts the one before.
    SeedConfig c = Rs(5, 1, 20);
    c.max_blocks = 1;
    Seed s(c);
    s.SendAll({0, 1, 5, 6, 10, 11, 15, 16});
    s.Expire(20);
    ok &=
        s.Write(dir, "rs_evict_max_blocks", {.recovered = 0, .unrecoverable = 8, .min_evicted = 3});
  }
  {  // 4 repair buffers: block 0 holds them all (5 losses > m), block 1 needs
     // buffers and evicts it.
    SeedConfig c = Rs(10, 4, 30);
    c.max_repair_symbols = 4;
    Seed s(c);
    s.SendAll({0, 1, 2, 3, 4, 12, 13, 20, 21, 22, 23});
    ok &= s.Write(dir, "rs_repair_buffers_full",
                  {.recovered = 6, .unrecoverable = 5, .min_evicted = 1});
  }
  {  // An 8-source window: a 10-source block does not fit.
    SeedConfig c = Rs(10, 2, 20);
    c.window = 8;
    Seed s(c);
    s.SendAll({2, 15});
    s.Source(0);
    ok &= s.Write(dir, "rs_window_too_small", {.recovered = 0, .min_rejected = 5});
  }
  {  // Duplicate and unneeded repairs, duplicate sources.
    Seed s(Rs(10, 3, 20));
    s.Sources({4, 11, 12});
    s.Repair(s.Find(kRs, 0, 0));   // rebuilds 4
    s.Repair(s.Find(kRs, 0, 0));   // nothing left to rebuild
    s.Repair(s.Find(kRs, 0, 2));   // nor here
    s.Source(4);                   // already rebuilt
    s.Source(5);                   // already received
    s.Repair(s.Find(kRs, 10, 2));  // held
    s.Repair(s.Find(kRs, 10, 2));  // duplicate
    s.Repair(s.Find(kRs, 10, 0));  // rebuilds 11 and 12
    ok &= s.Write(dir, "rs_duplicates", {.recovered = 3, .unrecoverable = 0, .min_rejected = 3});
  }

  // ---- Reed-Solomon: mutated and raw repairs.
  {  // One field broken per repair: each is refused.
    SeedConfig c = Rs(8, 2, 16);
    c.first = 100;
    Seed s(c);
    s.Sources({2, 9});
    const size_t r = s.Find(kRs, 0, 0);
    Mutation mu = s.Unchanged(r);
    mu.repair_count = 0;  // m = 0
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.repair_index = 5;  // index >= m
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.source_count = 0;  // k = 0
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.source_count = 300;  // k + m > 255
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.payload_size = kMaxDataPayload + 8;  // oversized
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.payload_size = 0;  // empty
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.payload_size = 10;  // shorter than the sources it covers
    s.Mutated(r, mu);
    s.Repair(s.Find(kRs, 8, 0));
    ok &= s.Write(dir, "rs_mutated_fields", {.min_rejected = 6});
  }
  {  // Plausible mutations the decoder solves into garbage: a shifted base,
     // another stride, another k, flipped length bits (rebuilt length checked).
    SeedConfig c = Rs(8, 2, 32);
    c.first = 100;
    Seed s(c);
    s.Sources({2, 10, 19, 27});
    size_t r = s.Find(kRs, 0, 0);
    Mutation mu = s.Unchanged(r);
    mu.length_xor = 0x8001;
    s.Mutated(r, mu);
    r = s.Find(kRs, 8, 1);
    mu = s.Unchanged(r);
    mu.base_delta = -3;
    s.Mutated(r, mu);
    r = s.Find(kRs, 16, 0);
    mu = s.Unchanged(r);
    mu.stride = 2;
    s.Mutated(r, mu);
    r = s.Find(kRs, 24, 1);
    mu = s.Unchanged(r);
    mu.source_count = 6;
    s.Mutated(r, mu);
    s.AllRepairs();
    ok &= s.Write(dir, "rs_mutated_plausible", {.min_rejected = 1});
  }
  {  // Genuine repairs through the wire parser.
    SeedConfig c = Rs(6, 2, 12);
    c.first = 1000;
    Seed s(c);
    s.Sources({1, 4, 7});
    s.Raw(s.RawOf(s.Find(kRs, 0, 0)));
    s.Raw(s.RawOf(s.Find(kRs, 0, 1)));
    s.Repair(s.Find(kRs, 6, 1));
    ok &= s.Write(dir, "rs_raw_genuine", {.recovered = 3, .unrecoverable = 0});
  }
  {  // Raw bodies the parser refuses, and parsable ones that do not fit.
    Seed s(Xor(FecCodec::kXorRow, 4, 1, 8));
    s.Sources({1});
    s.Raw({}, false);                                // truncated
    s.Raw({1, 0, 0, 4, 1}, false);                   // truncated
    s.Raw(RawBody(0, 0, 4, 1, 0, 0, 30), false);     // unknown scheme
    s.Raw(RawBody(1, 0, 4, 1, 0, 0, 0), false);      // empty payload
    s.Raw(RawBody(1, 0, 4, 1, 3, 0, 30), false);     // row with a stride
    s.Raw(RawBody(2, 0, 4, 1, 0, 0, 30), false);     // column without one
    s.Raw(RawBody(3, 2, 4, 2, 0, 0, 30), false);     // index >= m
    s.Raw(RawBody(3, 0, 200, 60, 0, 0, 30), false);  // k + m > 255
    s.Raw(RawBody(1, 0, 4, 1, 0, 0, 1460), false);   // oversized
    s.Raw(RawBody(1, 0, 4, 1, 0, 0, 30));            // parses: rebuilds garbage
    s.Raw(RawBody(2, 0, 2, 1, 4, 512 + 1, 60));      // column, base 1 (mod 512)
    s.Raw(RawBody(3, 0, 8, 3, 1, 0xFFFFFFFF, 40));   // RS, base 511
    ok &= s.Write(dir, "raw_malformed", {});
  }

  // ---- XOR.
  {
    Seed s(Xor(FecCodec::kXorRow, 5, 1, 25));
    s.SendAll({0, 6, 12, 18, 24});
    ok &= s.Write(dir, "xor_row_one_loss_per_row", {.recovered = 5, .unrecoverable = 0});
  }
  {
    Seed s(Xor(FecCodec::kXorRow, 4, 1, 12));
    s.SendAll({1, 2, 5});
    s.Expire(12);
    ok &= s.Write(dir, "xor_row_two_losses_expire", {.recovered = 1, .unrecoverable = 2});
  }
  {  // L = 1: each repair duplicates its source.
    Seed s(Xor(FecCodec::kXorRow, 1, 1, 4));
    s.SendAll({0, 2});
    ok &= s.Write(dir, "xor_row_l1", {.recovered = 2, .unrecoverable = 0});
  }
  {  // A burst of L = 6 is one loss per column.
    Seed s(Xor(FecCodec::kXorColumn, 6, 4, 24));
    s.SendAll({9, 10, 11, 12, 13, 14});
    ok &= s.Write(dir, "xor_column_burst", {.recovered = 6, .unrecoverable = 0});
  }
  {  // A staircase only row/column iteration solves: column 0 frees row 0,
     // which frees column 1, and so on. Rows first so they wait for columns.
    Seed s(Xor(FecCodec::kXor2D, 4, 4, 16));
    const std::set<int> lost = {At(4, 0, 0), At(4, 0, 1), At(4, 1, 1),
                                At(4, 1, 2), At(4, 2, 2), At(4, 2, 3)};
    s.Sources(lost);
    for (int r = 0; r < 4; ++r) s.Repair(s.Find(kRow, At(4, r, 0), 0));
    for (int col = 3; col >= 0; --col) s.Repair(s.Find(kColumn, col, 0));
    ok &= s.Write(dir, "xor_2d_staircase", {.recovered = 6, .unrecoverable = 0});
  }
  {  // A 2 x 2 square defeats 2-D XOR.
    Seed s(Xor(FecCodec::kXor2D, 4, 4, 16));
    s.SendAll({At(4, 1, 1), At(4, 1, 2), At(4, 2, 1), At(4, 2, 2)});
    s.Expire(16);
    ok &= s.Write(dir, "xor_2d_square", {.recovered = 0, .unrecoverable = 4});
  }
  {  // max_block_delay 8 ms: matrices closed short, rows of the last one short.
    SeedConfig c = Xor(FecCodec::kXor2D, 5, 5, 30);
    c.block_delay_ms = 8;
    Seed probe(c);
    std::set<int> lost;
    for (const OwnedRepair& r : probe.repairs()) {
      if (r.body.scheme == kRow) lost.insert(static_cast<int>(r.base - c.first));
    }
    Seed s(c);
    s.SendAll(lost);
    ok &= s.Write(dir, "xor_2d_short_matrix",
                  {.recovered = static_cast<int>(lost.size()), .unrecoverable = 0});
  }
  {  // Column repairs with a wrong stride or k, then the genuine one.
    Seed s(Xor(FecCodec::kXorColumn, 3, 3, 9));
    s.Sources({4});
    const size_t r = s.Find(kColumn, 1, 0);
    Mutation mu = s.Unchanged(r);
    mu.stride = 0;
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.stride = 4;
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.source_count = 255;
    s.Mutated(r, mu);
    mu = s.Unchanged(r);
    mu.repair_count = 2;
    s.Mutated(r, mu);
    s.Repair(r);
    ok &= s.Write(dir, "xor_column_mutated", {.min_rejected = 2});
  }

  // ---- Longer runs: bursty loss, sender order, the clock and Expire moving.
  {
    SeedConfig c = Rs(12, 3, 120, 2);
    c.first = 777777;
    c.block_timeout_ms = 30;
    const std::set<int> lost = BurstyLosses(c.n, 1);
    Seed s(c);
    s.SendAll(lost);
    s.Advance(20);
    s.Expire(60);
    s.Advance(40);
    ok &= s.Write(dir, "rs_soak_bursty", {.min_recovered = 10, .min_unrecoverable = 1});
  }
  {
    SeedConfig c = Xor(FecCodec::kXor2D, 6, 4, 120);
    c.block_delay_ms = 30;
    c.max_blocks = 8;
    c.max_repair_symbols = 16;
    const std::set<int> lost = BurstyLosses(c.n, 2);
    Seed s(c);
    s.SendAll(lost);
    s.Expire(120);
    ok &= s.Write(dir, "xor_2d_soak_bursty",
                  {.min_evicted = 1, .min_recovered = 10, .min_unrecoverable = 1});
  }
  return ok ? 0 : 1;
}
