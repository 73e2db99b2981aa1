// AdaptiveFecPolicy: the residual-loss formula against exact values and a
// Monte Carlo block simulation, estimation, convergence after loss changes,
// hysteresis, burst handling and config validation.
#include "fec/adaptive_policy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "transport/base/random.h"

namespace hitless {
namespace {

Time Ms(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

TEST(ResidualLossTest, NoRepairsLeavesTheLossRate) {
  for (double p : {0.001, 0.01, 0.08, 0.3}) {
    EXPECT_NEAR(ExpectedResidualLoss(20, 0, 1, p, 1), p, 1e-12) << p;
  }
  EXPECT_EQ(ExpectedResidualLoss(20, 4, 1, 0, 1), 0);
  EXPECT_EQ(ExpectedResidualLoss(20, 4, 1, 1, 1), 1);
}

TEST(ResidualLossTest, FallsWithRepairsAndRisesWithBursts) {
  double previous = 1;
  for (int m = 0; m <= 10; ++m) {
    const double r = ExpectedResidualLoss(20, m, 1, 0.05, 1);
    EXPECT_LT(r, previous) << m;
    previous = r;
  }
  // Bursts of 4 without interleaving cost far more than with 4-deep interleave.
  EXPECT_GT(ExpectedResidualLoss(20, 4, 1, 0.02, 4), 10 * ExpectedResidualLoss(20, 4, 4, 0.02, 4));
}

// For independent loss the formula is exact: compare with a simulation of
// RS(k, m) blocks (a block decodes iff at most m of its k + m symbols are lost).
TEST(ResidualLossTest, MatchesMonteCarloForIndependentLoss) {
  Random random(7);
  const int k = 20;
  for (const auto& [m, p] : {std::pair{2, 0.05}, std::pair{4, 0.08}, std::pair{1, 0.01}}) {
    const int blocks = 200'000;
    int64_t residual = 0;
    for (int b = 0; b < blocks; ++b) {
      int lost_sources = 0;
      int lost = 0;
      for (int i = 0; i < k + m; ++i) {
        if (random.Uniform() < p) {
          ++lost;
          if (i < k) ++lost_sources;
        }
      }
      if (lost > m) residual += lost_sources;
    }
    const double measured = static_cast<double>(residual) / (static_cast<double>(blocks) * k);
    const double predicted = ExpectedResidualLoss(k, m, 1, p, 1);
    EXPECT_NEAR(measured, predicted, 0.1 * predicted + 2e-5) << "m=" << m << " p=" << p;
  }
}

// Feeds `seconds` of 20 ms reports at `rate` packets/s with loss `p` in
// bursts of `burst`; returns the time the decision last changed (or -1).
struct Feed {
  AdaptiveFecPolicy& policy;
  int64_t now_ms = 0;
  int64_t last_change_ms = -1;
  double loss_carry = 0;   // fractional losses owed to the next report
  double event_carry = 0;

  void Run(double seconds, double p, double burst = 1, int rate = 1000) {
    const int per_report = rate / 50;
    for (int64_t end = now_ms + static_cast<int64_t>(seconds * 1000); now_ms < end;) {
      now_ms += 20;
      loss_carry += per_report * p;
      event_carry += per_report * p / burst;
      const auto lost = static_cast<int64_t>(loss_carry);
      const auto events = std::min(lost, static_cast<int64_t>(event_carry));
      loss_carry -= static_cast<double>(lost);
      event_carry -= static_cast<double>(events);
      if (policy.OnReport(per_report - lost, lost, events, Ms(now_ms))) last_change_ms = now_ms;
    }
  }
};

int WantedRepairs(const AdaptiveFecConfig& c, double p, int interleave, double burst) {
  for (int m = c.min_repairs; m <= c.max_repairs; ++m) {
    if (ExpectedResidualLoss(c.k, m, interleave, p, burst) <= c.target_residual) return m;
  }
  return c.max_repairs;
}

TEST(AdaptivePolicyTest, ConvergesUpAndDownAfterLossChanges) {
  AdaptiveFecConfig c;
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy};
  feed.Run(10, 0.01);
  EXPECT_NEAR(policy.loss_estimate(), 0.01, 0.002);
  const int low = policy.decision().m;
  EXPECT_EQ(low, WantedRepairs(c, 0.01, 1, 1));

  const int64_t rise = feed.now_ms;
  feed.Run(10, 0.08);
  const int high = policy.decision().m;
  EXPECT_EQ(high, WantedRepairs(c, 0.08, 1, 1));
  EXPECT_GT(high, low);
  EXPECT_LE(feed.last_change_ms - rise, 2000) << "overhead must follow a rise within 2 s";

  const int64_t fall = feed.now_ms;
  feed.Run(15, 0.01);
  EXPECT_EQ(policy.decision().m, low);
  EXPECT_LE(feed.last_change_ms - fall, 8000) << "and come back down within a few seconds";
}

TEST(AdaptivePolicyTest, HoldsALowerValueBeforeApplyingIt) {
  AdaptiveFecConfig c;
  c.hold = Duration::Seconds(3);
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy};
  feed.Run(5, 0.08);
  const int high = policy.decision().m;
  feed.Run(2.5, 0.0);
  EXPECT_EQ(policy.decision().m, high) << "a decrease waits for the hold time";
  feed.Run(10, 0.0);
  EXPECT_EQ(policy.decision().m, c.min_repairs);
}

TEST(AdaptivePolicyTest, InterleavesToTheBurstLength) {
  AdaptiveFecConfig c;
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy};
  feed.Run(10, 0.03, 8);
  EXPECT_NEAR(policy.burst_estimate(), 8, 0.5);
  EXPECT_EQ(policy.decision().interleave, 8);  // the cap (1.25 x 8 = 10)
  // Meets the target under its own estimates (hysteresis may keep it above
  // the minimum while the burst estimate wanders around the cap).
  EXPECT_LE(ExpectedResidualLoss(c.k, policy.decision().m, 8, policy.loss_estimate(),
                                 policy.burst_estimate()),
            c.target_residual);
  c.max_interleave = 4;
  AdaptiveFecPolicy capped(c, Ms(0));
  Feed capped_feed{capped};
  capped_feed.Run(10, 0.03, 8);
  EXPECT_EQ(capped.decision().interleave, 4);
}

