// RttEstimator against the RFC 6298 formulas, its RTO floor and ceiling,
// back-off, and the windowed minimum.
#include "transport/arq/rtt_estimator.h"

#include <gtest/gtest.h>

namespace hitless::arq {
namespace {

constexpr Duration Ms(int64_t ms) { return Duration::Milliseconds(ms); }
constexpr Duration Us(int64_t us) { return Duration::Microseconds(us); }
constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

TEST(RttEstimatorTest, InitialValuesBeforeAnySample) {
  RttEstimator rtt({.initial_rtt = Ms(200)});
  EXPECT_FALSE(rtt.has_sample());
  EXPECT_EQ(rtt.srtt(), Ms(200));
  EXPECT_EQ(rtt.min_rtt(), Ms(200));
  EXPECT_EQ(rtt.rto(), Ms(200) + Ms(100) * 4);  // SRTT + 4 * RTTVAR, RTTVAR = R/2
}

TEST(RttEstimatorTest, FollowsRfc6298) {
  RttEstimator rtt;
  // 2.2: first sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR).
  rtt.OnSample(Ms(100), At(0));
  EXPECT_EQ(rtt.srtt(), Ms(100));
  EXPECT_EQ(rtt.rttvar(), Ms(50));
  EXPECT_EQ(rtt.rto(), Ms(300));
  EXPECT_EQ(rtt.latest_rtt(), Ms(100));
  // 2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| (old SRTT), SRTT = 7/8 SRTT + 1/8 R'.
  rtt.OnSample(Ms(200), At(10));
  EXPECT_EQ(rtt.rttvar(), Us(62'500));
  EXPECT_EQ(rtt.srtt(), Us(112'500));
  EXPECT_EQ(rtt.rto(), Us(112'500 + 250'000));
  rtt.OnSample(Ms(100), At(20));
  EXPECT_EQ(rtt.rttvar(), Duration::Nanoseconds((62'500'000 * 3 + 12'500'000) / 4));
  EXPECT_EQ(rtt.srtt(), Duration::Nanoseconds((112'500'000 * 7 + 100'000'000) / 8));
  EXPECT_EQ(rtt.one_way(), rtt.srtt() / 2);
  EXPECT_EQ(rtt.samples(), 3u);
}

TEST(RttEstimatorTest, ClockGranularityBoundsTheVarianceTerm) {
  RttEstimator rtt({.min_rto = Duration::Zero(), .clock_granularity = Ms(5)});
  for (int i = 0; i < 100; ++i) rtt.OnSample(Ms(40), At(i));  // RTTVAR decays to ~0
  EXPECT_EQ(rtt.srtt(), Ms(40));
  EXPECT_EQ(rtt.rto(), Ms(45));  // SRTT + G
}

TEST(RttEstimatorTest, RtoFloorCeilingAndBackOff) {
  RttEstimator rtt({.min_rto = Ms(10), .max_rto = Ms(1000)});
  rtt.OnSample(Ms(1), At(0));
  EXPECT_EQ(rtt.rto(), Ms(10));  // 1 + 2 = 3 ms, floored
  rtt.BackOff();
  EXPECT_EQ(rtt.rto(), Ms(20));
  rtt.OnSample(Ms(900), At(1));
  EXPECT_EQ(rtt.rto(), Ms(1000));  // ceiling
  rtt.BackOff();
  EXPECT_EQ(rtt.rto(), Ms(1000));
}

TEST(RttEstimatorTest, NegativeSamplesAreIgnored) {
  RttEstimator rtt;
  rtt.OnSample(Ms(-5), At(0));
  EXPECT_FALSE(rtt.has_sample());
  EXPECT_EQ(rtt.rejected_samples(), 1u);
  rtt.OnSample(Duration::Zero(), At(0));
  EXPECT_TRUE(rtt.has_sample());
  EXPECT_EQ(rtt.srtt(), Duration::Zero());
}

TEST(RttEstimatorTest, MinRttTracksTheWindow) {
  RttEstimator rtt({.min_rtt_window = Duration::Seconds(10)});
  rtt.OnSample(Ms(50), At(0));
  rtt.OnSample(Ms(30), At(1000));
  rtt.OnSample(Ms(60), At(2000));
  EXPECT_EQ(rtt.min_rtt(), Ms(30));
  EXPECT_EQ(rtt.latest_rtt(), Ms(60));
  // The 30 ms sample ages out; later samples are all >= 45 ms.
  for (int64_t t = 3000; t <= 13000; t += 500) rtt.OnSample(Ms(45 + (t / 500) % 3), At(t));
  EXPECT_GE(rtt.min_rtt(), Ms(45));
  EXPECT_LE(rtt.min_rtt(), Ms(47));
  // A path change to a longer RTT is picked up within about a window.
  for (int64_t t = 13000; t <= 26000; t += 500) rtt.OnSample(Ms(80), At(t));
  EXPECT_EQ(rtt.min_rtt(), Ms(80));
}

}  // namespace
}  // namespace hitless::arq
