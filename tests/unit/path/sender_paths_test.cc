// SenderPaths: the path state machine (down, up hysteresis, degraded), the
// duplicate / backup / bond schedulers, repair path choice, probes and
// timers, driven by a scripted receiver on explicit times.
#include "transport/path/sender_paths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "transport/path/receiver_paths.h"

namespace hitless::path {
namespace {

constexpr Duration Ms(int64_t ms) { return Duration::Milliseconds(ms); }
constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

constexpr int64_t kTickMs = 10;
constexpr Duration kReceiverDownAfter = Ms(60);

// A scripted receiver and network. On every tick the receiver hears each path
// whose forward direction is up (our probes), then sends a REPORT with an
// entry for every path it has ever heard on each path whose reverse
// direction is up; then the sender's timer runs.
class Net {
 public:
  explicit Net(SenderPaths& sender) : sender_(sender) {
    forward_.fill(true);
    reverse_.fill(true);
  }

  void Set(int path, bool up) { forward_[path] = reverse_[path] = up; }
  void SetForward(int path, bool up) { forward_[path] = up; }
  void SetReverse(int path, bool up) { reverse_[path] = up; }
  void SetLoss(int path, uint16_t permille) { loss_[path] = permille; }
  void SetRtt(int path, std::optional<Duration> rtt) { rtt_[path] = rtt; }

  void Tick(Time now) {
    const int n = sender_.path_count();
    for (int p = 0; p < n; ++p) {
      if (forward_[p]) heard_[p] = now;
    }
    report_.paths.clear();
    for (int p = 0; p < n; ++p) {
      if (!heard_[p]) continue;
      const Duration silent = now - *heard_[p];
      report_.paths.push_back(
          {.path_id = static_cast<uint8_t>(p),
           .state = silent > kReceiverDownAfter ? PathState::kDown : PathState::kActive,
           .loss_permille = loss_[p],
           .rtt_us = 0,
           .jitter_us = 500,
           .last_heard_ms = static_cast<uint32_t>(silent.ToMilliseconds())});
    }
    for (int p = 0; p < n; ++p) {
      if (reverse_[p]) sender_.OnReport(static_cast<uint8_t>(p), report_, rtt_[p], now);
    }
    sender_.OnTimer(now);
  }

  // Ticks every 10 ms from `from_ms` to `to_ms` inclusive.
  void Run(int64_t from_ms, int64_t to_ms) {
    for (int64_t t = from_ms; t <= to_ms; t += kTickMs) Tick(At(t));
  }

 private:
  SenderPaths& sender_;
  std::array<bool, kMaxPaths> forward_{};
  std::array<bool, kMaxPaths> reverse_{};
  std::array<uint16_t, kMaxPaths> loss_{};
  std::array<std::optional<Duration>, kMaxPaths> rtt_{};
  std::array<std::optional<Time>, kMaxPaths> heard_{};
  ReportBody report_;
};

SenderPathsConfig Config(MultipathMode mode, int paths) {
  SenderPathsConfig config;
  config.mode = mode;
  config.path_count = paths;
  return config;
}

// A REPORT with a fresh kActive entry for each of paths 0..paths-1, path p
// at loss[p] permille (0 past the end of `loss`).
ReportBody Report(int paths, const std::vector<uint16_t>& loss = {}) {
  ReportBody report;
  for (int p = 0; p < paths; ++p) {
    const auto i = static_cast<size_t>(p);
    report.paths.push_back({.path_id = static_cast<uint8_t>(p),
                            .state = PathState::kActive,
                            .loss_permille = i < loss.size() ? loss[i] : uint16_t{0},
                            .rtt_us = 0,
                            .jitter_us = 0,
                            .last_heard_ms = 1});
  }
  return report;
}

PathList Data(SenderPaths& sender, Time now, size_t bytes = 1000) {
  PathList out;
  sender.SelectForData(bytes, now, out);
  return out;
}

PathList Repair(SenderPaths& sender, Time now, size_t bytes = 1000) {
  PathList out;
  sender.SelectForRepair(bytes, now, out);
  return out;
}

// --- Config ------------------------------------------------------------------

TEST(SenderPathsTest, ConfigValidationAndModeNames) {
  EXPECT_TRUE(ValidSenderPathsConfig({}));
  auto bad = [](auto mutate) {
    SenderPathsConfig config;
    mutate(config);
    return ValidSenderPathsConfig(config);
  };
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.path_count = 0; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.path_count = kMaxPaths + 1; }));
  EXPECT_TRUE(bad([](SenderPathsConfig& c) { c.path_count = kMaxPaths; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.probe_interval = Duration::Zero(); }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.down_after = -Ms(1); }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.up_after = Duration::Zero(); }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.switch_back_after = Duration::Zero(); }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.bond_queue_delay = Duration::Zero(); }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.degraded_loss = 0; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.bond_loss = 1.5; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.bond_decrease = 0; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.bond_increase = -0.1; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.bond_min_weight = 2; }));
  EXPECT_FALSE(bad([](SenderPathsConfig& c) { c.degraded_rtt_factor = 1; }));
  EXPECT_STREQ(MultipathModeName(MultipathMode::kDuplicate), "duplicate");
  EXPECT_STREQ(MultipathModeName(MultipathMode::kBackup), "backup");
  EXPECT_STREQ(MultipathModeName(MultipathMode::kBond), "bond");
}

