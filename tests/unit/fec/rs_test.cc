// Reed-Solomon: round trips, every erasure pattern for small blocks, the exact
// unrecoverable set beyond m, variable lengths/timestamps, interleaving.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/fec/fec_test_util.h"

namespace hitless::fec_test {
namespace {

FecEncoderConfig Rs(int k, int m, int interleave = 1) {
  FecEncoderConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = k;
  c.m = m;
  c.interleave = interleave;
  c.max_block_delay = Duration::Infinite();
  return c;
}

TEST(RsTest, RepairFieldsMatchTheBlock) {
  auto packets = MakePackets(100, 20, 1);
  auto repairs = Encode(Rs(10, 3), packets);
  ASSERT_EQ(repairs.size(), 6u);
  for (size_t i = 0; i < repairs.size(); ++i) {
    const auto& r = repairs[i];
    EXPECT_EQ(r.body.scheme, FecScheme::kReedSolomon);
    EXPECT_EQ(r.body.source_count, 10);
    EXPECT_EQ(r.body.repair_count, 3);
    EXPECT_EQ(r.body.repair_index, i % 3);
    EXPECT_EQ(r.body.stride, 0);
    EXPECT_EQ(r.base, 100 + 10 * static_cast<int64_t>(i / 3));
    size_t max_len = 0;
    for (int j = 0; j < 10; ++j)
      max_len = std::max(max_len, packets[(i / 3) * 10 + j].payload.size());
    EXPECT_EQ(r.payload.size(), max_len);  // never larger than the largest source
  }
}

TEST(RsTest, NoLossNothingRecovered) {
  auto packets = MakePackets(0, 40, 2);
  auto sink = Decode(packets, Encode(Rs(20, 4), packets), {});
  EXPECT_TRUE(sink.recovered.empty());
  EXPECT_TRUE(sink.lost.empty());
}

// Every pattern of lost sources and lost repairs with at most m symbols lost
// recovers every lost source exactly; with more lost sources than repairs
// received, exactly the lost sources are reported.
TEST(RsTest, ExhaustiveErasurePatterns) {
  int runs = 0;
  for (int k = 1; k <= 8; ++k) {
    for (int m = 1; m <= std::min(k, 4); ++m) {
      auto packets = MakePackets(1000, k, static_cast<uint64_t>(k * 10 + m));
      auto repairs = Encode(Rs(k, m), packets);
      ASSERT_EQ(repairs.size(), static_cast<size_t>(m));
      const int n = k + m;
      for (uint32_t mask = 0; mask < (1u << n); ++mask) {
        const int lost_count = __builtin_popcount(mask);
        if (lost_count > m + 1) continue;
        std::set<int64_t> lost_src;
        std::set<size_t> lost_rep;
        for (int i = 0; i < n; ++i) {
          if (!(mask & (1u << i))) continue;
          if (i < k) {
            lost_src.insert(1000 + i);
          } else {
            lost_rep.insert(static_cast<size_t>(i - k));
          }
        }
        auto sink = Decode(packets, repairs, lost_src, lost_rep);
        ++runs;
        if (lost_count <= m) {
          ASSERT_TRUE(sink.lost.empty()) << "k=" << k << " m=" << m << " mask=" << mask;
          ASSERT_EQ(sink.recovered.size(), lost_src.size());
          for (int64_t s : lost_src) ASSERT_EQ(sink.recovered[s], packets[s - 1000]);
        } else if (lost_rep.size() == static_cast<size_t>(m)) {
          // No repair arrived: the decoder cannot know the block.
          ASSERT_TRUE(sink.lost.empty());
        } else {
          // m + 1 symbols lost: fewer repairs than lost sources.
          ASSERT_TRUE(sink.recovered.empty());
          std::vector<int64_t> expect(lost_src.begin(), lost_src.end());
          std::sort(sink.lost.begin(), sink.lost.end());
          ASSERT_EQ(sink.lost, expect) << "k=" << k << " m=" << m << " mask=" << mask;
        }
      }
    }
  }
  EXPECT_GT(runs, 3000);
}

TEST(RsTest, LargeBlocksWithMLosses) {
  for (int k : {20, 50, 100}) {
    for (int m : {2, 8, 20}) {
      auto packets = MakePackets(5, k * 3, static_cast<uint64_t>(k + m));
      auto repairs = Encode(Rs(k, m), packets);
      std::set<int64_t> lost;
      for (int b = 0; b < 3; ++b) {
        for (int i = 0; i < m; ++i) lost.insert(5 + b * k + (i * 7 + b) % k);
      }
      FecDecoderConfig dc = SmallDecoder();
      dc.window = 1024;  // all sources arrive before any repair here
      FecDecoder dec(dc);
      auto sink = Decode(packets, repairs, lost, {}, &dec);
      EXPECT_TRUE(sink.lost.empty());
      ASSERT_EQ(sink.recovered.size(), lost.size()) << k << " " << m;
      for (int64_t s : lost) EXPECT_EQ(sink.recovered[s], packets[s - 5]);
    }
  }
}

TEST(RsTest, RepairsBeforeSources) {
  auto packets = MakePackets(0, 10, 3);
  auto repairs = Encode(Rs(10, 2), packets);
  FecDecoder dec(SmallDecoder());
  DecodeCollector sink;
  for (const auto& r : repairs) EXPECT_FALSE(dec.OnRepair(r.View(), r.base, Time::Zero(), sink));
  for (const auto& p : packets) {
    if (p.seq != 3 && p.seq != 7) (void)dec.OnSource(p.View(), Time::Zero(), sink);
  }
  ASSERT_EQ(sink.recovered.size(), 2u);
  EXPECT_EQ(sink.recovered[3], packets[3]);
  EXPECT_EQ(sink.recovered[7], packets[7]);
  EXPECT_EQ(dec.blocks_in_flight(), 0u);
}

TEST(RsTest, InterleavingSpreadsABurst) {
  // I = 4 blocks of k = 5, m = 2: a burst of I * m = 8 consecutive losses.
  auto packets = MakePackets(50, 20, 4);
  auto repairs = Encode(Rs(5, 2, 4), packets);
  ASSERT_EQ(repairs.size(), 8u);
  for (const auto& r : repairs) EXPECT_EQ(r.body.stride, 4);
  std::set<int64_t> burst;
  for (int64_t s = 56; s < 64; ++s) burst.insert(s);
  auto sink = Decode(packets, repairs, burst);
  EXPECT_TRUE(sink.lost.empty());
  ASSERT_EQ(sink.recovered.size(), 8u);
  for (int64_t s : burst) EXPECT_EQ(sink.recovered[s], packets[s - 50]);

  // The same burst without interleaving (one block of 20, m = 2) is lost.
  auto plain = Decode(packets, Encode(Rs(20, 2), packets), burst);
  EXPECT_EQ(plain.lost.size(), 8u);
}

TEST(RsTest, UnrecoveredReportedOnce) {
  auto packets = MakePackets(0, 10, 5);
  auto repairs = Encode(Rs(10, 1), packets);
  FecDecoder dec(SmallDecoder());
  auto sink = Decode(packets, repairs, {1, 2}, {}, &dec);
  std::sort(sink.lost.begin(), sink.lost.end());
  EXPECT_EQ(sink.lost, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(dec.stats().unrecoverable, 2u);
  EXPECT_EQ(dec.stats().blocks_given_up, 1u);
}

}  // namespace
}  // namespace hitless::fec_test
