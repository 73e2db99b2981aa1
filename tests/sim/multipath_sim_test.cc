// Multipath sessions over the simulator (issue 5): 10 Mbit/s over two paths
// (20 ms and 80 ms one way) with an outage, a flapping path, loss on both;
// three cellular-like paths bonded. Deterministic; figures are printed.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/sim/multipath_harness.h"
#include "tests/sim/session_harness.h"

namespace hitless::sim {
namespace {

using path::MultipathMode;

MultipathRun TwoPaths(MultipathMode mode, const char* loss = "") {
  MultipathRun run;
  run.config.mode = mode;
  run.paths.resize(2);
  run.paths[0].forward = run.paths[0].reverse = std::string("delay 20ms ") + loss;
  run.paths[1].forward = run.paths[1].reverse = std::string("delay 80ms ") + loss;
  return run;
}

MultipathResult RunAndPrint(const char* name, const MultipathRun& run) {
  const MultipathResult r = RunMultipath(run);
  std::printf("%s: %s\n", name, Describe(r).c_str());
  return r;
}

// A 5 s outage of the fast path (both directions) from t = 10 s.
class OutageTest : public ::testing::TestWithParam<MultipathMode> {};

TEST_P(OutageTest, FiveSecondOutageOfOnePathLosesNothing) {
  MultipathRun run = TwoPaths(GetParam());
  run.latency = Duration::Milliseconds(500);
  run.paths[0].outages = {{Duration::Seconds(10), Duration::Seconds(5)}};
  const MultipathResult r = RunAndPrint(path::MultipathModeName(GetParam()), run);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_EQ(r.duplicates_out, 0u);
  EXPECT_EQ(r.out_of_order, 0u);
  EXPECT_GE(r.times_down[0], 1u) << "the outage was seen";
  EXPECT_LE(r.latency_max_ms, 500.5);
  if (GetParam() == MultipathMode::kBackup) {
    EXPECT_GE(r.failovers, 1u);
    ASSERT_TRUE(r.failover_outage_ms && r.failover_detected_ms && r.failover_first_packet_ms);
    // Outage start (t = 10 s) to the first packet on the standby.
    std::printf("backup failover: %.1f ms from the outage to the first packet on the standby\n",
                *r.failover_first_packet_ms - 10'000);
    EXPECT_LT(*r.failover_first_packet_ms - 10'000, 200);
  }
}

// Also a failure of the slow path: nothing changes for duplicate and bond,
// nothing at all for backup (the standby is not carrying media).
TEST_P(OutageTest, OutageOfTheSlowPathLosesNothing) {
  MultipathRun run = TwoPaths(GetParam());
  run.paths[1].outages = {{Duration::Seconds(10), Duration::Seconds(5)}};
  const MultipathResult r = RunAndPrint(path::MultipathModeName(GetParam()), run);
  EXPECT_EQ(r.missing, 0u);
  EXPECT_GE(r.times_down[1], 1u);
}

// The fast path goes down for 700 ms, up for 700 ms, ... for 30 s.
TEST_P(OutageTest, FlappingPathLosesNothingAndSwitchesAreBounded) {
  MultipathRun run = TwoPaths(GetParam());
  run.duration = Duration::Seconds(35);
  for (int i = 0; i < 22; ++i) {
    run.paths[0].outages.push_back(
        {Duration::Seconds(2) + Duration::Milliseconds(1400) * i, Duration::Milliseconds(700)});
  }
  const MultipathResult r = RunAndPrint(path::MultipathModeName(GetParam()), run);
  std::printf("flapping, %s: %llu switches (%llu failovers), fast path down %llu times\n",
              path::MultipathModeName(GetParam()), static_cast<unsigned long long>(r.switches),
              static_cast<unsigned long long>(r.failovers),
              static_cast<unsigned long long>(r.times_down[0]));
  EXPECT_EQ(r.missing, 0u);
  EXPECT_LE(r.switches, 4u) << "backup must not follow every flap";
}

INSTANTIATE_TEST_SUITE_P(Modes, OutageTest,
                         ::testing::Values(MultipathMode::kDuplicate, MultipathMode::kBackup,
                                           MultipathMode::kBond),
                         [](const auto& info) {
                           return std::string(path::MultipathModeName(info.param));
                         });

// Both paths lose 5% independently: a packet is lost only if both copies
// are (0.25%), so duplicate needs far less retransmission than one path.
TEST(MultipathSimTest, DuplicateOverTwoLossyPathsNeedsLessRetransmission) {
  MultipathRun run = TwoPaths(MultipathMode::kDuplicate, "loss 5%");
  run.latency = Duration::Milliseconds(500);
  const MultipathResult dup = RunAndPrint("duplicate, 5% each", run);
  ArqRun single;
  single.forward = single.reverse = "delay 20ms loss 5%";
  single.latency = run.latency;
  single.duration = run.duration;
  const ArqResult one = RunArq(single);
  std::printf("single path 5%%: missing %llu, retransmitted %llu (%.2f%%)\n",
              static_cast<unsigned long long>(one.missing),
              static_cast<unsigned long long>(one.retransmitted), 100 * one.retransmit_overhead);
  EXPECT_EQ(dup.missing, 0u);
  EXPECT_LT(dup.retransmit_overhead * 5, one.retransmit_overhead);
  EXPECT_GT(dup.path_duplicates, dup.sent / 2);
}

// Three cellular-like uplinks, 2 / 4 / 7 Mbit/s with queues, 40 / 80 /
// 120 ms, jitter and short loss bursts, bonded: a 10 Mbit/s stream, more
// than any one of them carries, arrives whole.
TEST(MultipathSimTest, BondCarriesMoreThanAnyOnePath) {
  MultipathRun run;
  run.config.mode = MultipathMode::kBond;
  run.latency = Duration::Milliseconds(1000);
  run.duration = Duration::Seconds(30);
  run.bitrate_bps = 10'000'000;
  run.paths.resize(3);
  run.paths[0].forward = "delay 40ms 5ms rate 2mbit limit 200 loss gemodel 0.2% 30%";
  run.paths[1].forward = "delay 80ms 8ms rate 4mbit limit 200 loss gemodel 0.2% 30%";
  run.paths[2].forward = "delay 120ms 10ms rate 7mbit limit 200 loss gemodel 0.2% 30%";
  run.paths[0].reverse = "delay 40ms 5ms";
  run.paths[1].reverse = "delay 80ms 8ms";
  run.paths[2].reverse = "delay 120ms 10ms";
  const MultipathResult r = RunAndPrint("bond, 3 cellular", run);
  EXPECT_GT(r.delivered_bps, 7'000'000 * 1.3) << "more than the best path alone";
  EXPECT_LE(r.missing, r.sent / 10000);
}

}  // namespace
}  // namespace hitless::sim
