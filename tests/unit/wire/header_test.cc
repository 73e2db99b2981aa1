// Common header: byte layout, flags, limits, error helpers and the
// serializer's buffer handling.
#include "transport/wire/header.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

#include "tests/unit/wire/wire_test_util.h"
#include "transport/wire/control.h"
#include "transport/wire/data.h"
#include "transport/wire/wire_error.h"

namespace hitless {
namespace {

using wire_test::Drops;
using wire_test::MakeHeader;
using wire_test::ToBytes;

std::vector<uint8_t> RawHeader(uint8_t version, uint8_t type, uint8_t flags, uint32_t session = 7,
                               size_t body = 1) {
  // Sized once (a resize of a 16-byte vector draws GCC 12's false
  // -Warray-bounds inside libstdc++ at -O3).
  std::vector<uint8_t> d(kHeaderSize + body, 0x55);
  const uint8_t header[] = {version, type, flags, 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1};
  std::copy(std::begin(header), std::end(header), d.begin());
  d[4] = static_cast<uint8_t>(session >> 24);
  d[5] = static_cast<uint8_t>(session >> 16);
  d[6] = static_cast<uint8_t>(session >> 8);
  d[7] = static_cast<uint8_t>(session);
  return d;
}

TEST(WireErrorTest, EveryReasonRoundTrips) {
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    const absl::Status s = WireError(reason);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string_view(s.message().data(), s.message().size()), DropReasonName(reason));
    EXPECT_EQ(DropReasonOf(s), reason);
  }
}

TEST(HeaderTest, ByteLayoutIsBigEndianAtDocumentedOffsets) {
  Header h = MakeHeader(PacketType::kKeepalive, 0xA1B2C3D4);
  h.sequence = 0x11223344;
  h.timestamp_us = 0x55667788;
  h.path_id = 7;
  h.retransmission = true;
  h.path_probe = true;
  h.encrypted = true;
  h.key_epoch = 2;
  const auto bytes = ToBytes(h, KeepaliveBody{});
  ASSERT_EQ(bytes.size(), kHeaderSize + kKeepaliveSize + kAeadTagSize);
  const std::array<uint8_t, 16> want = {1,    6,    0x01 | 0x02 | (2 << 2) | 0x10,
                                        7,    0xA1, 0xB2,
                                        0xC3, 0xD4, 0x11,
                                        0x22, 0x33, 0x44,
                                        0x55, 0x66, 0x77,
                                        0x88};
  EXPECT_TRUE(std::equal(want.begin(), want.end(), bytes.begin()));
  // The tag slot is reserved and zeroed for the crypto layer.
  for (size_t i = bytes.size() - kAeadTagSize; i < bytes.size(); ++i) EXPECT_EQ(bytes[i], 0);

  auto view = ParseHeader(bytes);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->header, h);
  EXPECT_EQ(view->header_bytes.size(), kHeaderSize);
  EXPECT_EQ(view->header_bytes.data(), bytes.data());
  EXPECT_EQ(view->body.size(), kKeepaliveSize);
  EXPECT_EQ(view->aead_tag.size(), kAeadTagSize);
  EXPECT_EQ(view->aead_tag.data(), bytes.data() + bytes.size() - kAeadTagSize);
}

TEST(HeaderTest, PathIdsAboveSevenAreRefused) {
  Header h = MakeHeader(PacketType::kKeepalive, 5);
  h.path_id = 8;
  std::vector<uint8_t> out(kMaxDatagramSize);
  EXPECT_EQ(Serialize(h, KeepaliveBody{}, std::span<uint8_t>(out)), 0u)
      << "the serializer refuses it";
  h.path_id = 7;
  auto bytes = ToBytes(h, KeepaliveBody{});
  ASSERT_FALSE(bytes.empty());
  for (const uint8_t id : {8, 9, 0x80, 0xFF}) {
    bytes[3] = id;
    auto view = ParseHeader(bytes);
    ASSERT_FALSE(view.ok()) << int{id};
    EXPECT_EQ(DropReasonOf(view.status()), DropReason::kBadField);
  }
}

TEST(HeaderTest, PlaintextHasNoTag) {
  const auto bytes = ToBytes(MakeHeader(PacketType::kShutdown), ShutdownBody{});
  auto view = ParseHeader(bytes);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->aead_tag.empty());
  EXPECT_EQ(view->body.size(), 1u);
}

TEST(HeaderTest, ReservedFlagBitsAreIgnoredOnReceive) {
  const auto raw = RawHeader(1, 1, 0xE0 | kFlagRetransmission);
  auto view = ParseHeader(raw);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->header.retransmission);
  EXPECT_FALSE(view->header.encrypted);
  // And never written: re-serializing gives clean flags.
  const auto bytes = ToBytes(view->header, DataBody{view->body});
  EXPECT_EQ(bytes[2], kFlagRetransmission);
}

