// XOR row / column / 2-D: round trips, exact unrecoverable sets, iterative
// 2-D decoding of patterns rows alone cannot repair.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/fec/fec_test_util.h"

namespace hitless::fec_test {
namespace {

FecEncoderConfig Xor(FecCodec mode, int l, int d) {
  FecEncoderConfig c;
  c.mode = mode;
  c.columns = l;
  c.rows = d;
  c.max_block_delay = Duration::Infinite();
  return c;
}

void ExpectRecovered(const DecodeCollector& sink, const std::vector<Packet>& packets,
                     const std::set<int64_t>& lost) {
  EXPECT_TRUE(sink.lost.empty());
  ASSERT_EQ(sink.recovered.size(), lost.size());
  for (int64_t s : lost) EXPECT_EQ(sink.recovered.at(s), packets[s - packets[0].seq]);
}

TEST(XorTest, RowRepairFields) {
  auto packets = MakePackets(10, 8, 1);
  auto repairs = Encode(Xor(FecCodec::kXorRow, 4, 1), packets);
  ASSERT_EQ(repairs.size(), 2u);
  EXPECT_EQ(repairs[0].body.scheme, FecScheme::kXorRow);
  EXPECT_EQ(repairs[0].body.source_count, 4);
  EXPECT_EQ(repairs[0].body.stride, 0);
  EXPECT_EQ(repairs[0].base, 10);
  EXPECT_EQ(repairs[1].base, 14);
}

TEST(XorTest, RowRecoversOnePerRow) {
  auto packets = MakePackets(0, 40, 2);
  auto repairs = Encode(Xor(FecCodec::kXorRow, 5, 1), packets);
  std::set<int64_t> lost{0, 7, 14, 21, 28, 39};
  ExpectRecovered(Decode(packets, repairs, lost), packets, lost);
}

TEST(XorTest, RowTwoLossesReportedExactly) {
  auto packets = MakePackets(0, 10, 3);
  auto repairs = Encode(Xor(FecCodec::kXorRow, 5, 1), packets);
  auto sink = Decode(packets, repairs, {1, 3, 6});
  ASSERT_EQ(sink.recovered.size(), 1u);
  EXPECT_EQ(sink.recovered.at(6), packets[6]);
  std::sort(sink.lost.begin(), sink.lost.end());
  EXPECT_EQ(sink.lost, (std::vector<int64_t>{1, 3}));
}

TEST(XorTest, ColumnRecoversBurstOfL) {
  auto packets = MakePackets(100, 20, 4);
  auto repairs = Encode(Xor(FecCodec::kXorColumn, 5, 4), packets);
  ASSERT_EQ(repairs.size(), 5u);
  EXPECT_EQ(repairs[2].body.scheme, FecScheme::kXorColumn);
  EXPECT_EQ(repairs[2].body.stride, 5);
  EXPECT_EQ(repairs[2].body.source_count, 4);
  EXPECT_EQ(repairs[2].base, 102);
  std::set<int64_t> burst{106, 107, 108, 109, 110};
  ExpectRecovered(Decode(packets, repairs, burst), packets, burst);
}

TEST(XorTest, TwoDimensionalRecoversWhatRowsCannot) {
  auto packets = MakePackets(0, 16, 5);  // L = 4, D = 4
  std::set<int64_t> lost{0, 1, 2, 5};    // three in row 0, two in column 1
  auto rows_only = Decode(packets, Encode(Xor(FecCodec::kXorRow, 4, 4), packets), lost);
  EXPECT_FALSE(rows_only.lost.empty());
  // Iterative: columns 0, 2 give 0 and 2; row 0 then gives 1; column 1 then 5.
  auto both = Decode(packets, Encode(Xor(FecCodec::kXor2D, 4, 4), packets), lost);
  ExpectRecovered(both, packets, lost);
}

TEST(XorTest, TwoDimensionalUnrecoverableSquareReportedOnce) {
  auto packets = MakePackets(0, 16, 6);
  std::set<int64_t> lost{0, 1, 4, 5};  // a 2 x 2 square defeats 2-D XOR
  auto sink = Decode(packets, Encode(Xor(FecCodec::kXor2D, 4, 4), packets), lost);
  EXPECT_TRUE(sink.recovered.empty());
  std::sort(sink.lost.begin(), sink.lost.end());
  EXPECT_EQ(sink.lost, (std::vector<int64_t>{0, 1, 4, 5}));
}

TEST(XorTest, VariableLengthsAndTimestampsExact) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto packets = MakePackets(7, 30, seed, /*vary=*/true, 1452);
    auto repairs = Encode(Xor(FecCodec::kXor2D, 5, 6), packets);
    std::set<int64_t> lost{7 + static_cast<int64_t>(seed % 30)};
    ExpectRecovered(Decode(packets, repairs, lost), packets, lost);
  }
}

TEST(XorTest, SingleColumnMatrixIsDuplication) {
  auto packets = MakePackets(0, 6, 7);
  auto repairs = Encode(Xor(FecCodec::kXorRow, 1, 1), packets);
  ASSERT_EQ(repairs.size(), 6u);
  std::set<int64_t> lost{0, 1, 2, 3, 4, 5};
  ExpectRecovered(Decode(packets, repairs, lost), packets, lost);
}

}  // namespace
}  // namespace hitless::fec_test
