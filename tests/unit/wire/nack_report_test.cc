// NACK and REPORT: round trips (including maximal lists), sequence wrap, and
// counts that lie about the bytes that follow.
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/wire/wire_test_util.h"
#include "transport/base/serial.h"
#include "transport/wire/nack.h"
#include "transport/wire/report.h"

namespace hitless {
namespace {

using wire_test::Drops;
using wire_test::MakeHeader;
using wire_test::ToBytes;

absl::StatusOr<NackBody> ParseNackPacket(const std::vector<uint8_t>& bytes) {
  auto view = ParseHeader(bytes);
  if (!view.ok()) return view.status();
  return ParseNack(view->body);
}

TEST(NackTest, RoundTripsOneRange) {
  NackBody nack;
  nack.ranges = {{0x01020304, 0x0506}};
  const auto bytes = ToBytes(MakeHeader(PacketType::kNack), nack);
  const std::vector<uint8_t> want = {0, 1, 1, 2, 3, 4, 5, 6};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + kHeaderSize, bytes.end()), want);
  auto parsed = ParseNackPacket(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, nack);
}

TEST(NackTest, RoundTripsMaxRangesEncrypted) {
  EXPECT_EQ(kMaxNackRanges, 244u);
  NackBody nack;
  for (uint32_t i = 0; i < kMaxNackRanges; ++i) {
    nack.ranges.push_back({i * 100, static_cast<uint16_t>(i + 1)});
  }
  Header h = MakeHeader(PacketType::kNack);
  h.encrypted = true;
  const auto bytes = ToBytes(h, nack);
  EXPECT_LE(bytes.size(), kMaxDatagramSize);
  auto parsed = ParseNackPacket(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, nack);

  nack.ranges.push_back({1, 1});
  std::vector<uint8_t> out(4096);
  EXPECT_EQ(Serialize(h, nack, out), 0u);
}

TEST(NackTest, RangesMayCrossTheWrap) {
  NackBody nack;
  nack.ranges = {{0xFFFFFFF0, 0x20}, {0xFFFFFFFF, 65535}, {0, 1}};
  const auto bytes = ToBytes(MakeHeader(PacketType::kNack), nack);
  auto parsed = ParseNackPacket(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, nack);
  // The range [0xFFFFFFF0, +0x20) ends at 0x0F after the wrap; the wire
  // module leaves it as is and a session's unwrapper makes it contiguous.
  const NackRange& r = parsed->ranges[0];
  const uint32_t last = r.first + r.count - 1u;
  EXPECT_EQ(last, 0x0Fu);
  EXPECT_TRUE(SerialGreater(last, r.first));
  SerialUnwrapper unwrap;
  const int64_t first64 = unwrap.Unwrap(r.first);
  EXPECT_EQ(unwrap.Unwrap(last) - first64, r.count - 1);
}

TEST(NackTest, RejectsLyingCounts) {
  // count 65535 followed by only two ranges: refused before any allocation.
  const std::vector<uint8_t> lie = {0xFF, 0xFF, 0, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 1};
  EXPECT_TRUE(Drops(ParseNack(lie), DropReason::kBadField));
  // count 3 (allowed) with two ranges: truncated.
  std::vector<uint8_t> short_list = lie;
  short_list[0] = 0;
  short_list[1] = 3;
  EXPECT_TRUE(Drops(ParseNack(short_list), DropReason::kTruncated));
  // count 1 with two ranges: trailing bytes.
  std::vector<uint8_t> long_list = lie;
  long_list[0] = 0;
  long_list[1] = 1;
  EXPECT_TRUE(Drops(ParseNack(long_list), DropReason::kTrailingBytes));
  // count 245: over the limit, whatever follows.
  std::vector<uint8_t> over = lie;
  over[0] = 0;
  over[1] = 245;
  EXPECT_TRUE(Drops(ParseNack(over), DropReason::kBadField));
  // 245 real ranges do not fit a body at all.
  over.resize(2 + 245 * kNackRangeSize, 1);
  EXPECT_TRUE(Drops(ParseNack(over), DropReason::kOversized));
}

