// Hostile input across all packet types: every truncation, appended bytes,
// every single-bit flip, and 100k seeded random buffers (raw and with a
// plausible header). Nothing may crash (the suite runs under ASan/UBSan), and
// whatever parses must re-serialize to something that parses identically.
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/wire/wire_test_util.h"
#include "transport/base/random.h"
#include "transport/wire/packet.h"

namespace hitless {
namespace {

using wire_test::ParseAny;
using wire_test::Samples;

// For anything that parses: serialize it again and check it parses equal.
void ExpectStableIfParses(std::span<const uint8_t> bytes) {
  auto parsed = ParseAny(bytes);
  if (!parsed.ok()) {
    (void)DropReasonOf(parsed.status());  // every failure carries a reason
    return;
  }
  std::vector<uint8_t> out(kMaxDatagramSize);
  const size_t n = Serialize(parsed->header, parsed->body, out);
  ASSERT_NE(n, 0u) << "parsed packet did not re-serialize";
  auto again = ParseAny(std::span(out).first(n));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
}

TEST(HostileTest, EveryTruncationFailsCleanly) {
  for (const auto& sample : Samples()) {
    for (size_t n = 0; n < sample.bytes.size(); ++n) {
      const auto prefix = std::span(sample.bytes).first(n);
      auto parsed = ParseAny(prefix);
      if (n < sample.min_parse_size) {
        EXPECT_FALSE(parsed.ok()) << sample.name << " prefix " << n;
      }
      ExpectStableIfParses(prefix);
    }
  }
}

TEST(HostileTest, AppendedBytes) {
  for (const auto& sample : Samples()) {
    std::vector<uint8_t> longer = sample.bytes;
    longer.push_back(0);
    ExpectStableIfParses(longer);
    const PacketType type = sample.packet.header.type;
    if (type == PacketType::kNack || type == PacketType::kReport ||
        type == PacketType::kKeepalive || type == PacketType::kShutdown) {
      // Encrypted ones misplace the tag instead; either way they must fail.
      EXPECT_FALSE(ParseAny(longer).ok()) << sample.name;
    }
    longer.resize(kMaxDatagramSize + 1);
    EXPECT_FALSE(ParseAny(longer).ok()) << sample.name;
  }
}

TEST(HostileTest, EverySingleBitFlip) {
  for (const auto& sample : Samples()) {
    std::vector<uint8_t> bytes = sample.bytes;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        bytes[i] ^= static_cast<uint8_t>(1u << bit);
        ExpectStableIfParses(bytes);
        bytes[i] ^= static_cast<uint8_t>(1u << bit);
      }
    }
  }
}

TEST(HostileTest, RandomGarbageNeverCrashes) {
  Random rng(0x5EED);
  std::vector<uint8_t> buf;
  size_t parsed = 0;
  for (int i = 0; i < 100'000; ++i) {
    buf.resize(rng.UniformInt(kMaxDatagramSize + 64));
    for (auto& b : buf) b = static_cast<uint8_t>(rng.NextU64());
    if (i % 2 == 1 && buf.size() >= kHeaderSize) {
      // A plausible header so the typed parsers see the garbage too.
      buf[0] = kWireVersion;
      buf[1] = static_cast<uint8_t>(1 + rng.UniformInt(7));
      buf[2] &= static_cast<uint8_t>(~kFlagEncrypted);
      if (i % 4 == 1 && buf.size() > kHeaderSize + 2) {
        // Small counts, so list parsers get past their limits sometimes.
        buf[kHeaderSize] = 0;
        buf[kHeaderSize + 1] = static_cast<uint8_t>(rng.UniformInt(4));
      }
    }
    if (ParseAny(buf).ok()) ++parsed;
    ExpectStableIfParses(buf);
    if (HasFatalFailure()) return;
  }
  // Sanity: the plausible-header half reaches some successful parses (DATA).
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace hitless