// --- Duplicate ---------------------------------------------------------------

TEST(SenderPathsTest, DuplicateSendsOnEveryPathNotDownAndOnAllWhenAllAreDown) {
  SenderPaths sender(Config(MultipathMode::kDuplicate, 3), At(0));
  EXPECT_EQ(Data(sender, At(0)), (PathList{0, 1, 2}));  // unknown paths carry data
  Net net(sender);
  net.Run(0, 200);
  for (int p = 0; p < 3; ++p) EXPECT_EQ(sender.figures(p).state, PathState::kActive);
  EXPECT_EQ(Data(sender, At(200)), (PathList{0, 1, 2}));

  net.Set(2, false);
  net.Run(210, 400);
  EXPECT_EQ(sender.figures(2).state, PathState::kDown);
  EXPECT_EQ(sender.figures(2).times_down, 1u);
  EXPECT_EQ(Data(sender, At(400)), (PathList{0, 1}));
  EXPECT_EQ(Repair(sender, At(400)), (PathList{0, 1}));  // every path that is up

  net.Set(0, false);
  net.Set(1, false);
  net.Run(410, 600);
  for (int p = 0; p < 3; ++p) EXPECT_EQ(sender.figures(p).state, PathState::kDown);
  EXPECT_EQ(Data(sender, At(600)), (PathList{0, 1, 2}));

  // Exact counters: 4 data selections, path 2 skipped once; 1 repair.
  EXPECT_EQ(sender.figures(0).data_sent, 4u);
  EXPECT_EQ(sender.figures(2).data_sent, 3u);
  EXPECT_EQ(sender.figures(0).repairs_sent, 1u);
  EXPECT_EQ(sender.figures(2).repairs_sent, 0u);
  EXPECT_EQ(sender.figures(0).bytes_sent, 5000u);
  EXPECT_EQ(sender.figures(2).bytes_sent, 3000u);
  EXPECT_EQ(sender.stats().switches, 0u);
}

// --- Backup ------------------------------------------------------------------

TEST(SenderPathsTest, BackupFailsOverAtOnceAndRecordsTheFailover) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 1000);
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kStandby);
  EXPECT_EQ(Data(sender, At(1000)), (PathList{0}));

  // Path 0 dies after 1000 ms: last heard both ways at 1000.
  net.Set(0, false);
  net.Run(1010, 1050);
  EXPECT_EQ(sender.active_path(), 0);  // 50 ms of silence is not down yet
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  net.Tick(At(1060));
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().switches, 1u);
  EXPECT_EQ(sender.stats().failovers, 1u);
  EXPECT_EQ(sender.stats().last_failover_outage_start, At(1000));
  EXPECT_EQ(sender.stats().last_failover_detected, At(1060));
  EXPECT_FALSE(sender.stats().last_failover_first_packet);
  EXPECT_EQ(Data(sender, At(1065)), (PathList{1}));
  EXPECT_EQ(sender.stats().last_failover_first_packet, At(1065));
  EXPECT_EQ(Data(sender, At(1070)), (PathList{1}));
  EXPECT_EQ(sender.stats().last_failover_first_packet, At(1065));

  // Path 0 returns at 2000: up after up_after (500 ms) of hearing it both
  // ways, then carrying media again only after switch_back_after (3 s).
  net.Run(1070, 1990);
  net.Set(0, true);
  net.Run(2000, 2490);
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.figures(0).up_since, At(2000));
  net.Tick(At(2500));
  EXPECT_EQ(sender.figures(0).state, PathState::kStandby);
  net.Run(2510, 5490);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(Data(sender, At(5495)), (PathList{1}));
  net.Tick(At(5500));
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kStandby);
  EXPECT_EQ(sender.stats().switches, 2u);
  EXPECT_EQ(sender.stats().failovers, 1u);
  EXPECT_EQ(sender.figures(0).times_down, 1u);
  EXPECT_EQ(sender.figures(0).data_sent, 1u);
  EXPECT_EQ(sender.figures(1).data_sent, 3u);
}

TEST(SenderPathsTest, BackupFailsOverWhenOnlyTheReceiverStopsHearingThePath) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 500);
  net.SetForward(0, false);  // our packets no longer arrive; its reports still do
  net.Run(510, 550);
  EXPECT_EQ(sender.active_path(), 0);
  net.Tick(At(560));  // the receiver now reports 60 ms of silence
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().last_failover_detected, At(560));
}

TEST(SenderPathsTest, BackupKeepsAPathWhoseReverseDirectionAloneIsSilent) {
  // The receiver, via path 1, still reports hearing path 0: it is not down
  // (nothing heard "either way" is false) and keeps carrying media.
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 500);
  net.SetReverse(0, false);
  net.Run(510, 2000);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.stats().switches, 0u);
}

