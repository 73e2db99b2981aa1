// DATA and FEC_REPAIR: round trips, payload limits and FEC range rules.
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/wire/wire_test_util.h"
#include "transport/wire/data.h"
#include "transport/wire/fec_repair.h"

namespace hitless {
namespace {

using wire_test::Drops;
using wire_test::MakeHeader;
using wire_test::ToBytes;

TEST(DataTest, RoundTripsPayloadSizes) {
  for (size_t size : {size_t{1}, size_t{188}, size_t{1316}, kMaxDataPayload}) {
    std::vector<uint8_t> payload(size);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i ^ 0x5A);
    for (bool encrypted : {false, true}) {
      Header h = MakeHeader(PacketType::kData);
      h.encrypted = encrypted;
      const auto bytes = ToBytes(h, DataBody{payload});
      EXPECT_EQ(bytes.size(), kHeaderSize + size + (encrypted ? kAeadTagSize : 0));
      auto view = ParseHeader(bytes);
      ASSERT_TRUE(view.ok());
      EXPECT_EQ(view->header, h);
      auto data = ParseData(view->body);
      ASSERT_TRUE(data.ok());
      EXPECT_EQ(*data, DataBody{payload});
      EXPECT_EQ(data->payload.data(), bytes.data() + kHeaderSize);  // a view, no copy
    }
  }
}

TEST(DataTest, MaxEncryptedDataFitsTheDatagram) {
  EXPECT_LE(kHeaderSize + kMaxDataPayload + kAeadTagSize, kMaxDatagramSize);
  EXPECT_LE(kHeaderSize + kFecRepairFixedSize + kMaxDataPayload + kAeadTagSize, kMaxDatagramSize);
}

TEST(DataTest, RejectsEmptyAndOversizedPayloads) {
  EXPECT_TRUE(Drops(ParseData({}), DropReason::kBadField));
  std::vector<uint8_t> big(kMaxDataPayload + 1, 1);
  EXPECT_TRUE(Drops(ParseData(big), DropReason::kOversized));
  std::vector<uint8_t> out(kMaxDatagramSize * 2);
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kData), DataBody{big}, out), 0u);
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kData), DataBody{}, out), 0u);
}

FecRepairBody ValidFec(FecScheme scheme, std::span<const uint8_t> payload) {
  switch (scheme) {
    case FecScheme::kXorRow:
      return {FecScheme::kXorRow, 0, 10, 1, 0, 1000, 0x0524, 0x11, payload};
    case FecScheme::kXorColumn:
      return {FecScheme::kXorColumn, 0, 5, 1, 10, 1000, 0x0524, 0x11, payload};
    case FecScheme::kReedSolomon:
      break;
  }
  return {FecScheme::kReedSolomon, 4, 200, 55, 0, 0xFFFFFF00, 0x0524, 0x11, payload};
}

TEST(FecRepairTest, RoundTripsEveryScheme) {
  std::vector<uint8_t> payload(kMaxFecRepairPayload, 0xEE);
  for (auto scheme : {FecScheme::kXorRow, FecScheme::kXorColumn, FecScheme::kReedSolomon}) {
    for (size_t size : {size_t{1}, size_t{1316}, kMaxFecRepairPayload}) {
      const FecRepairBody body = ValidFec(scheme, std::span(payload).first(size));
      const auto bytes = ToBytes(MakeHeader(PacketType::kFecRepair), body);
      ASSERT_EQ(bytes.size(), kHeaderSize + kFecRepairFixedSize + size);
      auto view = ParseHeader(bytes);
      ASSERT_TRUE(view.ok());
      auto parsed = ParseFecRepair(view->body);
      ASSERT_TRUE(parsed.ok()) << DropReasonName(DropReasonOf(parsed.status()));
      EXPECT_EQ(*parsed, body);
    }
  }
}

TEST(FecRepairTest, FixedFieldOffsets) {
  const std::vector<uint8_t> payload = {0xAB};
  const auto bytes = ToBytes(MakeHeader(PacketType::kFecRepair),
                             FecRepairBody{FecScheme::kReedSolomon, 2, 0x00FA, 3, 0, 0x0A0B0C0D,
                                           0x0E0F, 0x10111213, payload});
  const std::vector<uint8_t> want = {3,    2,    0x00, 0xFA, 3,    0,    0x0A, 0x0B, 0x0C,
                                     0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0xAB};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + kHeaderSize, bytes.end()), want);
}

