// Hostile or inconsistent input to the decoder: rejected with a reason,
// counted, memory bounded, never a crash.
#include <gtest/gtest.h>

#include "tests/unit/fec/fec_test_util.h"

namespace hitless::fec_test {
namespace {

struct Fixture {
  Fixture() : dec(SmallDecoder()) {}
  std::optional<DropReason> Repair(FecRepairBody b, int64_t base) {
    b.payload = payload;
    return dec.OnRepair(b, base, Time::Zero(), sink);
  }
  FecDecoder dec;
  DecodeCollector sink;
  std::vector<uint8_t> payload = std::vector<uint8_t>(100, 0xAB);
};

FecRepairBody RsBody(uint16_t k, uint8_t m, uint8_t index) {
  FecRepairBody b;
  b.scheme = FecScheme::kReedSolomon;
  b.source_count = k;
  b.repair_count = m;
  b.repair_index = index;
  return b;
}

TEST(HostileTest, RangesRejected) {
  Fixture f;
  EXPECT_EQ(f.Repair(RsBody(0, 1, 0), 0), DropReason::kBadField);
  EXPECT_EQ(f.Repair(RsBody(4, 2, 2), 0), DropReason::kBadField);
  EXPECT_EQ(f.Repair(RsBody(250, 10, 0), 0), DropReason::kBadField);
  EXPECT_EQ(f.Repair(RsBody(4, 2, 0), -5), DropReason::kBadField);
  FecRepairBody x = RsBody(4, 1, 0);
  x.scheme = static_cast<FecScheme>(9);
  EXPECT_EQ(f.Repair(x, 0), DropReason::kBadField);
  x.scheme = FecScheme::kXorColumn;  // column without stride
  EXPECT_EQ(f.Repair(x, 0), DropReason::kBadField);
  x.stride = 255;  // span 3 * 255 + 1 > window 256
  EXPECT_EQ(f.Repair(x, 0), DropReason::kBadField);
  f.payload.assign(kMaxDataPayload + 1, 1);
  EXPECT_EQ(f.Repair(RsBody(4, 1, 0), 0), DropReason::kOversized);
  f.payload.clear();
  EXPECT_EQ(f.Repair(RsBody(4, 1, 0), 0), DropReason::kBadField);
  EXPECT_EQ(f.dec.stats().rejected.Get(DropReason::kBadField), 8u);
  EXPECT_EQ(f.dec.stats().rejected.Get(DropReason::kOversized), 1u);
  EXPECT_EQ(f.dec.blocks_in_flight(), 0u);
}

TEST(HostileTest, InconsistentBlockRejected) {
  Fixture f;
  EXPECT_FALSE(f.Repair(RsBody(4, 2, 0), 10));
  EXPECT_EQ(f.Repair(RsBody(4, 2, 0), 10), DropReason::kDuplicate);
  EXPECT_EQ(f.Repair(RsBody(5, 2, 1), 10), DropReason::kBadField);  // k differs
  EXPECT_EQ(f.Repair(RsBody(4, 3, 1), 10), DropReason::kBadField);  // m differs
  f.payload.resize(50);
  EXPECT_EQ(f.Repair(RsBody(4, 2, 1), 10), DropReason::kBadField);  // length differs
  EXPECT_EQ(f.dec.blocks_in_flight(), 1u);
}

TEST(HostileTest, RepairShorterThanCoveredSource) {
  Fixture f;
  auto packets = MakePackets(0, 4, 1, false, 200);
  (void)f.dec.OnSource(packets[0].View(), Time::Zero(), f.sink);
  EXPECT_EQ(f.Repair(RsBody(4, 1, 0), 0), DropReason::kBadField);  // 100 < 200
}

TEST(HostileTest, ForgedRepairNeverYieldsBadLength) {
  Fixture f;
  auto packets = MakePackets(0, 4, 2, false, 100);
  for (int i = 0; i < 3; ++i) (void)f.dec.OnSource(packets[i].View(), Time::Zero(), f.sink);
  FecRepairBody b;
  b.scheme = FecScheme::kXorRow;
  b.source_count = 4;
  b.repair_count = 1;
  b.length_recovery = 0x7777;  // rebuilt length far above the payload
  EXPECT_FALSE(f.Repair(b, 0));
  EXPECT_TRUE(f.sink.recovered.empty());
  EXPECT_EQ(f.dec.stats().rejected.Get(DropReason::kBadField), 1u);
}

TEST(HostileTest, RepairAfterExpireIsTooLate) {
  Fixture f;
  f.dec.Expire(100, f.sink);
  EXPECT_EQ(f.Repair(RsBody(4, 1, 0), 90), DropReason::kTooLate);
  EXPECT_FALSE(f.Repair(RsBody(4, 1, 0), 98));  // straddles the watermark
}

TEST(HostileTest, MemoryBoundedOldestEvicted) {
  FecDecoderConfig c = SmallDecoder();
  c.max_blocks = 4;
  c.max_repair_symbols = 6;
  FecDecoder dec(c);
  DecodeCollector sink;
  std::vector<uint8_t> payload(64, 1);
  for (int i = 0; i < 10; ++i) {
    FecRepairBody b = RsBody(8, 2, 0);
    b.payload = payload;
    EXPECT_FALSE(dec.OnRepair(b, i * 8, Time::Zero(), sink));
    EXPECT_LE(dec.blocks_in_flight(), 4u);
  }
  EXPECT_EQ(dec.stats().blocks_evicted, 6u);
  EXPECT_EQ(sink.lost.size(), 6u * 8u);
  // Symbols bounded too: a second repair per block evicts older blocks.
  for (int i = 6; i < 10; ++i) {
    FecRepairBody b = RsBody(8, 2, 1);
    b.payload = payload;
    (void)dec.OnRepair(b, i * 8, Time::Zero(), sink);
  }
  EXPECT_LE(dec.blocks_in_flight(), 4u);
  // An evicted block's repair is refused afterwards.
  FecRepairBody b = RsBody(8, 2, 1);
  b.payload = payload;
  EXPECT_EQ(dec.OnRepair(b, 0, Time::Zero(), sink), DropReason::kTooLate);
}

TEST(HostileTest, BadSources) {
  Fixture f;
  std::vector<uint8_t> big(kMaxDataPayload + 1);
  EXPECT_EQ(f.dec.OnSource(FecSource{1, 0, big}, Time::Zero(), f.sink), DropReason::kOversized);
  EXPECT_EQ(f.dec.OnSource(FecSource{1, 0, {}}, Time::Zero(), f.sink), DropReason::kBadField);
  std::vector<uint8_t> ok(10);
  EXPECT_EQ(f.dec.OnSource(FecSource{-1, 0, ok}, Time::Zero(), f.sink), DropReason::kBadField);
  EXPECT_FALSE(f.dec.OnSource(FecSource{1000, 0, ok}, Time::Zero(), f.sink));
  EXPECT_EQ(f.dec.OnSource(FecSource{1000, 0, ok}, Time::Zero(), f.sink), DropReason::kDuplicate);
  EXPECT_EQ(f.dec.OnSource(FecSource{10, 0, ok}, Time::Zero(), f.sink), DropReason::kTooLate);
}

}  // namespace
}  // namespace hitless::fec_test