TEST(SenderPathsTest, BackupFlappingPathCausesBoundedSwitches) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 1000);
  // Path 0 alternates 700 ms down, 700 ms up, for 30 s.
  for (int64_t t = 1010; t <= 31'000; t += kTickMs) {
    net.Set(0, ((t - 1010) / 700) % 2 == 1);
    net.Tick(At(t));
    Data(sender, At(t));
  }
  EXPECT_LE(sender.stats().switches, 2u);
  EXPECT_EQ(sender.stats().failovers, 1u);
  EXPECT_EQ(sender.active_path(), 1);
  // It did come up between outages (the hysteresis let it), it just never
  // stayed healthy for switch_back_after.
  EXPECT_GT(sender.figures(0).times_down, 10u);
  EXPECT_EQ(sender.figures(1).times_down, 0u);
  // Stable again: back after up_after + switch_back_after.
  net.Set(0, true);
  net.Run(31'010, 35'000);
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.stats().switches, 2u);
}

TEST(SenderPathsTest, BackupPrefersKnownPathsAndKeepsTheActiveWhenNothingIsUp) {
  SenderPaths sender(Config(MultipathMode::kBackup, 3), At(0));
  Net net(sender);
  EXPECT_EQ(Data(sender, At(0)), (PathList{0}));  // nothing known: path 0
  // The receiver hears only path 2: a known-up path beats unknown ones.
  net.SetForward(0, false);
  net.SetReverse(0, false);
  net.Set(1, false);
  net.Tick(At(0));
  EXPECT_EQ(sender.figures(0).state, PathState::kUnknown);
  EXPECT_EQ(sender.figures(2).state, PathState::kActive);
  EXPECT_EQ(sender.active_path(), 2);
  EXPECT_EQ(sender.stats().switches, 1u);
  EXPECT_EQ(sender.stats().failovers, 0u);  // leaving an unknown path is no failover
  // Silent unknown paths stay unknown for unknown_grace (2 s) after the
  // first report, far longer than down_after, then are down.
  net.Run(10, 1990);
  EXPECT_EQ(sender.figures(0).state, PathState::kUnknown);
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);
  EXPECT_EQ(sender.active_path(), 2);  // a known-up path still beats them
  net.Tick(At(2000));
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.figures(1).state, PathState::kDown);
  EXPECT_EQ(sender.figures(0).times_down, 1u);
  // Everything down: keep sending on the last active path.
  net.Set(2, false);
  net.Run(2010, 2500);
  EXPECT_EQ(sender.figures(2).state, PathState::kDown);
  EXPECT_EQ(Data(sender, At(2500)), (PathList{2}));
  EXPECT_EQ(sender.stats().switches, 1u);
  EXPECT_EQ(sender.stats().failovers, 0u);
}

TEST(SenderPathsTest, BackupHandsADownActivePathToAnUnknownOneDuringTheGrace) {
  // Path 2 is known up and active while paths 0 and 1 are still unknown;
  // when it goes down within the grace, an unknown path is better than a
  // dead one (a failover to the most preferred unknown path).
  SenderPaths sender(Config(MultipathMode::kBackup, 3), At(0));
  Net net(sender);
  net.Set(0, false);
  net.Set(1, false);
  net.Run(0, 500);
  EXPECT_EQ(sender.active_path(), 2);
  net.Set(2, false);
  net.Run(510, 560);
  EXPECT_EQ(sender.figures(2).state, PathState::kDown);
  EXPECT_EQ(sender.figures(0).state, PathState::kUnknown);
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.stats().failovers, 1u);
  EXPECT_EQ(sender.stats().last_failover_outage_start, At(500));
  EXPECT_EQ(sender.stats().last_failover_detected, At(560));
  EXPECT_EQ(Data(sender, At(560)), (PathList{0}));
}

// --- Unknown grace -----------------------------------------------------------

TEST(SenderPathsTest, SilentPathStaysUnknownAndUsableForTheGraceThenIsDown) {
  // Path 2 is never heard and never reported on: it carries data (duplicate)
  // for unknown_grace after the receiver's first report, counted from that
  // report (1 s here), not from the start; then it is down.
  SenderPaths sender(Config(MultipathMode::kDuplicate, 3), At(0));
  Net net(sender);
  net.Set(2, false);
  EXPECT_EQ(Data(sender, At(500)), (PathList{0, 1, 2}));
  net.Run(1000, 2990);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(2).state, PathState::kUnknown);
  EXPECT_EQ(Data(sender, At(2990)), (PathList{0, 1, 2}));
  EXPECT_EQ(sender.figures(2).times_down, 0u);
  net.Tick(At(3000));
  EXPECT_EQ(sender.figures(2).state, PathState::kDown);
  EXPECT_EQ(Data(sender, At(3000)), (PathList{0, 1}));
  EXPECT_EQ(sender.figures(2).data_sent, 2u);

  // Heard at last: up after up_after, like any path back from down.
  net.Set(2, true);
  net.Run(3010, 3500);
  EXPECT_EQ(sender.figures(2).state, PathState::kDown);
  net.Tick(At(3510));
  EXPECT_EQ(sender.figures(2).state, PathState::kActive);
}