TEST(FecRepairTest, RejectsBadRanges) {
  const std::vector<uint8_t> payload = {1, 2, 3};
  struct Case {
    const char* name;
    FecRepairBody body;
  };
  const Case cases[] = {
      {"index >= m", {FecScheme::kReedSolomon, 5, 10, 5, 0, 0, 0, 0, payload}},
      {"m == 0", {FecScheme::kReedSolomon, 0, 10, 0, 0, 0, 0, 0, payload}},
      {"k == 0", {FecScheme::kReedSolomon, 0, 0, 1, 0, 0, 0, 0, payload}},
      {"rs k+m > 255", {FecScheme::kReedSolomon, 0, 250, 6, 0, 0, 0, 0, payload}},
      {"row m == 2", {FecScheme::kXorRow, 0, 10, 2, 0, 0, 0, 0, payload}},
      {"row stride", {FecScheme::kXorRow, 0, 10, 1, 3, 0, 0, 0, payload}},
      {"row k > 255", {FecScheme::kXorRow, 0, 256, 1, 0, 0, 0, 0, payload}},
      {"column stride 0", {FecScheme::kXorColumn, 0, 10, 1, 0, 0, 0, 0, payload}},
      {"column k > 255", {FecScheme::kXorColumn, 0, 300, 1, 5, 0, 0, 0, payload}},
      {"empty payload", {FecScheme::kXorRow, 0, 10, 1, 0, 0, 0, 0, {}}},
  };
  // Serialize refuses them; the same bytes forged by hand are dropped.
  const FecRepairBody good = ValidFec(FecScheme::kReedSolomon, payload);
  const auto good_bytes = ToBytes(MakeHeader(PacketType::kFecRepair), good);
  std::vector<uint8_t> out(kMaxDatagramSize);
  for (const Case& c : cases) {
    EXPECT_EQ(Serialize(MakeHeader(PacketType::kFecRepair), c.body, out), 0u) << c.name;
    std::vector<uint8_t> forged(good_bytes.begin() + kHeaderSize, good_bytes.begin() + 32);
    forged[0] = static_cast<uint8_t>(c.body.scheme);
    forged[1] = c.body.repair_index;
    forged[2] = static_cast<uint8_t>(c.body.source_count >> 8);
    forged[3] = static_cast<uint8_t>(c.body.source_count);
    forged[4] = c.body.repair_count;
    forged[5] = c.body.stride;
    forged.insert(forged.end(), c.body.payload.begin(), c.body.payload.end());
    EXPECT_TRUE(Drops(ParseFecRepair(forged), DropReason::kBadField)) << c.name;
  }
  for (int scheme : {0, 4, 255}) {
    std::vector<uint8_t> forged(good_bytes.begin() + kHeaderSize, good_bytes.end());
    forged[0] = static_cast<uint8_t>(scheme);
    EXPECT_TRUE(Drops(ParseFecRepair(forged), DropReason::kBadField)) << scheme;
  }
}

TEST(FecRepairTest, TruncatedFixedFields) {
  const std::vector<uint8_t> body(kFecRepairFixedSize - 1, 0);
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_TRUE(Drops(ParseFecRepair(std::span(body).first(n)), DropReason::kTruncated)) << n;
  }
  const std::vector<uint8_t> big(kMaxBodySize + 1, 0);
  EXPECT_TRUE(Drops(ParseFecRepair(big), DropReason::kOversized));
}

// Reed-Solomon's stride is the interleave depth (fec/README.md).
TEST(FecRepairTest, ReedSolomonStrideIsTheInterleaveDepth) {
  const std::vector<uint8_t> payload(100, 0xAB);
  const FecRepairBody body{FecScheme::kReedSolomon, 1, 10, 2, 4, 1000, 7, 9, payload};
  std::vector<uint8_t> out(kMaxDatagramSize);
  const size_t size = Serialize(MakeHeader(PacketType::kFecRepair), body, out);
  ASSERT_GT(size, 0u);
  auto parsed =
      ParseFecRepair(std::span<const uint8_t>(out).subspan(kHeaderSize, size - kHeaderSize));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->stride, 4);
  EXPECT_EQ(*parsed, body);
}

}  // namespace
}  // namespace hitless