TEST(NackTest, RejectsEmptyListsAndEmptyRanges) {
  EXPECT_TRUE(Drops(ParseNack({}), DropReason::kTruncated));
  const std::vector<uint8_t> one = {0};
  EXPECT_TRUE(Drops(ParseNack(one), DropReason::kTruncated));
  const std::vector<uint8_t> zero = {0, 0};
  EXPECT_TRUE(Drops(ParseNack(zero), DropReason::kBadField));
  const std::vector<uint8_t> empty_range = {0, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 0};
  EXPECT_TRUE(Drops(ParseNack(empty_range), DropReason::kBadField));
  std::vector<uint8_t> out(kMaxDatagramSize);
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kNack), NackBody{}, out), 0u);
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kNack), NackBody{{{5, 0}}}, out), 0u);
}

ReportBody FullReport() {
  ReportBody r{0xFFFFFFFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFFFFFFFE, 11, {}};
  for (uint8_t i = 0; i < kMaxPaths; ++i) {
    r.paths.push_back({static_cast<uint8_t>(i * 3), static_cast<PathState>(i % 5),
                       static_cast<uint16_t>(i * 100), 1000u * i, 10u * i, 0xFFFFFFFF - i});
  }
  return r;
}

TEST(ReportTest, RoundTripsNoPathsAndMaxPaths) {
  ReportBody none{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, {}};
  auto bytes = ToBytes(MakeHeader(PacketType::kReport), none);
  EXPECT_EQ(bytes.size(), kHeaderSize + kReportFixedSize);
  auto view = ParseHeader(bytes);
  ASSERT_TRUE(view.ok());
  auto parsed = ParseReport(view->body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, none);
  // received bytes at 40, late at 44, path count at 48.
  EXPECT_EQ(bytes[kHeaderSize + 43], 110);
  EXPECT_EQ(bytes[kHeaderSize + 47], 120);
  EXPECT_EQ(bytes[kHeaderSize + 48], 0);

  const ReportBody full = FullReport();
  bytes = ToBytes(MakeHeader(PacketType::kReport), full);
  EXPECT_EQ(bytes.size(), kHeaderSize + kReportFixedSize + kMaxPaths * kReportPathSize);
  view = ParseHeader(bytes);
  ASSERT_TRUE(view.ok());
  parsed = ParseReport(view->body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, full);
}

TEST(ReportTest, RejectsBadPaths) {
  const auto good = ToBytes(MakeHeader(PacketType::kReport), FullReport());
  std::vector<uint8_t> body(good.begin() + kHeaderSize, good.end());
  const size_t count_at = kReportFixedSize - 1;
  const size_t path0 = kReportFixedSize;

  auto with = [&](size_t offset, uint8_t value) {
    std::vector<uint8_t> b = body;
    b[offset] = value;
    return b;
  };
  EXPECT_TRUE(Drops(ParseReport(with(count_at, 9)), DropReason::kBadField));
  EXPECT_TRUE(Drops(ParseReport(with(count_at, 255)), DropReason::kBadField));
  EXPECT_TRUE(Drops(ParseReport(with(count_at, 7)), DropReason::kTrailingBytes));
  EXPECT_TRUE(Drops(ParseReport(with(path0 + 1, 5)), DropReason::kBadField));     // state
  EXPECT_TRUE(Drops(ParseReport(with(path0 + 2, 0x04)), DropReason::kBadField));  // loss 1024+
  EXPECT_TRUE(
      Drops(ParseReport(with(path0 + kReportPathSize, 0)), DropReason::kBadField));  // dup id
  std::vector<uint8_t> more = body;
  more.push_back(0);
  EXPECT_TRUE(Drops(ParseReport(more), DropReason::kTrailingBytes));
  body.pop_back();
  EXPECT_TRUE(Drops(ParseReport(body), DropReason::kTruncated));

  std::vector<uint8_t> out(kMaxDatagramSize);
  ReportBody bad = FullReport();
  bad.paths.push_back({99, PathState::kActive, 0, 0, 0, 0});
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kReport), bad, out), 0u);
  bad = FullReport();
  bad.paths[1].loss_permille = 1001;
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kReport), bad, out), 0u);
  bad = FullReport();
  bad.paths[1].path_id = bad.paths[0].path_id;
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kReport), bad, out), 0u);
}

}  // namespace
}  // namespace hitless
