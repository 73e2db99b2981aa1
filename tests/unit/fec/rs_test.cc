// Reed-Solomon: round trips, every erasure pattern for small blocks, the exact
// unrecoverable set beyond m, variable lengths/timestamps, interleaving.
#include <gtest/gtest.h>
#include <isa-l/erasure_code.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "fec/rs_math.h"
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

// The planner's own GF(2^8) arithmetic must be ISA-L's field, element for
// element: the encoder's tables come from ISA-L.
TEST(RsMathTest, GfArithmeticMatchesIsaL) {
  using fec_internal::GfInv;
  using fec_internal::GfMul;
  for (int a = 0; a < 256; ++a) {
    const auto ua = static_cast<unsigned char>(a);
    ASSERT_EQ(GfInv(ua), gf_inv(ua)) << a;
    for (int b = 0; b < 256; ++b) {
      const auto ub = static_cast<unsigned char>(b);
      ASSERT_EQ(GfMul(ua, ub), gf_mul(ua, ub)) << a << " * " << b;
    }
  }
}

// Coefficients and encode tables: the bottom rows of gf_gen_cauchy1_matrix,
// expanded as ec_init_tables does.
TEST(RsMathTest, CauchyCoefficientsAreGfGenCauchy1Matrix) {
  for (auto [k, m] : {std::pair{1, 1}, {10, 4}, {50, 8}, {200, 55}, {1, 254}, {254, 1}}) {
    std::vector<unsigned char> full(static_cast<size_t>(k + m) * k);
    gf_gen_cauchy1_matrix(full.data(), k + m, k);
    for (int r = 0; r < m; ++r) {
      for (int j = 0; j < k; ++j) {
        ASSERT_EQ(fec_internal::CauchyCoefficient(k, r, j),
                  full[static_cast<size_t>(k + r) * k + j])
            << "k=" << k << " r=" << r << " j=" << j;
      }
    }
    std::vector<unsigned char> want(static_cast<size_t>(32) * k * m);
    ec_init_tables(k, m, full.data() + static_cast<size_t>(k) * k, want.data());
    std::vector<uint8_t> got;
    fec_internal::BuildRsEncodeTables(k, m, got);
    ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end())) << k << " " << m;
  }
}

// The decode matrix as the planner used to build it: invert A = C[R][E] with
// ISA-L and multiply out A^-1 C[R][K] element by element.
std::vector<uint8_t> ReferenceDecodeMatrix(int k, std::span<const uint8_t> missing,
                                           std::span<const uint8_t> repairs) {
  const int e = static_cast<int>(missing.size());
  auto coef = [k](int r, int j) { return gf_inv(static_cast<unsigned char>((k + r) ^ j)); };
  std::vector<unsigned char> a(static_cast<size_t>(e) * e), a_inv(a.size());
  for (int i = 0; i < e; ++i) {
    for (int c = 0; c < e; ++c) a[static_cast<size_t>(i) * e + c] = coef(repairs[i], missing[c]);
  }
  EXPECT_EQ(gf_invert_matrix(a.data(), a_inv.data(), e), 0);
  std::vector<uint8_t> d(static_cast<size_t>(e) * k);
  for (int i = 0; i < e; ++i) {
    uint8_t* row = d.data() + static_cast<size_t>(i) * k;
    int col = 0;
    for (int j = 0; j < k; ++j) {
      if (std::find(missing.begin(), missing.end(), j) != missing.end()) continue;
      unsigned char acc = 0;
      for (int t = 0; t < e; ++t)
        acc ^= gf_mul(a_inv[static_cast<size_t>(i) * e + t], coef(repairs[t], j));
      row[col++] = acc;
    }
    for (int t = 0; t < e; ++t) row[col++] = a_inv[static_cast<size_t>(i) * e + t];
  }
  return d;
}

// Plans with `planner` and checks the decode matrix and the ISA-L tables.
void ExpectPlanMatchesReference(fec_internal::RsDecodePlanner& planner, int k,
                                const std::vector<uint8_t>& missing,
                                const std::vector<uint8_t>& repairs) {
  ASSERT_TRUE(planner.Plan(k, missing, repairs)) << "k=" << k << " e=" << missing.size();
  std::vector<uint8_t> want = ReferenceDecodeMatrix(k, missing, repairs);
  std::span<const uint8_t> got = planner.decode_matrix();
  ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end()))
      << "k=" << k << " e=" << missing.size() << " first missing=" << int{missing[0]}
      << " first repair=" << int{repairs[0]};
  std::vector<unsigned char> tables(static_cast<size_t>(32) * want.size());
  ec_init_tables(k, static_cast<int>(missing.size()), want.data(), tables.data());
  ASSERT_TRUE(std::equal(tables.begin(), tables.end(), planner.tables()));
}

