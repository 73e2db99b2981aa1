// Test helpers for the FEC codecs: a stream of packets with varied lengths and
// timestamps, sinks that own what they receive, and a lossy round trip.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"

namespace hitless::fec_test {

struct Packet {
  int64_t seq = 0;
  uint32_t timestamp = 0;
  std::vector<uint8_t> payload;
  FecSource View() const { return FecSource{seq, timestamp, payload}; }
  friend bool operator==(const Packet&, const Packet&) = default;
};

// n packets from `first`; lengths 1..max_len (or all max_len when !vary).
inline std::vector<Packet> MakePackets(int64_t first, int n, uint64_t seed, bool vary = true,
                                       size_t max_len = 1316) {
  std::vector<Packet> out;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < n; ++i) {
    Packet p;
    p.seq = first + i;
    p.timestamp = static_cast<uint32_t>(next());
    const size_t len = vary ? 1 + next() % max_len : max_len;
    p.payload.resize(len);
    for (auto& b : p.payload) b = static_cast<uint8_t>(next());
    out.push_back(std::move(p));
  }
  return out;
}

struct OwnedRepair {
  FecRepairBody body;
  int64_t base = 0;
  std::vector<uint8_t> payload;
  FecRepairBody View() const {
    FecRepairBody b = body;
    b.payload = payload;
    return b;
  }
};

class RepairCollector : public FecRepairSink {
 public:
  void OnRepair(const FecRepair& r) override {
    OwnedRepair o;
    o.body = r.body;
    o.base = r.base_sequence;
    o.payload.assign(r.body.payload.begin(), r.body.payload.end());
    o.body.payload = {};
    repairs.push_back(std::move(o));
  }
  std::vector<OwnedRepair> repairs;
};

class DecodeCollector : public FecDecoderSink {
 public:
  void OnRecovered(const FecSource& p) override {
    recovered[p.seq] = Packet{p.seq, p.timestamp, {p.payload.begin(), p.payload.end()}};
  }
  void OnUnrecoverable(int64_t seq) override { lost.push_back(seq); }
  std::map<int64_t, Packet> recovered;
  std::vector<int64_t> lost;
};

inline FecDecoderConfig SmallDecoder() {
  FecDecoderConfig c;
  c.window = 256;
  c.max_blocks = 32;
  c.max_repair_symbols = 128;
  return c;
}

inline std::vector<OwnedRepair> Encode(const FecEncoderConfig& config,
                                       const std::vector<Packet>& packets) {
  auto enc = CreateFecEncoder(config);
  RepairCollector sink;
  if (!enc.ok()) return {};
  for (const Packet& p : packets) (*enc)->OnSource(p.View(), Time::Zero(), sink);
  (*enc)->Flush(sink);
  return std::move(sink.repairs);
}

// Delivers the sources not in lost_sources, then the repairs whose index in
// `repairs` is not in lost_repairs, then expires everything.
inline DecodeCollector Decode(const std::vector<Packet>& packets,
                              const std::vector<OwnedRepair>& repairs,
                              const std::set<int64_t>& lost_sources,
                              const std::set<size_t>& lost_repairs = {},
                              FecDecoder* decoder_out = nullptr) {
  FecDecoder local(SmallDecoder());
  FecDecoder& dec = decoder_out ? *decoder_out : local;
  DecodeCollector sink;
  for (const Packet& p : packets) {
    if (!lost_sources.count(p.seq)) (void)dec.OnSource(p.View(), Time::Zero(), sink);
  }
  for (size_t i = 0; i < repairs.size(); ++i) {
    if (!lost_repairs.count(i))
      (void)dec.OnRepair(repairs[i].View(), repairs[i].base, Time::Zero(), sink);
  }
  dec.Expire(packets.back().seq + 1, sink);
  return sink;
}

}  // namespace hitless::fec_test