TEST(HeaderTest, KeyEpochIsOnlyMeaningfulWhenEncrypted) {
  auto view = ParseHeader(RawHeader(1, 1, kFlagKeyEpochMask));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->header.key_epoch, 0);

  Header h = MakeHeader(PacketType::kData);
  h.key_epoch = 1;  // without encryption: refused
  std::array<uint8_t, kMaxDatagramSize> out{};
  const std::array<uint8_t, 1> payload = {1};
  EXPECT_EQ(Serialize(h, DataBody{payload}, out), 0u);
  h.encrypted = true;
  h.key_epoch = 4;  // out of range
  EXPECT_EQ(Serialize(h, DataBody{payload}, out), 0u);
  h.key_epoch = 3;
  EXPECT_NE(Serialize(h, DataBody{payload}, out), 0u);
}

TEST(HeaderTest, WrongVersionIsDropped) {
  for (int v : {0, 2, 0x81, 255}) {
    EXPECT_TRUE(
        Drops(ParseHeader(RawHeader(static_cast<uint8_t>(v), 1, 0)), DropReason::kBadVersion))
        << v;
  }
}

TEST(HeaderTest, UnknownTypeIsDropped) {
  for (int t : {0, 8, 9, 127, 255}) {
    EXPECT_TRUE(
        Drops(ParseHeader(RawHeader(1, static_cast<uint8_t>(t), 0)), DropReason::kUnknownType))
        << t;
  }
}

TEST(HeaderTest, SizeLimits) {
  const auto raw = RawHeader(1, 1, 0);
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_TRUE(Drops(ParseHeader(std::span(raw).first(n)), DropReason::kTruncated)) << n;
  }
  EXPECT_TRUE(ParseHeader(RawHeader(1, 1, 0, 7, kMaxDatagramSize - kHeaderSize)).ok());
  EXPECT_TRUE(Drops(ParseHeader(RawHeader(1, 1, 0, 7, kMaxDatagramSize - kHeaderSize + 1)),
                    DropReason::kOversized));
  EXPECT_TRUE(Drops(ParseHeader(RawHeader(1, 1, 0, 7, 65000)), DropReason::kOversized));
  // An empty body is a header matter only; the typed parser rejects it.
  const auto raw_empty = RawHeader(1, 1, 0, 7, 0);
  auto empty = ParseHeader(raw_empty);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->body.empty());
}

TEST(HeaderTest, EncryptedWithoutRoomForTagIsTruncated) {
  for (size_t body = 0; body < kAeadTagSize; ++body) {
    EXPECT_TRUE(
        Drops(ParseHeader(RawHeader(1, 1, kFlagEncrypted, 7, body)), DropReason::kTruncated))
        << body;
  }
  const auto raw = RawHeader(1, 1, kFlagEncrypted, 7, kAeadTagSize);
  auto tag_only = ParseHeader(raw);
  ASSERT_TRUE(tag_only.ok());
  EXPECT_TRUE(tag_only->body.empty());
  EXPECT_EQ(tag_only->aead_tag.size(), kAeadTagSize);
}

TEST(HeaderTest, SessionZeroOnlyForHandshake) {
  for (uint8_t t = 1; t <= 7; ++t) {
    auto view = ParseHeader(RawHeader(1, t, 0, 0));
    if (t == static_cast<uint8_t>(PacketType::kHandshake)) {
      EXPECT_TRUE(view.ok());
    } else {
      EXPECT_TRUE(Drops(view, DropReason::kBadField)) << int{t};
    }
  }
  std::array<uint8_t, kMaxDatagramSize> out{};
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kKeepalive, 0), KeepaliveBody{}, out), 0u);
}

TEST(HeaderTest, SerializeReturnsZeroWhenOutputTooSmall) {
  const Header h = MakeHeader(PacketType::kKeepalive);
  const size_t full = kHeaderSize + kKeepaliveSize;
  std::vector<uint8_t> out(full);
  for (size_t n = 0; n < full; ++n) {
    EXPECT_EQ(Serialize(h, KeepaliveBody{1, 2, 3}, std::span(out).first(n)), 0u) << n;
  }
  EXPECT_EQ(Serialize(h, KeepaliveBody{1, 2, 3}, out), full);
}

TEST(HeaderTest, TypeFieldOfHeaderIsIgnoredBySerialize) {
  const auto bytes = ToBytes(MakeHeader(PacketType::kData), ShutdownBody{});
  EXPECT_EQ(bytes[1], static_cast<uint8_t>(PacketType::kShutdown));
}

}  // namespace
}  // namespace hitless
