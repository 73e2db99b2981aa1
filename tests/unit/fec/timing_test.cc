// Time-bounded blocks (encoder) and block timeouts (decoder), sequence gaps,
// configuration ranges.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "tests/unit/fec/fec_test_util.h"

namespace hitless::fec_test {
namespace {

Time Ms(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

TEST(TimingTest, RsClosesPartialBlockAtDeadline) {
  FecEncoderConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = 10;
  c.m = 4;
  c.max_block_delay = Duration::Milliseconds(20);
  auto enc = *CreateFecEncoder(c);
  RepairCollector out;
  auto packets = MakePackets(0, 3, 1);
  EXPECT_FALSE(enc->NextWakeup());
  for (int i = 0; i < 3; ++i) enc->OnSource(packets[i].View(), Ms(i), out);
  ASSERT_EQ(enc->NextWakeup(), Ms(20));
  enc->OnTimer(Ms(19), out);
  EXPECT_TRUE(out.repairs.empty());
  enc->OnTimer(Ms(20), out);
  // Repairs in proportion: ceil(4 x 3 / 10) = 2, not m = 4.
  ASSERT_EQ(out.repairs.size(), 2u);
  EXPECT_EQ(out.repairs[0].body.source_count, 3);
  EXPECT_EQ(out.repairs[0].body.repair_count, 2);
  EXPECT_FALSE(enc->NextWakeup());
  EXPECT_EQ(enc->stats().partial_blocks, 1u);
  auto sink = Decode(packets, out.repairs, {0, 2});
  EXPECT_EQ(sink.recovered.at(0), packets[0]);
  EXPECT_EQ(sink.recovered.at(2), packets[2]);
}

TEST(TimingTest, RsShortBlockRepairsScaleWithItsLength) {
  FecEncoderConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = 20;
  c.m = 4;
  for (const auto& [sources, repairs] :
       {std::pair{1, 1}, std::pair{5, 1}, std::pair{6, 2}, std::pair{19, 4}, std::pair{20, 4}}) {
    auto enc = *CreateFecEncoder(c);
    RepairCollector out;
    auto packets = MakePackets(0, sources, 1);
    for (int i = 0; i < sources; ++i) enc->OnSource(packets[i].View(), Ms(i), out);
    enc->Flush(out);
    ASSERT_EQ(out.repairs.size(), static_cast<size_t>(repairs)) << sources;
    std::set<int64_t> lost;
    for (int i = 0; i < repairs && i < sources; ++i) lost.insert(i);
    auto sink = Decode(packets, out.repairs, lost);
    EXPECT_EQ(sink.recovered.size(), lost.size()) << sources;
  }
}

TEST(TimingTest, LateSourceClosesBlockFirst) {
  FecEncoderConfig c;
  c.mode = FecCodec::kXorRow;
  c.columns = 8;
  c.max_block_delay = Duration::Milliseconds(20);
  auto enc = *CreateFecEncoder(c);
  RepairCollector out;
  auto packets = MakePackets(0, 4, 2);
  enc->OnSource(packets[0].View(), Ms(0), out);
  enc->OnSource(packets[1].View(), Ms(5), out);
  enc->OnSource(packets[2].View(), Ms(25), out);  // past the deadline: closes {0, 1}
  ASSERT_EQ(out.repairs.size(), 1u);
  EXPECT_EQ(out.repairs[0].body.source_count, 2);
  EXPECT_EQ(enc->NextWakeup(), Ms(45));
}

TEST(TimingTest, SequenceGapClosesBlock) {
  FecEncoderConfig c;
  c.mode = FecCodec::kXor2D;
  c.columns = 3;
  c.rows = 3;
  auto enc = *CreateFecEncoder(c);
  RepairCollector out;
  auto packets = MakePackets(0, 10, 3);
  for (int i : {0, 1, 2, 3, 8, 9}) enc->OnSource(packets[i].View(), Ms(0), out);
  enc->Flush(out);
  // Row {0,1,2}; at the gap: row {3}, columns {0,3}, {1}, {2}; then row {8,9}
  // and columns {8}, {9} at Flush.
  ASSERT_EQ(out.repairs.size(), 8u);
  auto sink = Decode(packets, out.repairs, {3, 9});
  EXPECT_EQ(sink.recovered.size(), 2u);
}

TEST(TimingTest, DecoderTimesOutBlocks) {
  FecDecoderConfig dc = SmallDecoder();
  dc.block_timeout = Duration::Milliseconds(50);
  FecDecoder dec(dc);
  FecEncoderConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = 4;
  c.m = 1;
  auto packets = MakePackets(0, 4, 4);
  auto repairs = Encode(c, packets);
  DecodeCollector sink;
  (void)dec.OnSource(packets[0].View(), Ms(0), sink);
  (void)dec.OnSource(packets[1].View(), Ms(0), sink);
  EXPECT_FALSE(dec.OnRepair(repairs[0].View(), repairs[0].base, Ms(10), sink));
  ASSERT_EQ(dec.NextWakeup(), Ms(60));
  dec.OnTimer(Ms(59), sink);
  EXPECT_TRUE(sink.lost.empty());
  dec.OnTimer(Ms(60), sink);
  EXPECT_EQ(sink.lost, (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(dec.NextWakeup());
  // A repair for the block given up is refused.
  EXPECT_EQ(dec.OnRepair(repairs[0].View(), repairs[0].base, Ms(70), sink), DropReason::kTooLate);
}

TEST(TimingTest, ConfigRanges) {
  FecEncoderConfig c;
  c.mode = FecCodec::kReedSolomon;
  c.k = 20;
  c.m = 21;
  EXPECT_FALSE(ValidateFecEncoderConfig(c).ok());
  c.k = 200;
  c.m = 60;
  EXPECT_FALSE(ValidateFecEncoderConfig(c).ok());
  c.k = 20;
  c.m = 4;
  c.interleave = 100;
  EXPECT_FALSE(ValidateFecEncoderConfig(c).ok());
  c.interleave = 8;
  EXPECT_TRUE(ValidateFecEncoderConfig(c).ok());
  c.mode = FecCodec::kXor2D;
  c.columns = 20;
  c.rows = 100;
  EXPECT_FALSE(ValidateFecEncoderConfig(c).ok());
  c.rows = 20;
  EXPECT_TRUE(ValidateFecEncoderConfig(c).ok());
  c.columns = 0;
  EXPECT_FALSE(CreateFecEncoder(c).ok());
}

}  // namespace
}  // namespace hitless::fec_test
