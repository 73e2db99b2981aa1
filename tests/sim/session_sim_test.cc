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
// 4 x RTT. The repair count must follow within a few seconds each way (up in
// 3 s, down in 8 s), and
// FEC + ARQ must lose nothing throughout.
TEST(SessionSimTest, AdaptiveFecFollowsTheLossRate) {
  ArqRun run;
  run.forward = "delay 30ms loss 1%";
  run.reverse = "delay 30ms loss 1%";
  run.forward_changes = {{Duration::Seconds(20), "delay 30ms loss 8%"},
                         {Duration::Seconds(40), "delay 30ms loss 1%"}};
  run.fec_adaptive = AdaptiveFecConfig{};
  const ArqResult r = RunArq(run);
  Print("adaptive 1%->8%->1%", r);
  std::printf("FEC overhead %.2f%%, FEC recovered %llu, ARQ recovered %llu\nm changes:",
              100 * r.fec_overhead, static_cast<unsigned long long>(r.fec_recovered),
              static_cast<unsigned long long>(r.arq_recovered));
  for (const auto& [t, m] : r.fec_m_changes) std::printf(" %.2fs:%d", t, m);
  std::printf("\n");
  const AdaptiveFecConfig c;
  // The m the policy settles on for a loss rate, with a +-1 band for the
  // estimate's noise.
  const auto wanted = [&](double p) {
    for (int m = c.min_repairs; m <= c.max_repairs; ++m) {
      if (ExpectedResidualLoss(c.k, m, 1, p, 1) <= c.target_residual) return m;
    }
    return c.max_repairs;
  };
  const auto m_at = [&](double t) {
    int m = 0;
    for (const auto& [when, value] : r.fec_m_changes) {
      if (when <= t) m = value;
    }
    return m;
  };
  const auto max_m_between = [&](double from, double to) {
    int m = m_at(from);
    for (const auto& [when, value] : r.fec_m_changes) {
      if (when > from && when <= to) m = std::max(m, value);
    }
    return m;
  };
  const int low = wanted(0.01);
  const int high = wanted(0.08);
  ASSERT_GT(high, low + 2);
  EXPECT_NEAR(m_at(19.9), low, 1);
  EXPECT_GE(m_at(23), high - 1) << "up within 3 s of the rise";
  EXPECT_NEAR(m_at(39.9), high, 1);
  // Down more slowly (decay 2.5 s, then a 1 s hold): protection lingers a
  // little after a loss spell, in case it comes back.
  EXPECT_LE(m_at(48), low + 1) << "down within 8 s of the fall";
  EXPECT_LE(max_m_between(48, 60), low + 1);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_GT(r.fec_recovered, r.arq_recovered);
  EXPECT_EQ(r.duplicates_out, 0u);
  EXPECT_EQ(r.out_of_order, 0u);
}

}  // namespace
}  // namespace hitless::sim