TEST(SenderPathsTest, UnknownGraceIsConfigurableAndATimerDeadline) {
  SenderPathsConfig config = Config(MultipathMode::kBackup, 2);
  config.probe_interval = Duration::Seconds(10);  // keep probes out of the way
  config.unknown_grace = Ms(700);
  SenderPaths sender(config, At(0));
  std::vector<std::pair<uint8_t, uint32_t>> probes;
  sender.CollectProbes(At(0), probes);
  EXPECT_EQ(sender.NextWakeup(), At(10'000));  // no report yet: no grace running
  // One report, on path 0, about path 0 only.
  ReportBody report;
  report.paths = {{.path_id = 0, .state = PathState::kActive, .last_heard_ms = 1}};
  sender.OnReport(0, report, Ms(20), At(100));
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);
  EXPECT_EQ(sender.NextWakeup(), At(160));  // path 0: down unless heard again
  sender.OnTimer(At(160));
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);
  EXPECT_EQ(sender.NextWakeup(), At(800));  // first report + unknown_grace
  sender.OnTimer(At(799));
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);
  sender.OnTimer(At(800));
  EXPECT_EQ(sender.figures(1).state, PathState::kDown);
  EXPECT_EQ(sender.NextWakeup(), At(10'000));
}

// --- Degraded ----------------------------------------------------------------

TEST(SenderPathsTest, DegradedByLossFailsOverInBackup) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 500);
  net.SetLoss(0, 100);  // 10%: at the threshold, not above
  net.Tick(At(510));
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_DOUBLE_EQ(sender.figures(0).loss, 0.1);
  EXPECT_EQ(sender.figures(0).jitter, Duration::Microseconds(500));
  net.SetLoss(0, 101);
  net.Tick(At(520));
  EXPECT_EQ(sender.figures(0).state, PathState::kDegraded);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().failovers, 1u);
  EXPECT_EQ(sender.stats().last_failover_detected, At(520));
  EXPECT_EQ(sender.stats().last_failover_outage_start, At(520));  // still heard
  // Loss gone: healthy standby at once (it never went down), back after 3 s.
  net.SetLoss(0, 0);
  net.Tick(At(530));
  EXPECT_EQ(sender.figures(0).state, PathState::kStandby);
  net.Run(540, 3520);
  EXPECT_EQ(sender.active_path(), 1);
  net.Tick(At(3530));
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.stats().switches, 2u);
}

TEST(SenderPathsTest, BackupStaysOnADegradedPathWithoutAHealthyAlternative) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  Net net(sender);
  net.Run(0, 500);
  net.SetLoss(0, 200);
  net.Tick(At(510));
  EXPECT_EQ(sender.active_path(), 1);
  // Both sick: no churn between them, even towards the less lossy one.
  net.SetLoss(1, 300);
  net.Run(520, 2000);
  EXPECT_EQ(sender.figures(1).state, PathState::kDegraded);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().switches, 1u);
  // The active one goes down: the best degraded path takes over.
  net.Set(1, false);
  net.Run(2010, 2100);
  EXPECT_EQ(sender.active_path(), 0);
  EXPECT_EQ(sender.stats().failovers, 2u);
  EXPECT_EQ(sender.stats().last_failover_outage_start, At(2000));
  EXPECT_EQ(sender.stats().last_failover_detected, At(2060));
}

TEST(SenderPathsTest, DegradedByRtt) {
  SenderPaths sender(Config(MultipathMode::kDuplicate, 2), At(0));
  Net net(sender);
  net.SetRtt(0, Ms(20));
  // Sub-millisecond path: a 5x swing is scheduler noise, not degradation.
  net.SetRtt(1, Duration::Microseconds(100));
  net.Run(0, 500);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  net.SetRtt(0, Ms(100));
  net.SetRtt(1, Duration::Microseconds(500));
  net.Run(510, 540);  // 4 samples: srtt ~54 ms, below 3 x 20
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  net.Run(550, 560);  // 6 samples: srtt ~61 ms
  EXPECT_GT(sender.figures(0).rtt.srtt(), Ms(60));
  EXPECT_EQ(sender.figures(0).state, PathState::kDegraded);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_EQ(Data(sender, At(560)), (PathList{0, 1}));  // duplicate still uses it
  net.SetRtt(0, Ms(20));
  net.Run(570, 1000);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  // Transitions: unknown->active x2, active->degraded, degraded->active.
  EXPECT_EQ(sender.stats().state_changes, 4u);
}

// --- Bond --------------------------------------------------------------------

TEST(SenderPathsTest, BondSharesFollowTheWeights) {
  SenderPathsConfig config = Config(MultipathMode::kBond, 2);
  config.bond_decrease = 0.5;
  SenderPaths sender(config, At(0));
  // One report, arriving on path 1, about both paths: path 1 is lossy (above
  // bond_loss 5%, below degraded_loss 10%) and is cut once; path 0 is known
  // up from its entry but adapts only on reports that arrive on it.
  sender.OnReport(1, Report(2, {0, 80}), Ms(20), At(0));
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 0.5);
  std::array<int, 2> count{};
  PathList out;
  for (int i = 0; i < 3000; ++i) {
    sender.SelectForData(1200, At(1), out);
    ASSERT_EQ(out.size(), 1u);
    ++count[out[0]];
  }
  EXPECT_EQ(count[0], 2000);
  EXPECT_EQ(count[1], 1000);
  EXPECT_EQ(sender.figures(0).bytes_sent, 2000u * 1200);
  EXPECT_EQ(sender.figures(1).data_sent, 1000u);
}

