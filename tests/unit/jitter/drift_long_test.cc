// Long simulated streams through the TsbpdBuffer: an hour with a sender clock
// off by +-100 and +-500 ppm, an outage, a sender clock step. The budget is
// the end-to-end latency: every delivered packet must leave within 1 ms of
// (true send time + latency), with the sender's spacing, and the buffer level
// must not grow.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/jitter/sim_stream.h"

namespace hitless::jitter {
namespace {

class HourOfDrift : public ::testing::TestWithParam<double> {};

TEST_P(HourOfDrift, LatencyHoldsAndBufferStaysBounded) {
  SimConfig config;
  config.sender_ppm = GetParam();
  config.duration = Duration::Seconds(3600);
  config.rate_pps = 50;  // sampled: 180k packets keep the test fast under ASan
  config.seed = 42;
  const SimResult r = RunSim(config);

  EXPECT_FALSE(r.stalled);
  EXPECT_TRUE(r.in_order);
  EXPECT_FALSE(r.early);
  EXPECT_TRUE(r.payload_ok);
  EXPECT_EQ(r.delivered, r.sent);
  EXPECT_EQ(r.stats.too_late, 0u);
  EXPECT_EQ(r.stats.skipped, 0u);
  EXPECT_LE(r.max_dev, Duration::Milliseconds(1));
  // The first seconds: the first window's minimum is all there is to go on.
  EXPECT_LE(r.max_dev_excluded, Duration::Milliseconds(5));
  EXPECT_LE(r.max_spacing_err, Duration::Microseconds(100));
  // Latency 200 ms at 50 pkt/s holds ~10 packets; drift must not add any.
  EXPECT_LE(r.max_level, 14u);
  EXPECT_NEAR(r.slope, -GetParam() * 1e-6, 20e-6);
  EXPECT_EQ(r.stats.relocks, 0u);
  RecordProperty("max_dev_us", static_cast<int>(r.max_dev.ToMicroseconds()));
  std::printf(
      "ppm %+.0f: max |e2e - budget| %.3f ms (sent at %.1f s), spacing err %.3f ms, "
      "level <= %zu, slope %.1f ppm\n",
      GetParam(), r.max_dev.ToMillisecondsF(), r.max_dev_at.ToSecondsF(),
      r.max_spacing_err.ToMillisecondsF(), r.max_level, r.slope * 1e6);
}

INSTANTIATE_TEST_SUITE_P(Ppm, HourOfDrift, ::testing::Values(100.0, -100.0, 500.0, -500.0));

TEST(DriftLong, WithoutTransitEstimateLatencyIsBudgetPlusTransit) {
  SimConfig config;
  config.sender_ppm = 100;
  config.duration = Duration::Seconds(120);
  config.tell_transit = false;
  const SimResult r = RunSim(config);
  EXPECT_EQ(r.delivered, r.sent);
  // The mapping then treats the path as instantaneous: releases come one
  // base delay (30 ms) after the budget.
  EXPECT_GE(r.max_dev, Duration::Milliseconds(29));
  EXPECT_LE(r.max_dev, Duration::Milliseconds(32));
}

TEST(DriftLong, OutageOfFiveSecondsThenResume) {
  SimConfig config;
  config.sender_ppm = -500;
  config.duration = Duration::Seconds(120);
  config.outage_start = Duration::Seconds(60);
  config.outage_length = Duration::Seconds(5);
  const SimResult r = RunSim(config);
  EXPECT_FALSE(r.stalled);
  EXPECT_TRUE(r.in_order);
  EXPECT_FALSE(r.early);
  EXPECT_EQ(r.lost_in_network, 500u);
  EXPECT_EQ(r.delivered, r.sent - r.lost_in_network);
  EXPECT_EQ(r.stats.skipped, r.lost_in_network);
  EXPECT_EQ(r.skipped_reported, r.lost_in_network);
  EXPECT_EQ(r.stats.too_late, 0u);
  EXPECT_LE(r.max_dev, Duration::Milliseconds(1));
  EXPECT_EQ(r.stats.relocks, 0u);
}

TEST(DriftLong, HeavyJitterStillHoldsTheBudget) {
  SimConfig config;
  config.sender_ppm = 500;
  config.duration = Duration::Seconds(300);
  config.rate_pps = 200;
  config.jitter_sigma = Duration::Milliseconds(40);
  config.latency = Duration::Milliseconds(400);
  const SimResult r = RunSim(config);
  EXPECT_EQ(r.delivered, r.sent);
  EXPECT_LE(r.max_dev, Duration::Milliseconds(1));
  EXPECT_LE(r.max_spacing_err, Duration::Microseconds(100));
}

TEST(DriftLong, LatePacketsDoNotMoveTheMapping) {
  SimConfig config;
  config.sender_ppm = -100;
  config.duration = Duration::Seconds(300);
  config.outlier_prob = 0.02;
  config.outlier_delay = Duration::Seconds(1);  // far past the 200 ms budget
  const SimResult r = RunSim(config);
  EXPECT_FALSE(r.stalled);
  EXPECT_TRUE(r.in_order);
  EXPECT_GT(r.stats.too_late, 400u);
  EXPECT_EQ(r.stats.skipped, r.stats.too_late);
  EXPECT_EQ(r.delivered + r.stats.skipped, r.sent);
  EXPECT_LE(r.max_dev, Duration::Milliseconds(1));
  EXPECT_EQ(r.stats.relocks, 0u);
}

TEST(DriftLong, SenderClockStepRelocks) {
  for (const int64_t jump_ms : {3000, -3000}) {
    SCOPED_TRACE(jump_ms);
    SimConfig config;
    config.duration = Duration::Seconds(90);
    config.ts_jump_at = Duration::Seconds(40);
    config.ts_jump = Duration::Milliseconds(jump_ms);
    // The step is only believed after a few windows; judge the rest.
    config.ignore_from = Duration::Seconds(35);
    config.ignore_to = Duration::Seconds(50);
    const SimResult r = RunSim(config);
    EXPECT_FALSE(r.stalled);
    EXPECT_TRUE(r.in_order);
    EXPECT_FALSE(r.early);
    EXPECT_EQ(r.stats.relocks, 1u);
    EXPECT_LE(r.max_dev, Duration::Milliseconds(1));
    EXPECT_EQ(r.delivered + r.stats.skipped, r.sent);
  }
}

}  // namespace
}  // namespace hitless::jitter
