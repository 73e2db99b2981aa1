// StreamRing: a relay stream's packets kept once with their wire timestamp
// and origin time; late fills; expiry; WouldGrow before the ring moves.
#include "relay/stream_ring.h"

#include <gtest/gtest.h>

#include <vector>

namespace hitless::relay {
namespace {

constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

std::vector<uint8_t> Payload(int64_t seq, size_t size = 1316) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(seq * 7 + static_cast<int64_t>(i));
  return p;
}

TEST(StreamRingTest, KeepsEachPacketOnceWithItsStampAndOrigin) {
  StreamRing ring(Duration::Milliseconds(300), 1 << 15);
  for (int64_t s = 100; s < 110; ++s) {
    if (s == 104) continue;  // a gap, filled late below
    ASSERT_TRUE(ring.Store(s, static_cast<uint32_t>(s * 1000), At(s), Payload(s), At(s)));
  }
  ASSERT_TRUE(ring.Store(104, 104'000, At(104), Payload(104, 200), At(120)));  // late fill
  EXPECT_FALSE(ring.Store(104, 104'000, At(104), Payload(104), At(121)));      // held already
  for (int64_t s = 100; s < 110; ++s) {
    const auto p = ring.Find(s);
    ASSERT_TRUE(p) << s;
    EXPECT_EQ(p->timestamp_us, static_cast<uint32_t>(s * 1000));
    EXPECT_EQ(p->origin_time, At(s));
    const std::vector<uint8_t> want = Payload(s, s == 104 ? 200 : 1316);
    EXPECT_EQ(std::vector<uint8_t>(p->payload.begin(), p->payload.end()), want) << s;
  }
  EXPECT_FALSE(ring.Find(99));
  EXPECT_FALSE(ring.Find(110));
  // Empty and oversized payloads are not kept.
  EXPECT_FALSE(ring.Store(111, 0, At(111), {}, At(111)));
  EXPECT_FALSE(ring.Store(112, 0, At(112), Payload(112, 2000), At(112)));
  // Past the retention the packets go.
  ASSERT_TRUE(ring.Store(500, 500'000, At(500), Payload(500), At(500)));
  EXPECT_FALSE(ring.Find(100));
  EXPECT_TRUE(ring.Find(500));
}

TEST(StreamRingTest, SaysBeforeItGrowsAndKeepsTheLongestRetention) {
  StreamRing ring(Duration::Milliseconds(100), 1 << 15);
  ring.RaiseRetention(Duration::Seconds(10));
  ring.RaiseRetention(Duration::Milliseconds(50));  // never shortens
  const auto slots = static_cast<int64_t>(ring.slots());
  for (int64_t s = 0; s < slots; ++s) {
    ASSERT_FALSE(ring.WouldGrow(s, At(s / 10)));
    ASSERT_TRUE(ring.Store(s, 0, At(s / 10), Payload(s, 100), At(s / 10)));
  }
  // All within 10 s: one more needs a larger ring.
  EXPECT_TRUE(ring.WouldGrow(slots, At(slots / 10)));
  ASSERT_TRUE(ring.Store(slots, 0, At(slots / 10), Payload(slots, 100), At(slots / 10)));
  EXPECT_EQ(static_cast<int64_t>(ring.slots()), 2 * slots);
  EXPECT_TRUE(ring.Find(0));
}

}  // namespace
}  // namespace hitless::relay
