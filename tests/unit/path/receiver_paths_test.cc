// ReceiverPaths: probe-window loss, RFC 3550 jitter, transit skew, liveness,
// the REPORT entries and the RTT echo.
#include "transport/path/receiver_paths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace hitless::path {
namespace {

constexpr Duration Ms(int64_t ms) { return Duration::Milliseconds(ms); }
constexpr Duration Us(int64_t us) { return Duration::Microseconds(us); }
constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

// A probe on `path` at `now`: the packet and its probe id, as the session
// reports both.
void Probe(ReceiverPaths& rx, uint8_t path, uint32_t id, Time now, Duration transit = Ms(10)) {
  rx.OnPacket(path, PacketType::kKeepalive, 28, static_cast<uint32_t>(id * 10'000), transit, now);
  rx.OnProbe(path, id, now);
}

TEST(ReceiverPathsTest, LossFromProbeGaps) {
  ReceiverPaths rx({.loss_window = 200});
  // Every 10th probe lost: 20 of the last 200 ids.
  for (uint32_t id = 1; id <= 1000; ++id) {
    if (id % 10 != 0) Probe(rx, 0, id, At(id * 10));
  }
  EXPECT_EQ(rx.figures(0).highest_probe, 999u);
  EXPECT_EQ(rx.figures(0).probes, 900u);
  EXPECT_NEAR(rx.figures(0).loss, 0.1, 1e-9);
  std::vector<PathReport> report;
  rx.FillReport(At(10'000), report);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].loss_permille, 100);
}

TEST(ReceiverPathsTest, LossWindowCountsLateDuplicateAndOldProbes) {
  ReceiverPaths rx({.loss_window = 10});
  Probe(rx, 0, 1, At(0));
  Probe(rx, 0, 4, At(30));  // 2 and 3 missing so far
  EXPECT_NEAR(rx.figures(0).loss, 2.0 / 4, 1e-9);
  Probe(rx, 0, 3, At(31));  // late: fills its slot
  EXPECT_NEAR(rx.figures(0).loss, 1.0 / 4, 1e-9);
  Probe(rx, 0, 3, At(32));  // duplicate: no change
  EXPECT_NEAR(rx.figures(0).loss, 1.0 / 4, 1e-9);
  for (uint32_t id = 5; id <= 20; ++id) Probe(rx, 0, id, At(id * 10));
  EXPECT_EQ(rx.figures(0).loss, 0);  // 2 left the window (11..20)
  Probe(rx, 0, 2, At(300));          // far too old: ignored
  EXPECT_EQ(rx.figures(0).loss, 0);
  Probe(rx, 0, 45, At(450));  // jump past the whole window: 9 of 10 missing
  EXPECT_NEAR(rx.figures(0).loss, 0.9, 1e-9);
  rx.OnProbe(0, 0, At(460));  // id 0 is not a probe
  EXPECT_EQ(rx.figures(0).highest_probe, 45u);
}

TEST(ReceiverPathsTest, StartingLateCountsTheMissingFirstIds) {
  ReceiverPaths rx({.loss_window = 100});
  Probe(rx, 0, 5, At(0));  // 1..4 never arrived
  EXPECT_NEAR(rx.figures(0).loss, 4.0 / 5, 1e-9);
}

TEST(ReceiverPathsTest, JitterFollowsRfc3550) {
  ReceiverPaths rx;
  rx.OnPacket(0, PacketType::kData, 1000, 1000, Ms(10), At(0));
  EXPECT_EQ(rx.figures(0).jitter, Duration::Zero());
  rx.OnPacket(0, PacketType::kData, 1000, 2000, Ms(12), At(1));
  EXPECT_EQ(rx.figures(0).jitter, Us(125));  // |D| = 2 ms, J = 2 ms / 16
  rx.OnPacket(0, PacketType::kData, 1000, 3000, Ms(10), At(2));
  // J = 125 + (2000 - 125) / 16 us.
  EXPECT_NEAR(static_cast<double>(rx.figures(0).jitter.ToNanoseconds()),
              125'000 + (2'000'000 - 125'000) / 16.0, 1);
  for (uint32_t i = 3; i < 400; ++i) {
    rx.OnPacket(0, PacketType::kData, 1000, 1000 * (i + 1), i % 2 ? Ms(12) : Ms(10), At(i));
  }
  EXPECT_NEAR(rx.figures(0).jitter.ToMicroseconds(), 2000, 1);
  // NACK and REPORT-type packets carry no media timing: no effect.
  rx.OnPacket(0, PacketType::kNack, 50, 999'999, Ms(500), At(500));
  EXPECT_NEAR(rx.figures(0).jitter.ToMicroseconds(), 2000, 1);
  EXPECT_EQ(rx.figures(0).min_transit, Ms(10));
  EXPECT_EQ(rx.figures(0).packets, 401u);
  EXPECT_EQ(rx.figures(0).data_packets, 400u);
  EXPECT_EQ(rx.figures(0).bytes, 400u * 1000 + 50);
}

// A recent transit `excess` above `min`, `age` later: the excess halves
// every `half_life` (transit_half_life, 2 s by default).
Duration Decayed(Duration min, Duration excess, Duration age,
                 Duration half_life = Duration::Seconds(2)) {
  return min + Duration::Nanoseconds(
                   std::llround(static_cast<double>(excess.ToNanoseconds()) *
                                std::exp2(-static_cast<double>(age.ToNanoseconds()) /
                                          static_cast<double>(half_life.ToNanoseconds()))));
}

TEST(ReceiverPathsTest, SkewIsTheSpreadOfTransitsOfPathsHeardRecently) {
  ReceiverPaths rx({.live_within = Ms(1000), .down_after = Ms(60)});
  // Clock offset -5 s on both paths; path 1 is 30 ms slower and jitters up
  // to 6 ms above its minimum.
  const Duration offset = -Duration::Seconds(5);
  EXPECT_EQ(rx.Skew(At(0)), Duration::Zero());
  for (int i = 0; i < 100; ++i) {
    const auto ts = static_cast<uint32_t>(i * 10'000 + 1);
    rx.OnPacket(0, PacketType::kData, 1200, ts, offset + Ms(5 + i % 3), At(i * 10));
    if (i == 0) {
      EXPECT_EQ(rx.Skew(At(0)), Duration::Zero());  // one path, one packet
    }
    rx.OnPacket(1, PacketType::kKeepalive, 28, ts, offset + Ms(35 + i % 7), At(i * 10 + 30));
  }
  EXPECT_TRUE(rx.multipath());
  EXPECT_EQ(rx.figures(0).min_transit, offset + Ms(5));
  EXPECT_EQ(rx.figures(1).min_transit, offset + Ms(35));
  // Path 1's recent transit: its last 41 ms (i = 97, at 1000 ms), decayed
  // for 20 ms; the skew runs from path 0's minimum to it.
  ASSERT_TRUE(rx.figures(1).recent_transit);
  EXPECT_EQ(*rx.figures(1).recent_transit, Decayed(offset + Ms(35), Ms(6), Ms(20)));
  EXPECT_EQ(rx.figures(1).recent_transit_at, At(1020));
  EXPECT_EQ(rx.Skew(At(1020)), *rx.figures(1).recent_transit - (offset + Ms(5)));
  EXPECT_GT(rx.Skew(At(1020)), Ms(35) + Us(900));  // the minimums are 30 ms apart
  // Path 1 silent for more than down_after (still live for reports): its
  // copies are not coming, so it is out of the skew; only path 0's own
  // jitter (under 2 ms) is left.
  rx.OnPacket(0, PacketType::kData, 1200, 1'200'000, offset + Ms(6), At(1200));
  EXPECT_LT(rx.Skew(At(1200)), Ms(2));
  std::vector<uint8_t> live;
  rx.LivePaths(At(1200), live);
  EXPECT_EQ(live, (std::vector<uint8_t>{0, 1}));
}

TEST(ReceiverPathsTest, SkewFollowsQueueingAndDecaysWithTheHalfLife) {
  ReceiverPaths rx({.down_after = Ms(60)});
  // Steady: path 0 transit 5 ms, path 1 35 ms, a packet each every 10 ms.
  uint32_t ts = 0;
  const auto send = [&](uint8_t path, Duration transit, int64_t at_ms) {
    rx.OnPacket(path, PacketType::kData, 1200, ts += 1000, transit, At(at_ms));
  };
  for (int64_t t = 0; t <= 1000; t += 10) {
    send(0, Ms(5), t);
    send(1, Ms(35), t);
  }
  EXPECT_EQ(rx.Skew(At(1000)), Ms(30));
  // A queue on path 1: one packet 50 ms late raises the skew at once.
  send(0, Ms(5), 1010);
  send(1, Ms(85), 1010);
  EXPECT_EQ(rx.Skew(At(1010)), Ms(80));
  EXPECT_EQ(rx.figures(1).min_transit, Ms(35));  // the minimum stays
  // The queue drains at once, but the skew comes down by halves every 2 s.
  for (int64_t t = 1020; t <= 3010; t += 10) {
    send(0, Ms(5), t);
    send(1, Ms(35), t);
  }
  EXPECT_NEAR(rx.Skew(At(3010)).ToMicroseconds(), Ms(55).ToMicroseconds(), 1);
  EXPECT_EQ(rx.Skew(At(3010)), *rx.figures(1).recent_transit - Ms(5));
  for (int64_t t = 3020; t <= 5010; t += 10) {
    send(0, Ms(5), t);
    send(1, Ms(35), t);
  }
  EXPECT_NEAR(rx.Skew(At(5010)).ToMicroseconds(), Us(42'500).ToMicroseconds(), 1);
  // A larger transit than the decayed one raises it at once again; a
  // smaller one (not a new minimum) leaves the decay running.
  send(1, Ms(70), 5020);
  EXPECT_EQ(rx.Skew(At(5020)), Ms(65));
  send(1, Ms(50), 5030);
  EXPECT_EQ(*rx.figures(1).recent_transit, Decayed(Ms(35), Ms(35), Ms(10)));
  // A shorter half-life decays faster.
  ReceiverPaths fast({.down_after = Ms(60), .transit_half_life = Ms(100)});
  fast.OnPacket(0, PacketType::kData, 1200, 1, Ms(5), At(0));
  fast.OnPacket(0, PacketType::kData, 1200, 2, Ms(45), At(10));
  fast.OnPacket(0, PacketType::kData, 1200, 3, Ms(5), At(110));
  EXPECT_EQ(*fast.figures(0).recent_transit, Ms(25));
}

TEST(ReceiverPathsTest, UntimedPacketsCountAsHeardButFeedNoTiming) {
  ReceiverPaths rx({.down_after = Ms(60)});
  rx.OnPacket(0, PacketType::kData, 1000, 1000, Ms(5), At(0));
  rx.OnPacket(1, PacketType::kData, 1000, 1000, Ms(35), At(0));
  rx.OnPacket(1, PacketType::kData, 1000, 2000, Ms(37), At(10));
  const ReceiverPathFigures before = rx.figures(1);
  const Duration skew = rx.Skew(At(10));
  EXPECT_EQ(skew, Ms(32));
  // Retransmissions on path 1 carry their originals' (old) timestamps: a
  // transit of 500 ms, or one below the minimum, says nothing about the
  // path.
  rx.OnPacket(1, PacketType::kData, 1000, 500, Ms(500), At(20), /*timed=*/false);
  rx.OnPacket(1, PacketType::kData, 1000, 9000, Ms(1), At(30), /*timed=*/false);
  rx.OnPacket(1, PacketType::kKeepalive, 28, 9500, Ms(400), At(40), /*timed=*/false);
  const ReceiverPathFigures& after = rx.figures(1);
  EXPECT_EQ(after.min_transit, before.min_transit);
  EXPECT_EQ(after.recent_transit, before.recent_transit);
  EXPECT_EQ(after.recent_transit_at, At(10));
  EXPECT_EQ(after.jitter, before.jitter);
  EXPECT_GT(after.jitter, Duration::Zero());
  EXPECT_EQ(rx.Echo(1, At(40)), std::make_pair(uint32_t{2000}, Ms(30)));
  // Unchanged but for the decay of the queueing excess to `now`.
  EXPECT_LT(rx.Skew(At(40)), skew);
  EXPECT_GT(rx.Skew(At(40)), skew - Us(100));
  // ... but they are packets heard on the path.
  EXPECT_EQ(after.last_heard, At(40));
  EXPECT_EQ(after.packets, before.packets + 3);
  EXPECT_EQ(after.data_packets, before.data_packets + 2);
  EXPECT_EQ(after.bytes, before.bytes + 2028);
  // A path heard only through untimed packets has no transit: not in the
  // skew.
  rx.OnPacket(2, PacketType::kData, 1000, 1, Ms(900), At(40), /*timed=*/false);
  EXPECT_TRUE(rx.figures(2).seen);
  EXPECT_FALSE(rx.figures(2).min_transit);
  EXPECT_FALSE(rx.Echo(2, At(40)));
  // Unchanged but for the decay of the queueing excess to `now`.
  EXPECT_LT(rx.Skew(At(40)), skew);
  EXPECT_GT(rx.Skew(At(40)), skew - Us(100));
  // The same packet timed does count.
  rx.OnPacket(1, PacketType::kData, 1000, 9600, Ms(500), At(50));
  EXPECT_EQ(rx.Skew(At(50)), Ms(495));
}

TEST(ReceiverPathsTest, LivePathsAndDownAfterSilence) {
  ReceiverPaths rx({.live_within = Ms(1000), .down_after = Ms(60)});
  std::vector<uint8_t> live;
  rx.LivePaths(At(0), live);
  EXPECT_TRUE(live.empty());
  EXPECT_FALSE(rx.multipath());
  rx.OnPacket(2, PacketType::kData, 100, 1, Ms(1), At(0));
  EXPECT_FALSE(rx.multipath());
  rx.OnPacket(0, PacketType::kData, 100, 1, Ms(1), At(500));
  EXPECT_TRUE(rx.multipath());
  rx.LivePaths(At(1000), live);
  EXPECT_EQ(live, (std::vector<uint8_t>{0, 2}));
  rx.LivePaths(At(1001), live);
  EXPECT_EQ(live, (std::vector<uint8_t>{0}));

  std::vector<PathReport> report;
  rx.FillReport(At(560), report);
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].path_id, 0);
  EXPECT_EQ(report[0].state, PathState::kActive);  // exactly down_after: still active
  EXPECT_EQ(report[0].last_heard_ms, 60u);
  EXPECT_EQ(report[1].path_id, 2);
  EXPECT_EQ(report[1].state, PathState::kDown);
  EXPECT_EQ(report[1].last_heard_ms, 560u);
  rx.FillReport(At(561), report);
  EXPECT_EQ(report[0].state, PathState::kDown);
}

TEST(ReceiverPathsTest, FillReportCarriesEveryFigure) {
  ReceiverPaths rx({.loss_window = 100});
  // Ids 1..101 with every 4th missing: the window (2..101) lacks 25.
  for (uint32_t id = 1; id <= 101; ++id) {
    if (id % 4 != 0) Probe(rx, 1, id, At(id * 10), id % 2 ? Ms(20) : Ms(23));
  }
  rx.OnRttSample(1, Ms(30), At(1020));
  rx.OnRttSample(5, Ms(30), At(1020));
  std::vector<PathReport> report;
  rx.FillReport(At(1027), report);
  ASSERT_EQ(report.size(), 1u);  // only paths ever seen (5 got an RTT, no packet)
  EXPECT_EQ(report[0].path_id, 1);
  EXPECT_EQ(report[0].state, PathState::kActive);
  EXPECT_EQ(report[0].loss_permille, 250);
  EXPECT_EQ(report[0].rtt_us, 30'000u);
  EXPECT_EQ(report[0].jitter_us, static_cast<uint32_t>(rx.figures(1).jitter.ToMicroseconds()));
  EXPECT_GT(report[0].jitter_us, 1000u);    // 3 ms transit swings
  EXPECT_EQ(report[0].last_heard_ms, 17u);  // last probe, id 101, at 1010 ms
}

TEST(ReceiverPathsTest, EchoIsTheNewestTimestampPerPath) {
  ReceiverPaths rx;
  EXPECT_FALSE(rx.Echo(0, At(0)));
  rx.OnPacket(0, PacketType::kData, 1000, 1000, Ms(5), At(10));
  rx.OnPacket(0, PacketType::kKeepalive, 28, 2000, Ms(5), At(12));
  rx.OnPacket(0, PacketType::kData, 1000, 1500, Ms(5), At(13));       // reordered: older
  rx.OnPacket(0, PacketType::kFecRepair, 1000, 9000, Ms(5), At(14));  // not an echo source
  rx.OnPacket(1, PacketType::kData, 1000, 7000, Ms(9), At(15));
  const auto echo = rx.Echo(0, At(20));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->first, 2000u);
  EXPECT_EQ(echo->second, Ms(8));
  const auto echo1 = rx.Echo(1, At(20));
  ASSERT_TRUE(echo1);
  EXPECT_EQ(echo1->first, 7000u);
  EXPECT_EQ(echo1->second, Ms(5));
  EXPECT_FALSE(rx.Echo(2, At(20)));
  EXPECT_FALSE(rx.Echo(kMaxPaths, At(20)));
  // Timestamps wrap: 5 is newer than 0xFFFFFF00.
  rx.OnPacket(3, PacketType::kData, 1000, 0xFFFFFF00u, Ms(5), At(30));
  rx.OnPacket(3, PacketType::kData, 1000, 5, Ms(5), At(31));
  EXPECT_EQ(rx.Echo(3, At(31))->first, 5u);
}

TEST(ReceiverPathsTest, IgnoresOutOfRangePathIds) {
  ReceiverPaths rx;
  rx.OnPacket(kMaxPaths, PacketType::kData, 1000, 1, Ms(1), At(0));
  rx.OnPacket(255, PacketType::kData, 1000, 1, Ms(1), At(0));
  rx.OnProbe(kMaxPaths, 1, At(0));
  rx.OnRttSample(200, Ms(1), At(0));
  std::vector<PathReport> report;
  rx.FillReport(At(1), report);
  EXPECT_TRUE(report.empty());
  EXPECT_FALSE(rx.multipath());
}

}  // namespace
}  // namespace hitless::path
