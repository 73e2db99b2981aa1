// Sender and receiver sessions over the simulator: the core transport's
// acceptance figures (residual loss 0 at 1/5/10% loss both ways with latency
// 4 x RTT; no retransmission storm under pure reordering; sequence wrap).
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/sim/session_harness.h"

namespace hitless::sim {
namespace {

void Print(const char* name, const ArqResult& r) {
  std::printf(
      "%s: sent %llu delivered %llu missing %llu | network lost %llu, retransmitted %llu "
      "(overhead %.2f%%), NACK packets %llu, control %.2f%% | latency ms min %.2f p99 %.2f "
      "max %.2f\n",
      name, static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.delivered),
      static_cast<unsigned long long>(r.missing),
      static_cast<unsigned long long>(r.lost_on_network),
      static_cast<unsigned long long>(r.retransmitted), 100 * r.retransmit_overhead,
      static_cast<unsigned long long>(r.nacks), 100 * r.control_overhead, r.latency_min_ms,
      r.latency_p99_ms, r.latency_max_ms);
}

class ResidualLossTest : public ::testing::TestWithParam<const char*> {};

// 10 Mbit/s for 60 s, RTT 60 ms, latency 240 ms = 4 x RTT, independent loss
// on both directions: nothing may be missing at the output.
TEST_P(ResidualLossTest, ZeroResidualLossAtFourRtt) {
  ArqRun run;
  run.forward = std::string("delay 30ms loss ") + GetParam();
  run.reverse = run.forward;
  const ArqResult r = RunArq(run);
  Print(GetParam(), r);
  EXPECT_EQ(r.sent, 56991u);
  EXPECT_GT(r.lost_on_network, 0u);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_EQ(r.delivered, r.sent);
  EXPECT_EQ(r.duplicates_out, 0u);
  EXPECT_EQ(r.out_of_order, 0u);
  // Every packet leaves at its timestamp + latency on one virtual clock.
  EXPECT_NEAR(r.latency_min_ms, 240.0, 1.0);
  EXPECT_NEAR(r.latency_max_ms, 240.0, 1.0);
}

INSTANTIATE_TEST_SUITE_P(Loss, ResidualLossTest, ::testing::Values("1%", "5%", "10%"));

// Reordering by up to 20 ms of jitter and no loss: gaps are only apparent,
// so the learned reorder tolerance must keep retransmissions to a trickle.
TEST(SessionSimTest, ReorderingWithoutLossCausesNoRetransmissionStorm) {
  ArqRun run;
  run.forward = "delay 30ms 10ms";  // uniform +-10 ms: up to 20 ms of reordering
  run.reverse = "delay 30ms";
  const ArqResult r = RunArq(run);
  Print("reorder 20 ms", r);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_EQ(r.out_of_order, 0u);
  // A storm would be one retransmission per reordered packet (tens of
  // thousands here); learning the tolerance costs a few at the start.
  EXPECT_LT(r.retransmitted, r.sent / 100);
}

// The release window: one wake-up releases every packet due within +-0.75
// ms. At 20 Mbit/s (a packet every 0.53 ms) with 2% loss, every packet still
// plays within 0.75 ms of its time, nothing is lost, and the receiver wakes
// far less often than when it releases each packet at its own time.
TEST(SessionSimTest, ReleaseWindowBatchesWakeupsWithinItsPrecision) {
  ArqRun run;
  run.forward = "delay 30ms loss 2%";
  run.reverse = "delay 30ms loss 2%";
  run.bitrate_bps = 20'000'000;
  run.duration = Duration::Seconds(10);
  const ArqResult exact = RunArq(run);
  run.release_window = Duration::Microseconds(1500);
  const ArqResult windowed = RunArq(run);
  Print("release exact", exact);
  Print("release window 1.5 ms", windowed);
  std::printf("receiver timer wake-ups: exact %llu, window %llu\n",
              static_cast<unsigned long long>(exact.receiver_wakeups),
              static_cast<unsigned long long>(windowed.receiver_wakeups));
  EXPECT_EQ(windowed.missing, 0u);
  EXPECT_EQ(windowed.out_of_order, 0u);
  EXPECT_GE(windowed.latency_min_ms, 240.0 - 0.76);
  EXPECT_LE(windowed.latency_max_ms, 240.0 + 0.76);
  EXPECT_NEAR(exact.latency_max_ms, 240.0, 0.01);
  // ~2.8 packets due per window: well under two thirds of the wake-ups.
  EXPECT_LT(windowed.receiver_wakeups, exact.receiver_wakeups * 2 / 3);
}

TEST(SessionSimTest, SequenceWrapMidStreamLosesNothing) {
  ArqRun run;
  run.forward = "delay 30ms loss 5%";
  run.reverse = run.forward;
  run.duration = Duration::Seconds(10);
  run.initial_sequence = 0xFFFFFFFFu - 4000;  // wraps after ~4 s
  const ArqResult r = RunArq(run);
  Print("wrap", r);
  EXPECT_GT(r.sent, 4001u);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_EQ(r.out_of_order, 0u);
}

// Latency 1.5 x RTT leaves ARQ one late chance at best; Reed-Solomon (k=10,
// m=2, blocks closed after 10 ms) repairs most losses without a round trip.
TEST(SessionSimTest, FecPlusArqBeatsArqAloneAtOneAndAHalfRtt) {
  ArqRun run;
  run.forward = "delay 30ms loss 2%";
  run.reverse = run.forward;
  run.latency = Duration::Milliseconds(90);
  const ArqResult arq = RunArq(run);
  FecEncoderConfig fec;
  fec.mode = FecCodec::kReedSolomon;
  fec.k = 10;
  fec.m = 2;
  fec.max_block_delay = Duration::Milliseconds(10);
  run.fec = fec;
  const ArqResult hybrid = RunArq(run);
  Print("ARQ 1.5xRTT", arq);
  Print("FEC+ARQ 1.5xRTT", hybrid);
  std::printf("FEC overhead %.2f%%, FEC recovered %llu, ARQ recovered %llu\n",
              100 * hybrid.fec_overhead, static_cast<unsigned long long>(hybrid.fec_recovered),
              static_cast<unsigned long long>(hybrid.arq_recovered));
  EXPECT_GT(arq.missing, 0u);
  EXPECT_GT(hybrid.fec_recovered, 0u);
  EXPECT_LE(hybrid.missing * 10, arq.missing);
  EXPECT_EQ(hybrid.duplicates_out, 0u);
  EXPECT_EQ(hybrid.out_of_order, 0u);
}

// Gilbert-Elliott bursts (mean burst 8 packets, 3% average loss) both ways,
// latency 4 x RTT: interleaved Reed-Solomon spreads each burst over several
// blocks, so FEC+ARQ loses nothing and retransmits less than ARQ alone.
TEST(SessionSimTest, InterleavedFecRidesOutBurstsWithLessRetransmission) {
  ArqRun run;
  // p/(p+r) = 3% average loss, 1/r = 8 packets mean burst.
  run.forward = "delay 30ms loss gemodel 0.3866% 12.5%";
  run.reverse = run.forward;
  const ArqResult arq = RunArq(run);
  FecEncoderConfig fec;
  fec.mode = FecCodec::kReedSolomon;
  fec.k = 10;
  fec.m = 3;
  fec.interleave = 8;  // a burst of up to 24 consecutive losses is repairable
  fec.max_block_delay = Duration::Milliseconds(100);  // 80 packets at 10 Mbit/s fit
  run.fec = fec;
  const ArqResult hybrid = RunArq(run);
  Print("ARQ bursts", arq);
  Print("FEC+ARQ bursts", hybrid);
  std::printf("FEC overhead %.2f%%, FEC recovered %llu, ARQ recovered %llu\n",
              100 * hybrid.fec_overhead, static_cast<unsigned long long>(hybrid.fec_recovered),
              static_cast<unsigned long long>(hybrid.arq_recovered));
  EXPECT_EQ(hybrid.missing, 0u);
  EXPECT_GT(hybrid.fec_recovered, 0u);
  EXPECT_LT(hybrid.retransmit_overhead, arq.retransmit_overhead);
}

// Adaptive FEC: the forward loss goes 1% -> 8% -> 1% (20 s each) at latency
// 4 x RTT; returns the run. The repair count is sampled from the changes.
struct AdaptiveRun {
  ArqResult result;
  int At(double t) const {
    int m = 0;
    for (const auto& [when, value] : result.fec_m_changes) {
      if (when <= t) m = value;
    }
    return m;
  }
  int MaxBetween(double from, double to) const {
    int m = At(from);
    for (const auto& [when, value] : result.fec_m_changes) {
      if (when > from && when <= to) m = std::max(m, value);
    }
    return m;
  }
};

AdaptiveRun RunAdaptive(bool arq) {
  ArqRun run;
  run.forward = "delay 30ms loss 1%";
  run.reverse = "delay 30ms loss 1%";
  run.forward_changes = {{Duration::Seconds(20), "delay 30ms loss 8%"},
                         {Duration::Seconds(40), "delay 30ms loss 1%"}};
  AdaptiveFecConfig adaptive;  // k <= 20, m <= 10, 20 ms blocks, residual 1e-5
  adaptive.min_repairs = arq ? 0 : 1;
  run.fec_adaptive = adaptive;
  run.arq = arq;
  AdaptiveRun r{RunArq(run)};
  Print(arq ? "adaptive+ARQ 1%->8%->1%" : "adaptive FEC alone 1%->8%->1%", r.result);
  std::printf("FEC overhead %.2f%%, FEC recovered %llu, ARQ recovered %llu\nm changes:",
              100 * r.result.fec_overhead, static_cast<unsigned long long>(r.result.fec_recovered),
              static_cast<unsigned long long>(r.result.arq_recovered));
  for (const auto& [t, m] : r.result.fec_m_changes) std::printf(" %.2fs:%d", t, m);
  std::printf("\n");
  return r;
}

// With ARQ (3 rounds at 4 x RTT) FEC aims at 1e-5 / p^3: off at 1% (ARQ
// alone suffices), on at 8%, off again after; nothing is lost.
TEST(SessionSimTest, AdaptiveFecWithArqFollowsTheLossRate) {
  const AdaptiveRun r = RunAdaptive(true);
  EXPECT_EQ(r.MaxBetween(5, 20), 0);
  EXPECT_GE(r.At(23), 1) << "FEC on within 3 s of the rise";
  EXPECT_GE(r.At(39.9), 1);
  EXPECT_EQ(r.At(46), 0) << "off within 6 s of the fall";
  EXPECT_EQ(r.MaxBetween(46, 60), 0);
  EXPECT_EQ(r.result.missing, 0u);
  EXPECT_GT(r.result.fec_recovered, 0u);
  EXPECT_EQ(r.result.duplicates_out, 0u);
  EXPECT_EQ(r.result.out_of_order, 0u);
}

// FEC alone must reach 1e-5 by itself: the repair count follows the loss
// rate up within 3 s and back down within 8 s (decay 2.5 s plus a 1 s hold:
// protection lingers a little after a loss spell, in case it comes back).
TEST(SessionSimTest, AdaptiveFecAloneFollowsTheLossRate) {
  const AdaptiveRun r = RunAdaptive(false);
  const AdaptiveFecConfig c;
  // 950 packets/s x 20 ms: blocks of k = 19.
  const auto wanted = [&](double p) {
    for (int m = c.min_repairs; m <= c.max_repairs; ++m) {
      if (ExpectedResidualLoss(19, m, 1, p, 1) <= c.target_residual) return m;
    }
    return c.max_repairs;
  };
  const int low = wanted(0.01);
  const int high = wanted(0.08);
  ASSERT_GT(high, low + 2);
  EXPECT_NEAR(r.At(19.9), low, 1);
  EXPECT_GE(r.At(23), high - 1) << "up within 3 s of the rise";
  EXPECT_NEAR(r.At(39.9), high, 1);
  EXPECT_LE(r.At(48), low + 1) << "down within 8 s of the fall";
  EXPECT_LE(r.MaxBetween(48, 60), low + 1);
  EXPECT_GT(r.result.fec_recovered, 0u);
  EXPECT_EQ(r.result.arq_recovered, 0u);
  EXPECT_EQ(r.result.retransmitted, 0u);
  EXPECT_EQ(r.result.nacks, 0u) << "no ARQ: the receiver sends no NACK";
}

}  // namespace
}  // namespace hitless::sim
