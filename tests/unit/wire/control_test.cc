// KEEPALIVE, SHUTDOWN and the type-dispatching packet API.
#include "transport/wire/control.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/wire/wire_test_util.h"
#include "transport/wire/packet.h"

namespace hitless {
namespace {

using wire_test::Drops;
using wire_test::MakeHeader;
using wire_test::ParseAny;
using wire_test::Samples;
using wire_test::ToBytes;

TEST(KeepaliveTest, RoundTripAndExactSize) {
  const KeepaliveBody k{0xDEADBEEF, 0x01020304, 0x0A0B0C0D};
  const auto bytes = ToBytes(MakeHeader(PacketType::kKeepalive), k);
  const std::vector<uint8_t> want = {0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + kHeaderSize, bytes.end()), want);
  auto parsed = ParseKeepalive(want);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, k);
  std::vector<uint8_t> longer = want;
  longer.push_back(0);
  EXPECT_TRUE(Drops(ParseKeepalive(longer), DropReason::kTrailingBytes));
  EXPECT_TRUE(Drops(ParseKeepalive(std::span(want).first(11)), DropReason::kTruncated));
}

TEST(KeepaliveTest, RelayedFormCarriesTheUpstreamTransit) {
  KeepaliveBody k{7, 8, 9};
  k.relayed = true;
  k.upstream_transit_us = 0x11223344;
  const auto bytes = ToBytes(MakeHeader(PacketType::kKeepalive), k);
  ASSERT_EQ(bytes.size(), kHeaderSize + kRelayedKeepaliveSize);
  const std::vector<uint8_t> body(bytes.begin() + kHeaderSize, bytes.end());
  EXPECT_EQ(std::vector<uint8_t>(body.end() - 4, body.end()),
            (std::vector<uint8_t>{0x11, 0x22, 0x33, 0x44}));
  auto parsed = ParseKeepalive(body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, k);
  // The plain form is not relayed; sizes between the two forms, or beyond,
  // are refused.
  EXPECT_FALSE(ParseKeepalive(std::span(body).first(kKeepaliveSize))->relayed);
  for (size_t n : {size_t{13}, size_t{14}, size_t{15}}) {
    EXPECT_TRUE(Drops(ParseKeepalive(std::span(body).first(n)), DropReason::kTrailingBytes)) << n;
  }
  std::vector<uint8_t> longer = body;
  longer.push_back(0);
  EXPECT_TRUE(Drops(ParseKeepalive(longer), DropReason::kTrailingBytes));
}

TEST(ShutdownTest, RoundTripAnyReasonAndExactSize) {
  for (int reason = 0; reason < 256; ++reason) {
    const ShutdownBody s{static_cast<uint8_t>(reason)};
    auto parsed = ParsePacket(ToBytes(MakeHeader(PacketType::kShutdown), s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(std::get<ShutdownBody>(parsed->body), s);
  }
  EXPECT_TRUE(Drops(ParseShutdown({}), DropReason::kTruncated));
  const std::vector<uint8_t> two = {1, 2};
  EXPECT_TRUE(Drops(ParseShutdown(two), DropReason::kTrailingBytes));
}

TEST(PacketTest, EverySampleRoundTripsThroughTheGenericApi) {
  for (const auto& sample : Samples()) {
    auto parsed = ParseAny(sample.bytes);
    ASSERT_TRUE(parsed.ok()) << sample.name << ": "
                             << DropReasonName(DropReasonOf(parsed.status()));
    EXPECT_EQ(*parsed, sample.packet) << sample.name;
    EXPECT_EQ(TypeOf(parsed->body), parsed->header.type) << sample.name;
    std::vector<uint8_t> again(kMaxDatagramSize);
    const size_t n = Serialize(parsed->header, parsed->body, again);
    again.resize(n);
    EXPECT_EQ(again, sample.bytes) << sample.name;
  }
}

TEST(PacketTest, ParsePacketRefusesCiphertext) {
  Header h = MakeHeader(PacketType::kKeepalive);
  h.encrypted = true;
  EXPECT_TRUE(Drops(ParsePacket(ToBytes(h, KeepaliveBody{})), DropReason::kAuthFailed));
  h.encrypted = false;
  EXPECT_TRUE(ParsePacket(ToBytes(h, KeepaliveBody{})).ok());
}

TEST(PacketTest, WrongBodyForTypeIsDropped) {
  // A KEEPALIVE body relabelled as SHUTDOWN: too long for it.
  auto bytes = ToBytes(MakeHeader(PacketType::kKeepalive), KeepaliveBody{});
  bytes[1] = static_cast<uint8_t>(PacketType::kShutdown);
  EXPECT_TRUE(Drops(ParsePacket(bytes), DropReason::kTrailingBytes));
}

}  // namespace
}  // namespace hitless
