// ForwardDelay: percentiles to the bin, the overflow bin, Prometheus counts.
#include "relay/forward_delay.h"

#include <gtest/gtest.h>

namespace hitless::relay {
namespace {

TEST(ForwardDelayTest, PercentilesAndBucketsFollowTheSamples) {
  ForwardDelay d;
  EXPECT_EQ(d.PercentileUs(0.99), 0);
  // 990 samples at 55 us, 10 at 3 ms.
  for (int i = 0; i < 990; ++i) d.Add(Duration::Microseconds(55));
  for (int i = 0; i < 10; ++i) d.Add(Duration::Milliseconds(3));
  EXPECT_EQ(d.count(), 1000u);
  EXPECT_EQ(d.PercentileUs(0.5), 60);  // the 50..60 us bin's upper edge
  EXPECT_EQ(d.PercentileUs(0.989), 60);
  EXPECT_EQ(d.PercentileUs(0.999), 3000);
  EXPECT_EQ(d.max_us(), 3000);
  EXPECT_EQ(d.UnderUs(100), 990u);
  EXPECT_EQ(d.UnderUs(5000), 1000u);
  EXPECT_NEAR(d.sum_seconds(), (990 * 55 + 10 * 3000) / 1e6, 1e-9);
}

TEST(ForwardDelayTest, BeyondTheRangeAndNegativeSamplesStayBounded) {
  ForwardDelay d;
  d.Add(Duration::Seconds(3));         // the overflow bin
  d.Add(Duration::Microseconds(-40));  // a stamp after the clock read: 0
  EXPECT_EQ(d.max_us(), 3'000'000);
  EXPECT_EQ(d.PercentileUs(1.0), 3'000'000);
  EXPECT_EQ(d.PercentileUs(0.0), 10);
  EXPECT_EQ(d.UnderUs(20'000), 1u);
  EXPECT_EQ(d.UnderUs(1'000'000'000), 2u);
}

}  // namespace
}  // namespace hitless::relay