TEST(SenderPathsTest, BondMixedSizesSplitBytesByWeight) {
  SenderPaths sender(Config(MultipathMode::kBond, 3), At(0));
  // Path 2 is lossy; its reports (base RTT 20 ms) come every 20 ms: cut four
  // times. Paths 0 and 1 get no report of their own and keep weight 1.
  const ReportBody report = Report(3, {0, 0, 80});
  for (int64_t t = 0; t <= 60; t += 20) sender.OnReport(2, report, Ms(20), At(t));
  const double w2 = sender.figures(2).weight;
  EXPECT_NEAR(w2, 0.85 * 0.85 * 0.85 * 0.85, 1e-12);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 1.0);
  PathList out;
  for (int i = 0; i < 30'000; ++i) sender.SelectForData(200 + (i * 7919) % 1200, At(61), out);
  const double total = static_cast<double>(
      sender.figures(0).bytes_sent + sender.figures(1).bytes_sent + sender.figures(2).bytes_sent);
  EXPECT_NEAR(sender.figures(2).bytes_sent / total, w2 / (2 + w2), 0.001);
  EXPECT_NEAR(sender.figures(0).bytes_sent / total, 1 / (2 + w2), 0.001);
  EXPECT_NEAR(sender.figures(1).bytes_sent / total, 1 / (2 + w2), 0.001);
}

TEST(SenderPathsTest, BondWeightsShrinkOnQueueingDelayAndDownPathsGetNothing) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  Net net(sender);
  net.SetRtt(0, Ms(20));
  net.SetRtt(1, Ms(20));
  net.Run(0, 1000);
  // Both grow and are rescaled so the largest is 1: equal, give or take one
  // round's increase (bond_increase x the mean weight).
  EXPECT_DOUBLE_EQ(std::max(sender.figures(0).weight, sender.figures(1).weight), 1.0);
  EXPECT_NEAR(sender.figures(0).weight, 1.0, 0.05);
  EXPECT_NEAR(sender.figures(1).weight, 1.0, 0.05);
  // Path 1's queue builds: RTT 20 -> 80 ms, queueing delay 60 ms > 30 ms.
  net.SetRtt(1, Ms(80));
  net.Run(1010, 3000);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 0.02);          // bond_min_weight
  EXPECT_EQ(sender.figures(1).state, PathState::kDegraded);  // 4x its min RTT
  std::array<int, 2> count{};
  PathList out;
  for (int i = 0; i < 3060; ++i) {
    sender.SelectForData(1000, At(3000), out);
    ++count[out[0]];
  }
  EXPECT_EQ(count[1], 60);  // 0.02 / 1.02 of 3060
  // The queue drains: the increase brings path 1 back.
  net.SetRtt(1, Ms(20));
  net.Run(3010, 8000);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_GT(sender.figures(1).weight, 0.9);

  // Path 1 goes down: no DATA at all on it.
  net.Set(1, false);
  net.Run(8010, 8100);
  EXPECT_EQ(sender.figures(1).state, PathState::kDown);
  const uint64_t before = sender.figures(1).data_sent;
  for (int i = 0; i < 3000; ++i) {
    sender.SelectForData(1000, At(8100), out);
    EXPECT_EQ(out, (PathList{0}));
  }
  EXPECT_EQ(sender.figures(1).data_sent, before);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 0.02);  // reset to the floor...
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);   // (path 0's rescaling skips it)

  // Back up after up_after: it rejoins level with path 0 (no catch-up
  // burst) at a small weight, then ramps up.
  net.Set(1, true);
  net.Run(8110, 8610);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  const double w1 = sender.figures(1).weight;
  EXPECT_LT(w1, 0.1);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  std::array<int, 2> rejoin{};
  for (int i = 0; i < 1000; ++i) {
    sender.SelectForData(1000, At(8610), out);
    ++rejoin[out[0]];
  }
  EXPECT_NEAR(rejoin[1], 1000 * w1 / (1 + w1), 2);
  net.Run(8620, 8800);
  EXPECT_GT(sender.figures(1).weight, w1 + 0.1);
  net.Run(8810, 14'000);
  EXPECT_GT(sender.figures(1).weight, 0.9);
}

TEST(SenderPathsTest, BondUnknownPathsStartAtFullWeight) {
  // Starting unknown paths low would pour the whole stream into the first
  // path to answer: every path starts at weight 1.
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 1.0);
  PathList out;
  std::array<int, 2> count{};
  for (int i = 0; i < 100; ++i) {
    sender.SelectForData(1000, At(0), out);
    ++count[out[0]];
  }
  EXPECT_EQ(count[0], 50);  // equal while both are unknown
  // Path 0 known up (a report without an entry for path 1): it adapts, and
  // path 1, still unknown, keeps a near-equal share (at most one round's
  // increase, bond_increase x the mean weight, behind).
  ReportBody report;
  report.paths.push_back({.path_id = 0, .state = PathState::kActive, .last_heard_ms = 2});
  sender.OnReport(0, report, Ms(20), At(10));
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  const double w1 = sender.figures(1).weight;
  EXPECT_GE(w1, 1 / 1.05 - 1e-12);
  count = {};
  for (int i = 0; i < 1000; ++i) {
    sender.SelectForData(1000, At(20), out);
    ++count[out[0]];
  }
  EXPECT_NEAR(count[1], 1000 * w1 / (1 + w1), 1);
  EXPECT_GT(count[1], 450);
}