// Every set of missing sources with every ordered choice of repairs, for small
// blocks; one planner throughout, so the plan cache is exercised too.
TEST(RsMathTest, DecodeMatrixMatchesIsaLConstructionExhaustive) {
  fec_internal::RsDecodePlanner planner;
  for (int k = 1; k <= 8; ++k) {
    for (int m = 1; m <= 4; ++m) {
      for (uint32_t mask = 1; mask < (1u << k); ++mask) {
        const int e = __builtin_popcount(mask);
        if (e > m) continue;
        std::vector<uint8_t> missing;
        for (int j = 0; j < k; ++j) {
          if (mask & (1u << j)) missing.push_back(static_cast<uint8_t>(j));
        }
        // Ordered e-selections of m repairs: permutations of each e-subset.
        for (uint32_t rmask = 1; rmask < (1u << m); ++rmask) {
          if (__builtin_popcount(rmask) != e) continue;
          std::vector<uint8_t> repairs;
          for (int r = 0; r < m; ++r) {
            if (rmask & (1u << r)) repairs.push_back(static_cast<uint8_t>(r));
          }
          do {
            ExpectPlanMatchesReference(planner, k, missing, repairs);
          } while (std::next_permutation(repairs.begin(), repairs.end()));
        }
      }
    }
  }
}

// Random patterns on large blocks, up to k + m = 255 and e = k (every source
// lost), shrinking and growing the planner's scratch between plans.
TEST(RsMathTest, DecodeMatrixMatchesIsaLConstructionRandom) {
  fec_internal::RsDecodePlanner planner;
  std::mt19937 rng(20261125);
  const std::pair<int, int> kShapes[] = {{20, 8},    {50, 8},   {100, 20}, {200, 55},
                                         {128, 127}, {10, 245}, {254, 1},  {3, 252}};
  for (auto [k, m] : kShapes) {
    std::vector<uint8_t> sources(static_cast<size_t>(k)), all_repairs(static_cast<size_t>(m));
    std::iota(sources.begin(), sources.end(), uint8_t{0});
    std::iota(all_repairs.begin(), all_repairs.end(), uint8_t{0});
    for (int trial = 0; trial < 20; ++trial) {
      const int e = trial == 0 ? std::min(k, m) : 1 + static_cast<int>(rng() % std::min(k, m));
      std::shuffle(sources.begin(), sources.end(), rng);
      std::shuffle(all_repairs.begin(), all_repairs.end(), rng);
      std::vector<uint8_t> missing(sources.begin(), sources.begin() + e);
      std::sort(missing.begin(), missing.end());
      std::vector<uint8_t> repairs(all_repairs.begin(), all_repairs.begin() + e);
      ExpectPlanMatchesReference(planner, k, missing, repairs);
    }
  }
}

// Arguments for which the Cauchy system is singular are refused, and a
// refusal does not leave a stale plan behind.
TEST(RsMathTest, PlanRefusesSingularSystems) {
  fec_internal::RsDecodePlanner planner;
  using V = std::vector<uint8_t>;
  ExpectPlanMatchesReference(planner, 10, V{1, 4}, V{0, 1});
  EXPECT_FALSE(planner.Plan(10, V{1, 4}, V{1, 1}));   // the same repair twice
  EXPECT_FALSE(planner.Plan(10, V{4, 4}, V{0, 1}));   // the same source twice
  EXPECT_FALSE(planner.Plan(10, V{4, 1}, V{0, 1}));   // not ascending
  EXPECT_FALSE(planner.Plan(10, V{1, 10}, V{0, 1}));  // source out of the block
  EXPECT_FALSE(planner.Plan(250, V{1, 4}, V{0, 6}));  // k + r > 255
  EXPECT_FALSE(planner.Plan(10, V{1, 4}, V{0}));      // fewer repairs than losses
  EXPECT_TRUE(planner.decode_matrix().empty());
  ExpectPlanMatchesReference(planner, 10, V{1, 4}, V{0, 1});
}

}  // namespace
}  // namespace hitless::fec_test
