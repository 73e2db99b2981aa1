// AdaptiveFecPolicy: the residual-loss formula against exact values and a
// Monte Carlo block simulation, estimation, convergence after loss changes,
// hysteresis, burst handling and config validation.
#include "fec/adaptive_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

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
// Feeds 20 ms reports at `rate` packets/s with loss `p` in bursts of `burst`
// and records the decision at every report.
struct Feed {
  AdaptiveFecPolicy& policy;
  int64_t now_ms = 0;
  double loss_carry = 0;  // fractional losses owed to the next report
  double event_carry = 0;
  std::vector<std::pair<int64_t, FecDecision>> history;

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
      policy.OnReport(per_report - lost, lost, events, Ms(now_ms));
      history.emplace_back(now_ms, policy.decision());
    }
  }
  // The decision in force at `ms`.
  FecDecision At(int64_t ms) const {
    FecDecision d = history.front().second;
    for (const auto& [t, decision] : history) {
      if (t <= ms) d = decision;
    }
    return d;
  }
};

// The m the policy should settle on for independent loss `p` with I = 1.
int WantedRepairs(const AdaptiveFecConfig& c, int k, double p, double target) {
  for (int m = c.min_repairs; m <= c.max_repairs; ++m) {
    if (ExpectedResidualLoss(k, m, 1, p, 1) <= target) return m;
  }
  return c.max_repairs;
}