TEST(SenderPathsTest, BondRescalingKeepsTheRatiosWhenEveryPathIsCut) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  // Path 1 alone lossy for three of its base RTTs (20 ms): 0.85^3.
  for (int64_t t = 0; t <= 40; t += 20) sender.OnReport(1, Report(2, {0, 80}), Ms(20), At(t));
  const double ratio = 0.85 * 0.85 * 0.85;
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_NEAR(sender.figures(1).weight, ratio, 1e-12);
  // Then both are lossy, each cut every 20 ms for 2 s: 100 cuts, 0.85^100
  // is far below bond_min_weight, yet the ratio holds and the largest is 1
  // (clamping each to the floor would have flattened them to 1:1).
  const ReportBody both = Report(2, {80, 80});
  for (int64_t t = 60; t <= 2040; t += 20) {
    sender.OnReport(0, both, Ms(20), At(t));
    sender.OnReport(1, both, Ms(20), At(t));
    ASSERT_DOUBLE_EQ(sender.figures(0).weight, 1.0) << t;
    ASSERT_NEAR(sender.figures(1).weight, ratio, 1e-9) << t;
  }
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  std::array<int, 2> count{};
  PathList out;
  for (int i = 0; i < 1000; ++i) {
    sender.SelectForData(1000, At(2040), out);
    ++count[out[0]];
  }
  EXPECT_NEAR(count[1], 1000 * ratio / (1 + ratio), 1);
}

// Healthy paths of very different base RTTs keep full weight: the short
// one adapts ten times as often, and growing past 1 must not shrink the
// long one.
TEST(SenderPathsTest, BondDoesNotStarveAHealthyLongPath) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  const ReportBody clean = Report(2, {0, 0});
  for (int64_t t = 0; t <= 10'000; t += 10) {
    sender.OnReport(0, clean, Ms(10), At(t));
    sender.OnReport(1, clean, Ms(100), At(t));
  }
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 1.0);
}

TEST(SenderPathsTest, BondAdaptsAtMostOncePerBaseRtt) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  // Path 1 is lossy and reports every 10 ms. Its base RTT is 50 ms (the
  // first sample); a standing queue then puts every sample at 200 ms. It is
  // cut once per base RTT (at 0, 50, 100, ...): neither on every report nor
  // once per (queue-inflated) smoothed RTT.
  const ReportBody report = Report(2, {0, 80});
  for (int64_t t = 0; t <= 490; t += 10) {
    sender.OnReport(1, report, t == 0 ? Ms(50) : Ms(200), At(t));
    ASSERT_NEAR(sender.figures(1).weight, std::pow(0.85, static_cast<double>(t / 50 + 1)), 1e-12)
        << t;
  }
  EXPECT_GT(sender.figures(1).rtt.srtt(), Ms(150));
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
}