TEST(AdaptivePolicyTest, StaysInsideTheCap) {
  AdaptiveFecConfig c;
  c.max_repairs = 4;
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy};
  feed.Run(5, 0.3);
  EXPECT_EQ(policy.decision().m, 4);
}

TEST(AdaptivePolicyTest, WaitsForEnoughPacketsAndToleratesStepsBack) {
  AdaptiveFecConfig c;
  AdaptiveFecPolicy policy(c, Ms(0));
  // 10 packets per report at 20 ms: a window needs min_window_packets.
  EXPECT_FALSE(policy.OnReport(10, 0, 0, Ms(200)));
  EXPECT_EQ(policy.windows(), 0);
  // Reordering: `lost` steps back (a gap filled late); never a negative rate.
  policy.OnReport(100, -3, 0, Ms(400));
  EXPECT_EQ(policy.windows(), 1);
  EXPECT_GE(policy.loss_estimate(), 0);
}

TEST(AdaptivePolicyTest, RejectsBadConfigs) {
  EXPECT_TRUE(ValidateAdaptiveFecConfig({}).ok());
  auto bad = [](auto edit) {
    AdaptiveFecConfig c;
    edit(c);
    return !ValidateAdaptiveFecConfig(c).ok();
  };
  EXPECT_TRUE(bad([](auto& c) { c.k = 0; }));
  EXPECT_TRUE(bad([](auto& c) { c.max_repairs = c.k + 1; }));
  EXPECT_TRUE(bad([](auto& c) { c.min_repairs = c.max_repairs + 1; }));
  EXPECT_TRUE(bad([](auto& c) { c.max_interleave = 100; }));  // 20 x 100 > 1024
  EXPECT_TRUE(bad([](auto& c) { c.target_residual = 0; }));
  EXPECT_TRUE(bad([](auto& c) { c.initial_burst = 0.5; }));
  EXPECT_TRUE(bad([](auto& c) { c.decay = Duration::Zero(); }));
}

}  // namespace
}  // namespace hitless