// Without ARQ: FEC alone must reach the target.
TEST(AdaptivePolicyTest, ConvergesUpAndDownAfterLossChanges) {
  AdaptiveFecConfig c;
  c.target_residual = 1e-4;
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy, 0, 0, 0, {}};
  feed.Run(10, 0.01);
  feed.Run(10, 0.08);
  feed.Run(15, 0.01);
  const int low = WantedRepairs(c, 20, 0.01, c.target_residual);
  const int high = WantedRepairs(c, 20, 0.08, c.target_residual);
  ASSERT_GT(high, low + 2);
  EXPECT_EQ(feed.At(9'900).k, 20);  // 1000 packets/s x 20 ms
  EXPECT_NEAR(feed.At(9'900).m, low, 1);
  EXPECT_GE(feed.At(12'000).m, high - 1) << "up within 2 s of the rise";
  EXPECT_NEAR(feed.At(19'900).m, high, 1);
  EXPECT_LE(feed.At(28'000).m, low + 1) << "down within 8 s of the fall";
  EXPECT_NEAR(policy.loss_estimate(), 0.01, 0.003);
}

// With ARQ behind it, FEC aims at target / p^A and is off while ARQ alone
// meets the target.
TEST(AdaptivePolicyTest, LeavesLowLossToArq) {
  AdaptiveFecConfig c;
  c.min_repairs = 0;
  AdaptiveFecPolicy policy(c, Ms(0));
  policy.SetArqRounds(3);
  Feed feed{policy, 0, 0, 0, {}};
  feed.Run(10, 0.02);
  EXPECT_EQ(policy.decision().m, 0);
  EXPECT_DOUBLE_EQ(policy.fec_target(), 0.5);
  feed.Run(10, 0.15);
  EXPECT_GT(policy.decision().m, 0) << "15% loss: 1e-5 / 0.15^3 = 0.003 needs FEC";
  EXPECT_NEAR(policy.fec_target(), c.target_residual / std::pow(policy.loss_estimate(), 3), 1e-9);
  policy.SetArqRounds(0);  // latency 1.5 x RTT: FEC alone must reach the target
  feed.Run(1, 0.15);
  EXPECT_DOUBLE_EQ(policy.fec_target(), c.target_residual);
}

TEST(AdaptivePolicyTest, HoldsACheaperChoiceBeforeApplyingIt) {
  AdaptiveFecConfig c;
  c.hold = Duration::Seconds(3);
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy, 0, 0, 0, {}};
  feed.Run(5, 0.08);
  const int high = policy.decision().m;
  feed.Run(2.5, 0.0);
  EXPECT_EQ(policy.decision().m, high) << "a decrease waits for the hold time";
  feed.Run(20, 0.0);  // each step down waits for the hold again
  EXPECT_EQ(policy.decision().m, c.min_repairs);
}

TEST(AdaptivePolicyTest, InterleavesToTheBurstLength) {
  AdaptiveFecConfig c;
  c.max_block_delay = Duration::Milliseconds(200);  // room for 200 packets
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy, 0, 0, 0, {}};
  feed.Run(10, 0.03, 8);
  EXPECT_NEAR(policy.burst_estimate(), 8, 0.5);
  EXPECT_EQ(policy.decision().interleave, 8);  // the cap (1.25 x 8 = 10)
  EXPECT_EQ(policy.decision().k, 20);
  // Meets the target under its own estimates.
  EXPECT_LE(ExpectedResidualLoss(policy.decision().k, policy.decision().m, 8,
                                 policy.loss_estimate(), policy.burst_estimate()),
            c.target_residual);
  // Independent loss: no interleaving.
  AdaptiveFecPolicy random(c, Ms(0));
  Feed random_feed{random, 0, 0, 0, {}};
  random_feed.Run(10, 0.03);
  EXPECT_EQ(random.decision().interleave, 1);
  // A group must fill within max_block_delay: 1000 packets/s x 40 ms = 40
  // packets, so the interleave is at most 40 / 4 = 10 -> cap 8, k = 40 / 8 = 5.
  c.max_block_delay = Duration::Milliseconds(40);
  AdaptiveFecPolicy tight(c, Ms(0));
  Feed tight_feed{tight, 0, 0, 0, {}};
  tight_feed.Run(10, 0.03, 8);
  EXPECT_LE(tight.decision().k * tight.decision().interleave, 40);
}

TEST(AdaptivePolicyTest, SizesBlocksToThePacketRate) {
  AdaptiveFecConfig c;  // 20 ms blocks
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy, 0, 0, 0, {}};
  feed.Run(5, 0.02, 1, 250);  // 250 packets/s: 5 packets in 20 ms
  EXPECT_EQ(policy.decision().k, 5);
  EXPECT_NEAR(policy.packet_rate(), 250, 10);
  // The overhead cap scales with k: 10/20 of 5 = 2.
  EXPECT_LE(policy.decision().m, 2);
}

TEST(AdaptivePolicyTest, StaysInsideTheCap) {
  AdaptiveFecConfig c;
  c.max_repairs = 4;
  AdaptiveFecPolicy policy(c, Ms(0));
  Feed feed{policy, 0, 0, 0, {}};
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

namespace hitless {
namespace {

TEST(AdaptivePolicyBudgetTest, TheBudgetCapsTheOverheadAtOnce) {
  AdaptiveFecConfig c;
  c.hold = Duration::Seconds(5);
  AdaptiveFecPolicy p(c, Time::Zero());
  p.SetArqRounds(-1);
  Time now = Time::Zero();
  // 5% loss without ARQ wants a lot of FEC.
  for (int i = 0; i < 20; ++i) {
    now = now + Duration::Milliseconds(100);
    p.OnReport(95, 5, 5, now);
  }
  ASSERT_GT(p.decision().m, 2);
  // The path has room for 5% only: the choice follows at once (no hold).
  p.SetBudgetOverheadCap(0.05);
  now = now + Duration::Milliseconds(100);
  EXPECT_TRUE(p.OnReport(95, 5, 5, now));
  EXPECT_LE(static_cast<double>(p.decision().m) / p.decision().k, 0.05 + 1e-9);
  // No room at all: FEC off.
  p.SetBudgetOverheadCap(0);
  now = now + Duration::Milliseconds(100);
  p.OnReport(95, 5, 5, now);
  EXPECT_EQ(p.decision().m, 0);
}

}  // namespace
}  // namespace hitless
