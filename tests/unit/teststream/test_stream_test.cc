#include "netem-scenarios/teststream/test_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace hitless::teststream {
namespace {

std::vector<uint8_t> Make(uint32_t id, uint64_t seq, Time sent, size_t size = 1316) {
  std::vector<uint8_t> d(size);
  EXPECT_TRUE(WriteDatagram(d, id, seq, sent));
  return d;
}

Time Ms(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

TEST(TestStreamTest, RoundTrip) {
  const auto d = Make(9, 123456789, Ms(42));
  const auto p = ParseDatagram(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->stream_id, 9u);
  EXPECT_EQ(p->seq, 123456789u);
  EXPECT_EQ(p->sent, Ms(42));
  EXPECT_EQ(d.back(), 0x47);
}

TEST(TestStreamTest, RejectsShortForeignAndHostileDatagrams) {
  std::vector<uint8_t> small(kHeaderSize - 1);
  EXPECT_FALSE(WriteDatagram(small, 1, 1, Ms(0)));
  auto d = Make(1, 5, Ms(0));
  for (size_t len = 0; len < kHeaderSize; ++len) {
    EXPECT_FALSE(ParseDatagram(std::span(d).first(len)).has_value()) << len;
  }
  d[0] ^= 0xFF;  // bad magic
  EXPECT_FALSE(ParseDatagram(d).has_value());
  auto huge = Make(1, uint64_t{1} << 40, Ms(0));  // would make the checker allocate
  EXPECT_FALSE(ParseDatagram(huge).has_value());
}

TEST(TestStreamTest, CheckerCountsLossDuplicatesReorderingAndDelay) {
  Checker c;
  c.OnDatagram(Make(3, 0, Ms(0)), Ms(10));
  c.OnDatagram(Make(3, 2, Ms(2)), Ms(12));
  c.OnDatagram(Make(3, 1, Ms(1)), Ms(21));  // reordered, 20 ms
  c.OnDatagram(Make(3, 2, Ms(2)), Ms(13));  // duplicate
  c.OnDatagram(Make(3, 5, Ms(5)), Ms(15));  // 3 and 4 missing
  c.OnDatagram(Make(4, 6, Ms(6)), Ms(16));  // another stream: malformed
  c.OnDatagram(std::vector<uint8_t>(5, 0), Ms(16));
  EXPECT_EQ(c.received(), 7u);
  EXPECT_EQ(c.unique(), 4u);
  EXPECT_EQ(c.duplicates(), 1u);
  EXPECT_EQ(c.reordered(), 1u);
  EXPECT_EQ(c.malformed(), 2u);
  EXPECT_EQ(c.missing(), 2u);
  EXPECT_EQ(c.missing(8), 4u);  // the sender sent 0..7
  EXPECT_EQ(c.min_delay(), Duration::Milliseconds(10));
  EXPECT_EQ(c.max_delay(), Duration::Milliseconds(20));
  EXPECT_NEAR(c.mean_delay_ms(), 12.5, 1e-9);
  EXPECT_EQ(c.delay_percentile(0.5), Duration::Microseconds(10100));
  EXPECT_EQ(c.delay_percentile(1.0), Duration::Milliseconds(20));  // bin edge clamped to max
}

TEST(TestStreamTest, HostileSequenceJumpsKeepMemoryBoundedAndCountStale) {
  Checker c;
  c.OnDatagram(Make(1, 0, Ms(0)), Ms(1));
  c.OnDatagram(Make(1, 0xFFFFFFFFull, Ms(0)), Ms(1));  // far jump: no huge allocation
  EXPECT_EQ(c.unique(), 2u);
  EXPECT_EQ(c.missing(), 0xFFFFFFFFull - 1);
  c.OnDatagram(Make(1, 5, Ms(0)), Ms(1));  // far below the window: stale
  EXPECT_EQ(c.stale(), 1u);
  EXPECT_EQ(c.duplicates(), 0u);
  c.OnDatagram(Make(1, 0xFFFFFFFEull, Ms(0)), Ms(1));  // inside the window: late, unique
  c.OnDatagram(Make(1, 0xFFFFFFFEull, Ms(0)), Ms(1));
  EXPECT_EQ(c.unique(), 3u);
  EXPECT_EQ(c.duplicates(), 1u);
}

TEST(TestStreamTest, DelayPercentilesUseCoarseBinsBeyondTwoSeconds) {
  Checker c;
  c.OnDatagram(Make(1, 0, Ms(0)), Ms(5000));
  EXPECT_EQ(c.delay_percentile(1.0), Duration::Milliseconds(5000));  // clamped to max
  c.OnDatagram(Make(1, 1, Ms(0)), Ms(5003));
  EXPECT_EQ(c.delay_percentile(0.5), Duration::Milliseconds(5003));  // bin edge 5010, max 5003
  EXPECT_EQ(c.max_delay(), Duration::Milliseconds(5003));
}

}  // namespace
}  // namespace hitless::teststream
