#include "transport/base/serial.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hitless {
namespace {

TEST(SerialTest, ComparesAcrossTheWrap) {
  EXPECT_TRUE(SerialLess(0xFFFFFFF0u, 0x00000010u));
  EXPECT_TRUE(SerialGreater(0x00000010u, 0xFFFFFFF0u));
  EXPECT_EQ(SerialDiff(0x00000010u, 0xFFFFFFF0u), 0x20);
  EXPECT_EQ(SerialDiff(0xFFFFFFF0u, 0x00000010u), -0x20);
  EXPECT_TRUE(SerialLessOrEqual(7u, 7u));
  EXPECT_FALSE(SerialLess(7u, 7u));
  EXPECT_EQ(SerialDiff(0u, 0xFFFFFFFFu), 1);
}

TEST(SerialTest, HalfSpaceBoundary) {
  // 2^31 - 1 ahead is "after"; exactly 2^31 apart is the ambiguous point
  // where int32 wraps to negative.
  EXPECT_TRUE(SerialGreater(0x7FFFFFFFu, 0u));
  EXPECT_TRUE(SerialLess(0x80000000u, 0u));
}

TEST(SerialUnwrapperTest, ContinuesPastTheWrap) {
  SerialUnwrapper u;
  EXPECT_EQ(u.Unwrap(0xFFFFFFFEu), 0xFFFFFFFEll);
  EXPECT_EQ(u.Unwrap(0xFFFFFFFFu), 0xFFFFFFFFll);
  EXPECT_EQ(u.Unwrap(0u), 0x100000000ll);
  EXPECT_EQ(u.Unwrap(1u), 0x100000001ll);
}

TEST(SerialUnwrapperTest, ReorderedAndDuplicateValuesAcrossTheWrap) {
  SerialUnwrapper u;
  u.Unwrap(0xFFFFFFF0u);
  EXPECT_EQ(u.Unwrap(0x5u), 0x100000005ll);
  // An older packet from before the wrap arrives late.
  EXPECT_EQ(u.Unwrap(0xFFFFFFFAu), 0xFFFFFFFAll);
  // State still points past the wrap.
  EXPECT_EQ(u.Unwrap(0x6u), 0x100000006ll);
  EXPECT_EQ(u.Unwrap(0x6u), 0x100000006ll);
  EXPECT_EQ(*u.last(), 0x100000006ll);
}

TEST(SerialUnwrapperTest, ManyWrapsStayMonotonic) {
  SerialUnwrapper u;
  uint32_t v = 0xFFFFFF00u;
  int64_t prev = u.Unwrap(v);
  for (int i = 0; i < 3 * 1000; ++i) {
    v += 0x0FFFFFFFu / 1000 * 5;  // big strides, < 2^31
    const int64_t now = u.Unwrap(v);
    ASSERT_GT(now, prev);
    ASSERT_EQ(static_cast<uint32_t>(now), v);
    prev = now;
  }
  EXPECT_GT(prev, int64_t{1} << 32);
}

TEST(SerialUnwrapperTest, OlderValueNearZeroGoesNegative) {
  SerialUnwrapper u;
  EXPECT_EQ(u.Unwrap(2u), 2);
  EXPECT_EQ(u.Unwrap(0xFFFFFFFFu), -1);
  EXPECT_EQ(u.PeekUnwrap(3u), 3);
}

}  // namespace
}  // namespace hitless
