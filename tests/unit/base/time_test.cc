#include "transport/base/time.h"

#include <gtest/gtest.h>

#include "transport/base/clock.h"

namespace hitless {
namespace {

TEST(DurationTest, UnitsConvert) {
  EXPECT_EQ(Duration::Milliseconds(3).ToMicroseconds(), 3000);
  EXPECT_EQ(Duration::Seconds(2).ToMilliseconds(), 2000);
  EXPECT_EQ(Duration::SecondsF(0.0015).ToMicroseconds(), 1500);
  EXPECT_EQ(Duration::SecondsF(-0.0015).ToMicroseconds(), -1500);
  EXPECT_DOUBLE_EQ(Duration::Milliseconds(250).ToSecondsF(), 0.25);
}

TEST(DurationTest, Arithmetic) {
  const Duration a = Duration::Milliseconds(10);
  const Duration b = Duration::Milliseconds(4);
  EXPECT_EQ(a + b, Duration::Milliseconds(14));
  EXPECT_EQ(a - b, Duration::Milliseconds(6));
  EXPECT_EQ(-a, Duration::Milliseconds(-10));
  EXPECT_EQ(a * 3, Duration::Milliseconds(30));
  EXPECT_EQ(a / 2, Duration::Milliseconds(5));
  EXPECT_EQ(a / b, 2);
  EXPECT_LT(b, a);
  EXPECT_TRUE(Duration::Infinite().IsInfinite());
}

TEST(TimeTest, PointsAndSpans) {
  const Time t0 = Time::FromNanoseconds(1000);
  const Time t1 = t0 + Duration::Microseconds(5);
  EXPECT_EQ(t1 - t0, Duration::Microseconds(5));
  EXPECT_EQ(t1 - Duration::Microseconds(5), t0);
  EXPECT_LT(t0, t1);
  EXPECT_TRUE(Time::Infinite().IsInfinite());
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Time::FromNanoseconds(42));
  EXPECT_EQ(clock.Now(), Time::FromNanoseconds(42));
  clock.Advance(Duration::Milliseconds(1));
  EXPECT_EQ(clock.Now(), Time::FromNanoseconds(42) + Duration::Milliseconds(1));
  clock.AdvanceTo(Time::FromNanoseconds(5'000'000));
  EXPECT_EQ(clock.Now().ToNanoseconds(), 5'000'000);
}

TEST(ClockTest, SteadyClockIsMonotonic) {
  SteadyClock clock;
  Time prev = clock.Now();
  for (int i = 0; i < 1000; ++i) {
    const Time now = clock.Now();
    EXPECT_GE(now, prev);
    prev = now;
  }
}

}  // namespace
}  // namespace hitless