TEST(SenderPathsTest, BondBaseRttIsNotRaisedByAStandingQueue) {
  // Path 1's queue stands at 60 ms for 15 s, longer than the RTT
  // estimator's 10 s min-RTT window: its windowed minimum rises to the
  // queued RTT (so the path is no longer degraded by RTT), but the queueing
  // delay the bond weighs is measured from the lowest RTT ever, so path 1
  // stays cut to the floor.
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  Net net(sender);
  net.SetRtt(0, Ms(20));
  net.SetRtt(1, Ms(20));
  net.Run(0, 1000);
  EXPECT_NEAR(sender.figures(1).weight, 1.0, 0.05);
  net.SetRtt(1, Ms(80));
  net.Run(1010, 16'000);
  EXPECT_EQ(sender.figures(1).rtt.min_rtt(), Ms(80));
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_DOUBLE_EQ(sender.figures(0).weight, 1.0);
  EXPECT_DOUBLE_EQ(sender.figures(1).weight, 0.02);
  std::array<int, 2> count{};
  PathList out;
  for (int i = 0; i < 1020; ++i) {
    sender.SelectForData(1000, At(16'000), out);
    ++count[out[0]];
  }
  EXPECT_EQ(count[1], 20);
}

TEST(SenderPathsTest, BondRepairsGoOnTheBestPathNotByWeight) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  Net net(sender);
  net.SetRtt(0, Ms(20));
  net.SetRtt(1, Ms(20));
  net.Run(0, 1000);
  PathList out;
  std::array<int, 2> data{};
  for (int i = 0; i < 100; ++i) {
    sender.SelectForData(1000, At(1000), out);
    ++data[out[0]];
    EXPECT_EQ(Repair(sender, At(1000)), (PathList{0}));  // a tie: the preferred path
  }
  EXPECT_GE(data[0], 45);  // data is shared...
  EXPECT_GE(data[1], 45);
  EXPECT_EQ(sender.figures(0).repairs_sent, 100u);  // ...repairs are not
  EXPECT_EQ(sender.figures(1).repairs_sent, 0u);
  // Path 0 queues (RTT 20 -> 70 ms): its smoothed RTT, queueing included,
  // passes the repairs to path 1.
  net.SetRtt(0, Ms(70));
  net.Run(1010, 1500);
  EXPECT_EQ(sender.BestPath(At(1500)), 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Repair(sender, At(1500)), (PathList{1}));
  EXPECT_EQ(sender.figures(0).repairs_sent, 100u);
  EXPECT_EQ(sender.figures(1).repairs_sent, 10u);
}

// --- Repairs -----------------------------------------------------------------

TEST(SenderPathsTest, BestPathAndRepairRtt) {
  SenderPaths sender(Config(MultipathMode::kBackup, 3), At(0));
  EXPECT_EQ(sender.BestPath(At(0)), 0);
  EXPECT_FALSE(sender.RepairRtt(At(0)));
  Net net(sender);
  net.SetRtt(0, Ms(40));
  net.SetRtt(1, Ms(20));
  net.SetRtt(2, Ms(10));
  net.SetLoss(1, 4);   // 0.4%: rounds to 0%
  net.SetLoss(2, 20);  // 2%
  net.Run(0, 500);
  EXPECT_EQ(sender.BestPath(At(500)), 1);  // 0% bucket, then lowest RTT
  EXPECT_EQ(sender.RepairRtt(At(500)), Ms(20));
  EXPECT_EQ(Repair(sender, At(500)), (PathList{1}));
  EXPECT_EQ(Data(sender, At(500)), (PathList{0}));  // media stays on the active path
  EXPECT_EQ(sender.figures(1).repairs_sent, 1u);
  EXPECT_EQ(sender.figures(1).bytes_sent, 1000u);

  net.SetLoss(1, 6);  // 0.6%: the 1% bucket, behind path 0
  net.Tick(At(510));
  EXPECT_EQ(sender.BestPath(At(510)), 0);
  EXPECT_EQ(sender.RepairRtt(At(510)), Ms(40));

  // Nothing up: the path heard most recently.
  net.Run(520, 1500);
  net.Set(0, false);
  net.Set(2, false);
  net.Tick(At(1510));
  net.Set(1, false);
  net.Run(1520, 1800);
  for (int p = 0; p < 3; ++p) EXPECT_EQ(sender.figures(p).state, PathState::kDown);
  EXPECT_EQ(sender.BestPath(At(1800)), 1);
  EXPECT_EQ(Repair(sender, At(1800)), (PathList{1}));
}

TEST(SenderPathsTest, BestPathTieGoesToTheMorePreferredPath) {
  SenderPaths sender(Config(MultipathMode::kBond, 3), At(0));
  Net net(sender);
  for (int p = 0; p < 3; ++p) net.SetRtt(p, Ms(30));
  net.SetLoss(0, 30);
  net.Run(0, 200);
  EXPECT_EQ(sender.BestPath(At(200)), 1);
  EXPECT_EQ(Repair(sender, At(200)), (PathList{1}));  // bond: one repair path
}

TEST(SenderPathsTest, DuplicateRepairsGoWhereDataGoesBeforeAnyPathIsKnown) {
  SenderPaths sender(Config(MultipathMode::kDuplicate, 2), At(0));
  EXPECT_EQ(Repair(sender, At(0)), (PathList{0, 1}));
}

// --- Probes and timers -------------------------------------------------------

TEST(SenderPathsTest, ProbesEveryPathEveryIntervalWithPerPathIds) {
  SenderPaths sender(Config(MultipathMode::kBackup, 3), At(0));
  std::vector<std::pair<uint8_t, uint32_t>> probes;
  using Probes = std::vector<std::pair<uint8_t, uint32_t>>;
  sender.CollectProbes(At(0), probes);
  EXPECT_EQ(probes, (Probes{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(sender.NextWakeup(), At(10));
  sender.CollectProbes(At(5), probes);
  EXPECT_TRUE(probes.empty());
  sender.CollectProbes(At(10), probes);
  EXPECT_EQ(probes, (Probes{{0, 2}, {1, 2}, {2, 2}}));
  sender.CollectProbes(At(20), probes);
  EXPECT_EQ(probes, (Probes{{0, 3}, {1, 3}, {2, 3}}));
  // A late timer: one probe per path, no burst to catch up.
  sender.CollectProbes(At(45), probes);
  EXPECT_EQ(probes, (Probes{{0, 4}, {1, 4}, {2, 4}}));
  EXPECT_EQ(sender.NextWakeup(), At(55));
  sender.CollectProbes(At(50), probes);
  EXPECT_TRUE(probes.empty());
  sender.CollectProbes(At(55), probes);
  EXPECT_EQ(probes.size(), 3u);
  EXPECT_EQ(sender.figures(2).probes_sent, 5u);
  EXPECT_EQ(sender.figures(2).next_probe_id, 6u);
}

TEST(SenderPathsTest, NextWakeupCoversStateDeadlines) {
  SenderPathsConfig config = Config(MultipathMode::kBackup, 2);
  config.probe_interval = Duration::Seconds(10);  // keep probes out of the way
  SenderPaths sender(config, At(0));
  std::vector<std::pair<uint8_t, uint32_t>> probes;
  sender.CollectProbes(At(0), probes);
  EXPECT_EQ(sender.NextWakeup(), At(10'000));
  Net net(sender);
  net.Tick(At(0));
  EXPECT_EQ(sender.NextWakeup(), At(60));  // down unless heard again
  net.Set(0, false);
  net.Set(1, false);
  sender.OnTimer(*sender.NextWakeup());
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.figures(1).state, PathState::kDown);
  EXPECT_EQ(sender.NextWakeup(), At(10'000));
  // Heard both ways again: the up_after deadline.
  // (A lapse of hearing changes no state; the event ending it catches it.)
  net.Set(0, true);
  net.Tick(At(100));
  EXPECT_EQ(sender.NextWakeup(), At(600));  // up_since 100 + up_after 500
  for (int64_t t = 110; t < 600; t += 10) net.Tick(At(t));
  EXPECT_EQ(sender.NextWakeup(), At(600));
  net.Tick(At(600));
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);
}

// --- Hostile input -----------------------------------------------------------

TEST(SenderPathsTest, IgnoresEmptyReportsAndUnknownPathIds) {
  SenderPaths sender(Config(MultipathMode::kBond, 2), At(0));
  ReportBody report;
  sender.OnReport(0, report, std::nullopt, At(0));  // no entries at all
  EXPECT_EQ(sender.figures(0).reports_received, 1u);
  EXPECT_EQ(sender.figures(0).state, PathState::kActive);  // judged on reverse alone
  EXPECT_EQ(sender.figures(1).state, PathState::kUnknown);

  report.paths.push_back({.path_id = 5, .state = PathState::kDown, .loss_permille = 900});
  report.paths.push_back({.path_id = 255, .state = PathState::kDown, .loss_permille = 5000});
  report.paths.push_back({.path_id = kMaxPaths, .state = PathState::kDown});
  sender.OnReport(1, report, Ms(-5), At(10));  // and a negative RTT sample
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_EQ(sender.figures(1).loss, 0);
  EXPECT_FALSE(sender.figures(1).rtt.has_sample());
  sender.OnReport(2, report, Ms(5), At(20));  // not a path of this session
  sender.OnReport(200, report, Ms(5), At(20));
  sender.OnHeard(7, At(20));
  sender.OnHeard(255, At(20));
  EXPECT_EQ(sender.figures(0).reports_received + sender.figures(1).reports_received, 2u);
  // An out-of-range loss figure for a real path is clamped to 100%.
  report.paths = {{.path_id = 1, .state = PathState::kActive, .loss_permille = 5000}};
  sender.OnReport(1, report, std::nullopt, At(30));
  EXPECT_DOUBLE_EQ(sender.figures(1).loss, 1.0);
  PathList out;
  sender.SelectForData(1000, At(30), out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(SenderPathsTest, StaleReportFromASlowPathDoesNotOverrideANewerOne) {
  // Path 1's reports take 300 ms; path 0's 10 ms. When path 0 dies, path 1's
  // reports still say "path 0 fine" for 300 ms: they must not delay the
  // failover.
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  ReportBody fine;
  fine.paths = {{.path_id = 0, .state = PathState::kActive, .last_heard_ms = 1},
                {.path_id = 1, .state = PathState::kActive, .last_heard_ms = 1}};
  for (int64_t t = 0; t <= 1000; t += 10) {
    sender.OnReport(0, fine, Ms(20), At(t));
    sender.OnReport(1, fine, Ms(600), At(t));
    sender.OnTimer(At(t));
  }
  EXPECT_EQ(sender.active_path(), 0);
  // Path 0 dies at 1000: only path 1's (old) reports arrive.
  for (int64_t t = 1010; t <= 1060; t += 10) {
    sender.OnReport(1, fine, Ms(600), At(t));
    sender.OnTimer(At(t));
  }
  EXPECT_EQ(sender.figures(0).state, PathState::kDown);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().last_failover_detected, At(1060));
}

// --- With the real receiver --------------------------------------------------

TEST(SenderPathsTest, ProbeLossMeasuredByReceiverDegradesThePath) {
  SenderPaths sender(Config(MultipathMode::kBackup, 2), At(0));
  ReceiverPaths receiver;
  std::vector<std::pair<uint8_t, uint32_t>> probes;
  std::vector<PathReport> entries;
  ReportBody report;
  int dropped = 0;
  for (int64_t t = 0; t <= 3000; t += 5) {
    const Time now = At(t);
    sender.CollectProbes(now, probes);
    for (const auto& [path, id] : probes) {
      // Path 0 loses every 5th probe (20%) after the first second.
      if (path == 0 && t >= 1000 && id % 5 == 0) {
        ++dropped;
        continue;
      }
      receiver.OnPacket(path, PacketType::kKeepalive, 28, static_cast<uint32_t>(t * 1000), Ms(5),
                        now);
      receiver.OnProbe(path, id, now);
    }
    if (t % 20 == 0) {
      receiver.FillReport(now, report.paths);
      for (uint8_t p = 0; p < 2; ++p) sender.OnReport(p, report, Ms(10), now);
    }
    sender.OnTimer(now);
  }
  EXPECT_GT(dropped, 0);
  EXPECT_NEAR(receiver.figures(0).loss, 0.2, 0.01);
  EXPECT_NEAR(sender.figures(0).loss, 0.2, 0.01);
  EXPECT_EQ(sender.figures(0).state, PathState::kDegraded);
  EXPECT_EQ(sender.figures(1).state, PathState::kActive);
  EXPECT_EQ(sender.active_path(), 1);
  EXPECT_EQ(sender.stats().failovers, 1u);
}

}  // namespace
}  // namespace hitless::path
