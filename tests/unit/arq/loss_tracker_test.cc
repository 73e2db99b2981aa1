// LossTracker: gap detection, range coalescing and bounds, reorder tolerance
// learning, the re-NACK schedule (normal, near the deadline, none when too
// late), abandonment, duplicates, 64-bit ranges and the tracked-gap bound;
// tracking without NACKs, the first-NACK hold for FEC and loss events.
#include "transport/arq/loss_tracker.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace hitless::arq {
namespace {

constexpr Duration Ms(int64_t ms) { return Duration::Milliseconds(ms); }
constexpr Duration Us(int64_t us) { return Duration::Microseconds(us); }
constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }
constexpr Time AtUs(int64_t us) { return Time::Zero() + Duration::Microseconds(us); }
constexpr auto kOrig = ArrivalOrigin::kOriginal;
constexpr auto kRetx = ArrivalOrigin::kRetransmission;
constexpr auto kFec = ArrivalOrigin::kFec;

std::vector<NackRange> Collect(LossTracker& t, Time now, Duration rtt = Ms(40),
                               size_t max_ranges = kMaxNackRangesPerPacket) {
  std::vector<NackRange> out;
  t.CollectNacks(now, rtt, out, max_ranges);
  return out;
}

TEST(LossTrackerTest, DetectsGapsAndCoalescesRanges) {
  LossTracker t;
  for (int64_t s : {0, 1, 2}) EXPECT_EQ(t.OnPacket(s, At(0), kOrig).kind, ArrivalKind::kNew);
  const ArrivalResult r = t.OnPacket(5, At(1), kOrig);
  EXPECT_EQ(r.kind, ArrivalKind::kNew);
  EXPECT_EQ(r.gap_first, 3);
  EXPECT_EQ(r.gap_count, 2);
  t.OnPacket(6, At(1), kOrig);
  t.OnPacket(9, At(1), kOrig);
  EXPECT_EQ(t.missing_count(), 4u);
  EXPECT_EQ(t.highest_seq(), 9);
  // First NACK waits for the reorder tolerance (1 ms minimum).
  EXPECT_EQ(t.NextWakeup(), At(2));
  EXPECT_TRUE(Collect(t, AtUs(1999)).empty());
  EXPECT_EQ(Collect(t, At(2)), (std::vector<NackRange>{{3, 2}, {7, 2}}));
  EXPECT_EQ(t.stats().gap_events, 2u);
  EXPECT_EQ(t.stats().gaps_detected, 4u);
  EXPECT_EQ(t.stats().nack_ranges, 2u);
  EXPECT_EQ(t.stats().nack_seqs, 4u);
  EXPECT_EQ(t.stats().nack_repeats, 0u);
}

TEST(LossTrackerTest, RangesPerPacketAreBounded) {
  LossTracker t;
  for (int64_t s = 0; s <= 1000; s += 2) t.OnPacket(s, At(0), kOrig);  // 500 holes
  auto first = Collect(t, At(5));
  EXPECT_EQ(first.size(), kMaxNackRangesPerPacket);
  EXPECT_EQ(first.front(), (NackRange{1, 1}));
  EXPECT_EQ(first.back(), (NackRange{487, 1}));
  ASSERT_TRUE(t.NextWakeup().has_value());
  EXPECT_LE(*t.NextWakeup(), At(5));  // the rest is still due: call again
  EXPECT_EQ(Collect(t, At(5)).size(), kMaxNackRangesPerPacket);
  auto third = Collect(t, At(5));
  EXPECT_EQ(third.size(), 500u - 2 * kMaxNackRangesPerPacket);
  EXPECT_EQ(third.back(), (NackRange{999, 1}));
  EXPECT_GT(*t.NextWakeup(), At(5));
  EXPECT_EQ(t.stats().nack_seqs, 500u);
}

TEST(LossTrackerTest, LongRunsSplitAtTheWireCountAndTheTrackedBound) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  const ArrivalResult r = t.OnPacket(70'001, At(0), kOrig);  // 70000 missing
  EXPECT_EQ(r.gap_count, 65'536);
  EXPECT_EQ(r.gap_first, 70'001 - 65'536);
  EXPECT_EQ(t.stats().untracked, 70'000u - 65'536u);
  EXPECT_EQ(t.stats().abandoned, 70'000u - 65'536u);
  EXPECT_EQ(t.missing_count(), 65'536u);
  const auto ranges = Collect(t, At(10));
  EXPECT_EQ(ranges, (std::vector<NackRange>{{r.gap_first, kMaxNackRangeCount},
                                            {r.gap_first + kMaxNackRangeCount, 1}}));
}

TEST(LossTrackerTest, NewGapsEvictTheOldestWhenTheBoundIsReached) {
  LossTracker t({.max_missing = 100});
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(151, At(0), kOrig);  // 150 missing, 100 tracked: 51..150
  EXPECT_EQ(t.missing_count(), 100u);
  EXPECT_FALSE(t.IsMissing(50));
  EXPECT_TRUE(t.IsMissing(51));
  t.OnPacket(182, At(1), kOrig);  // 30 more: the 30 oldest go
  EXPECT_EQ(t.missing_count(), 100u);
  EXPECT_FALSE(t.IsMissing(80));
  EXPECT_TRUE(t.IsMissing(81));
  EXPECT_TRUE(t.IsMissing(181));
  EXPECT_EQ(t.stats().untracked, 80u);
  EXPECT_EQ(t.stats().abandoned, 80u);
  // An untracked sequence arriving later is late, not recovered.
  EXPECT_EQ(t.OnPacket(10, At(2), kRetx).kind, ArrivalKind::kLate);
}

TEST(LossTrackerTest, RangesAre64BitAcrossTheU32Wrap) {
  LossTracker t;
  const int64_t w = int64_t{1} << 32;
  t.OnPacket(w - 2, At(0), kOrig);
  t.OnPacket(w - 1, At(0), kOrig);
  t.OnPacket(w + 2, At(0), kOrig);
  EXPECT_EQ(Collect(t, At(5)), (std::vector<NackRange>{{w, 2}}));
  // Negative indices (an unwrapper that started near 0 and saw older values).
  LossTracker n;
  n.OnPacket(-10, At(0), kOrig);
  n.OnPacket(-6, At(0), kOrig);
  EXPECT_EQ(Collect(n, At(5)), (std::vector<NackRange>{{-9, 3}}));
  EXPECT_EQ(n.OnPacket(-8, At(6), kRetx).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(n.OnPacket(-8, At(6), kRetx).kind, ArrivalKind::kDuplicate);
  // Out of range values are refused.
  EXPECT_EQ(n.OnPacket(kMaxSeq + 1, At(7), kOrig).kind, ArrivalKind::kInvalid);
  EXPECT_EQ(n.stats().invalid, 1u);
}

TEST(LossTrackerTest, DuplicatesLateAndTooOld) {
  LossTracker t({.receive_window_log2 = 10});  // 1024-packet window
  t.OnPacket(100, At(0), kOrig);
  EXPECT_EQ(t.OnPacket(100, At(0), kOrig).kind, ArrivalKind::kDuplicate);
  EXPECT_EQ(t.OnPacket(100, At(0), kRetx).kind, ArrivalKind::kDuplicate);
  EXPECT_EQ(t.stats().duplicates, 2u);
  EXPECT_EQ(t.stats().duplicate_retransmissions, 1u);
  // Below the first packet, inside the window: accepted once as late.
  EXPECT_EQ(t.OnPacket(99, At(0), kOrig).kind, ArrivalKind::kLate);
  EXPECT_EQ(t.OnPacket(99, At(0), kOrig).kind, ArrivalKind::kDuplicate);
  t.OnPacket(2000, At(1), kOrig);  // 100 is now outside the window
  EXPECT_EQ(t.OnPacket(100, At(1), kOrig).kind, ArrivalKind::kTooOld);
  EXPECT_EQ(t.stats().too_old, 1u);
  EXPECT_EQ(t.stats().received, 3u);
  // Tracked gaps are bounded by half the window: the newest 512 of 1899.
  EXPECT_EQ(t.missing_count(), 512u);
  EXPECT_TRUE(t.IsMissing(2000 - 512));
  // 1124 shares 100's bitmap slot, which was cleared when the window moved.
  EXPECT_EQ(t.OnPacket(1124, At(1), kOrig).kind, ArrivalKind::kLate);
  EXPECT_EQ(t.OnPacket(1500, At(1), kOrig).kind, ArrivalKind::kRecovered);
}

// The stream's first packets reordered behind a later one: a packet from
// below the first received moves the start down, and what lies between and
// has not arrived is missing like any gap (and is NACKed).
TEST(LossTrackerTest, APacketFromBeforeTheFirstOpensTheGapAboveIt) {
  LossTracker t;
  t.OnPacket(10, At(0), kOrig);
  t.OnPacket(11, At(0), kOrig);
  const ArrivalResult r = t.OnPacket(5, At(1), kOrig);
  EXPECT_EQ(r.kind, ArrivalKind::kLate);
  EXPECT_EQ(r.gap_first, 6);
  EXPECT_EQ(r.gap_count, 4);
  for (int64_t s = 6; s <= 9; ++s) EXPECT_TRUE(t.IsMissing(s)) << s;
  EXPECT_EQ(t.OnPacket(7, At(2), kOrig).kind, ArrivalKind::kRecovered);
  // Lower still: only the sequence between it and 5 opens.
  const ArrivalResult lower = t.OnPacket(3, At(2), kOrig);
  EXPECT_EQ(lower.gap_first, 4);
  EXPECT_EQ(lower.gap_count, 1);
  // The one just below the start opens nothing.
  EXPECT_EQ(t.OnPacket(2, At(2), kOrig).gap_count, 0);
  EXPECT_EQ(t.missing_count(), 4u);  // 4, 6, 8, 9
  // Counted as lost (7 came by reorder): the sender's leading-packet
  // accounting sees them as known.
  EXPECT_EQ(t.Report().lost, 4u);
  std::vector<NackRange> nacks;
  t.CollectNacks(At(100), Duration::Milliseconds(50), nacks);
  ASSERT_EQ(nacks.size(), 3u);
  EXPECT_EQ(nacks[0], (NackRange{4, 1}));
  EXPECT_EQ(nacks[1], (NackRange{6, 1}));
  EXPECT_EQ(nacks[2], (NackRange{8, 2}));
}

// A packet far below the start is stale (e.g. from before the sender
// restarted its numbering): it opens nothing.
TEST(LossTrackerTest, AStalePacketFarBelowTheStartOpensNothing) {
  LossTracker t({.max_start_extension = 100});
  t.OnPacket(1000, At(0), kOrig);
  const ArrivalResult r = t.OnPacket(800, At(1), kOrig);
  EXPECT_EQ(r.kind, ArrivalKind::kLate);
  EXPECT_EQ(r.gap_count, 0);
  EXPECT_EQ(t.missing_count(), 0u);
}

TEST(LossTrackerTest, RecoveriesAreSplitByOriginWithTheirMargin) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(4, At(0), kOrig);  // 1, 2, 3 missing
  t.SetDeadline(1, 3, At(100));
  EXPECT_EQ(t.OnPacket(1, At(30), kRetx).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(t.OnPacket(2, At(93), ArrivalOrigin::kFec).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(t.OnPacket(3, At(2), kOrig).kind, ArrivalKind::kRecovered);
  const LossTrackerStats& s = t.stats();
  EXPECT_EQ(s.recovered_by_retransmission, 1u);
  EXPECT_EQ(s.recovered_by_fec, 1u);
  EXPECT_EQ(s.recovered_by_reorder, 1u);
  EXPECT_EQ(s.reordered, 1u);
  EXPECT_EQ(s.margin.count, 3u);
  EXPECT_EQ(s.margin.min, Ms(7));
  EXPECT_EQ(s.margin.mean(), (Ms(70) + Ms(7) + Ms(98)) / 3);
  EXPECT_EQ(s.margin.histogram[1], 1u);  // [5, 10) ms
  EXPECT_EQ(s.margin.histogram[4], 2u);  // [50, 100) ms
  const LossReport report = t.Report();
  EXPECT_EQ(report.highest, 4);
  EXPECT_EQ(report.received, 5u);
  EXPECT_EQ(report.lost, 2u);  // the reordered one was not lost
  EXPECT_EQ(report.recovered, 2u);
  EXPECT_EQ(report.abandoned, 0u);
  EXPECT_FALSE(t.NextWakeup().has_value());
}

// 1000 packets at 1 per ms; every 10th is delayed 3 ms (overtaken by the
// next three). No loss: once the tolerance has learned ~3 ms, nothing is
// NACKed any more.
TEST(LossTrackerTest, LearnsReorderToleranceAndStopsNackingReordering) {
  LossTracker t;
  struct Arrival {
    int64_t seq;
    int64_t at_us;
  };
  std::vector<Arrival> arrivals;
  for (int64_t s = 0; s < 1000; ++s) {
    arrivals.push_back({s, s * 1000 + (s % 10 == 5 ? 3'100 : 0)});
  }
  std::sort(arrivals.begin(), arrivals.end(),
            [](const Arrival& a, const Arrival& b) { return a.at_us < b.at_us; });
  uint64_t nacked = 0;
  size_t next = 0;
  for (int64_t us = 0; us <= 1'010'000; us += 100) {
    while (next < arrivals.size() && arrivals[next].at_us <= us) {
      t.OnPacket(arrivals[next].seq, AtUs(us), kOrig);
      ++next;
    }
    for (const NackRange& r : Collect(t, AtUs(us), Ms(60))) nacked += r.count;
  }
  EXPECT_LE(nacked, 2u);  // only before the first reordering was seen
  EXPECT_EQ(t.stats().reordered, 100u);
  EXPECT_EQ(t.stats().abandoned, 0u);
  EXPECT_EQ(t.missing_count(), 0u);
  // Learned: about k x 2.1 ms (the delay since the gap was seen), decaying.
  const Duration tol = t.ReorderTolerance(AtUs(1'010'000));
  EXPECT_GT(tol, Ms(2));
  EXPECT_LT(tol, Ms(3));
}

TEST(LossTrackerTest, ToleranceIsCappedByRttAndDecays) {
  LossTracker t({.max_reorder_tolerance = Ms(50), .reorder_half_life = Duration::Seconds(1)});
  t.SetRtt(Ms(20));
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  t.OnPacket(1, At(8), kOrig);  // reordered by 8 ms: 10 ms x 1.25 = 10 > RTT/2
  EXPECT_EQ(t.ReorderTolerance(At(8)), Ms(10));
  t.SetRtt(Ms(200));
  EXPECT_EQ(t.ReorderTolerance(At(8)), Ms(10));     // 1.25 x 8 ms
  EXPECT_EQ(t.ReorderTolerance(At(1008)), Ms(5));   // one half-life later
  EXPECT_EQ(t.ReorderTolerance(At(20008)), Ms(1));  // floor
}

// Deadline 200 ms after detection, RTT 40 ms: first NACK after the 1 ms
// tolerance; then every 1.25 RTT (50 ms) but entering the near zone (2 RTT
// before the deadline, 120 ms) on time; then every RTT/4 (10 ms); none once
// less than one RTT is left (160 ms); abandonment at the deadline.
TEST(LossTrackerTest, RenackScheduleSpeedsUpNearTheDeadlineThenAbandons) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  t.SetDeadline(1, 1, At(200));
  std::vector<int64_t> nack_times;
  while (auto wake = t.NextWakeup()) {
    if (!Collect(t, *wake).empty()) nack_times.push_back(wake->ToNanoseconds() / 1'000'000);
  }
  EXPECT_EQ(nack_times, (std::vector<int64_t>{1, 51, 101, 120, 130, 140, 150, 160}));
  EXPECT_EQ(t.stats().abandoned, 1u);
  EXPECT_EQ(t.stats().nack_repeats, 7u);
  EXPECT_EQ(t.missing_count(), 0u);
  EXPECT_EQ(t.OnPacket(1, At(201), kRetx).kind, ArrivalKind::kLate);
}

TEST(LossTrackerTest, WithoutADeadlineRenacksEveryRttForTheDefaultLifetime) {
  LossTracker t({.default_lifetime = Duration::Seconds(1)});
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  int nacks = 0;
  while (auto wake = t.NextWakeup()) {
    if (!Collect(t, *wake, Ms(100)).empty()) ++nacks;
  }
  // 1 ms, then every 125 ms up to 800 ms (deadline - 2 RTT), then every 25 ms
  // up to 900 ms (deadline - RTT): 1, 126, 251, 376, 501, 626, 751, 800, 825,
  // 850, 875, 900.
  EXPECT_EQ(nacks, 12);
  EXPECT_EQ(t.stats().abandoned, 1u);
}

TEST(LossTrackerTest, OwnerAbandonment) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(10, At(0), kOrig);  // 1..9 missing
  EXPECT_EQ(t.Abandon(5), 1u);
  EXPECT_EQ(t.Abandon(5), 0u);
  EXPECT_EQ(t.AbandonBefore(4), 3u);
  EXPECT_EQ(t.missing_count(), 5u);
  t.SetDeadline(6, 2, At(3));  // 6, 7 expire at 3 ms
  EXPECT_EQ(t.AbandonExpired(At(2)), 0u);
  EXPECT_EQ(t.AbandonExpired(At(3)), 2u);
  EXPECT_EQ(Collect(t, At(3)), (std::vector<NackRange>{{4, 1}, {8, 2}}));
  t.SetDeadline(4, 100, At(1));  // already past: gone at the next collection
  EXPECT_TRUE(Collect(t, At(4)).empty());
  EXPECT_EQ(t.missing_count(), 0u);
  EXPECT_EQ(t.stats().abandoned, 9u);
}

TEST(LossTrackerTest, WithoutNacksGapsAreOnlyTrackedAndAbandonedAtTheDeadline) {
  // A hold cap too: SetDeadline must not turn "never" into a NACK time.
  LossTracker t({.default_lifetime = Duration::Seconds(1), .nack = false, .fec_hold_cap = Ms(30)});
  t.OnPacket(0, At(0), kOrig);
  const ArrivalResult r = t.OnPacket(4, At(0), kOrig);  // 1, 2, 3 missing
  EXPECT_EQ(r.gap_first, 1);
  EXPECT_EQ(r.gap_count, 3);
  EXPECT_EQ(t.missing_count(), 3u);
  EXPECT_EQ(t.NextWakeup(), At(1000));  // the default lifetime, no NACK time
  t.SetDeadline(1, 3, At(200));
  EXPECT_EQ(t.NextWakeup(), At(200));
  std::vector<int64_t> wake_ms;
  while (auto wake = t.NextWakeup()) {
    wake_ms.push_back(wake->ToNanoseconds() / 1'000'000);
    EXPECT_TRUE(Collect(t, *wake).empty()) << wake_ms.back();
  }
  EXPECT_EQ(wake_ms, (std::vector<int64_t>{200}));
  EXPECT_EQ(t.missing_count(), 0u);
  EXPECT_EQ(t.stats().abandoned, 3u);
  EXPECT_EQ(t.stats().nack_ranges, 0u);
  EXPECT_EQ(t.stats().nack_seqs, 0u);
  EXPECT_EQ(t.Report().abandoned, 3u);
  EXPECT_EQ(t.OnPacket(2, At(201), kFec).kind, ArrivalKind::kLate);
}

TEST(LossTrackerTest, WithoutNacksFecRecoveriesAreStillCounted) {
  LossTracker t({.nack = false});
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(3, At(0), kOrig);  // 1, 2 missing
  // Polling never NACKs, however long the sequences stay missing.
  for (int64_t ms = 0; ms <= 5000; ms += 10) EXPECT_TRUE(Collect(t, At(ms)).empty()) << ms;
  EXPECT_EQ(t.OnPacket(1, At(5000), kFec).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(t.stats().recovered_by_fec, 1u);
  EXPECT_EQ(t.stats().recovered_by_fec_after_nack, 0u);
  EXPECT_TRUE(t.IsMissing(2));
  EXPECT_EQ(t.NextWakeup(), At(10'000));  // default lifetime
}

TEST(LossTrackerTest, FirstNackIsHeldForTheInitialHoldBeforeAnyFecRepairIsSeen) {
  LossTracker plain;
  EXPECT_EQ(plain.FecHold(At(0)), Duration::Zero());
  LossTracker learning({.fec_hold_cap = Ms(30)});
  EXPECT_EQ(learning.FecHold(At(0)), Duration::Zero()) << "no hold until FEC has repaired";
  LossTracker t({.fec_hold_cap = Ms(30), .fec_hold_initial = Ms(40)});
  EXPECT_EQ(t.FecHold(At(0)), Ms(30)) << "the initial hold, at most the cap";
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  // Detection + 1 ms reorder tolerance + 30 ms hold.
  EXPECT_EQ(t.NextWakeup(), At(31));
  EXPECT_TRUE(Collect(t, AtUs(30'999)).empty());
  EXPECT_EQ(Collect(t, At(31)), (std::vector<NackRange>{{1, 1}}));
  // Repeats follow the normal schedule: no hold after the first NACK.
  EXPECT_EQ(t.NextWakeup(), At(31) + Ms(50));  // 1.25 x 40 ms
  EXPECT_EQ(t.stats().nack_repeats, 0u);
}

TEST(LossTrackerTest, HoldShrinksToTheLearnedFecDelayAndDecays) {
  LossTracker t({.reorder_half_life = Duration::Seconds(10), .fec_hold_cap = Ms(30)});
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  EXPECT_EQ(t.OnPacket(1, At(4), kFec).kind, ArrivalKind::kRecovered);  // 4 ms after detection
  EXPECT_EQ(t.FecHold(At(4)), Ms(5));                                   // 1.25 x 4 ms
  t.OnPacket(4, At(4), kOrig);                                          // 3 missing
  EXPECT_EQ(t.NextWakeup(), At(4) + Ms(1) + Ms(5));
  EXPECT_TRUE(Collect(t, AtUs(9'999)).empty());
  EXPECT_EQ(Collect(t, At(10)), (std::vector<NackRange>{{3, 1}}));
  // The learned delay halves every reorder_half_life.
  EXPECT_EQ(t.FecHold(At(4) + Duration::Seconds(10)), Us(2'500));
  // A slow repair raises it again, up to the cap.
  t.OnPacket(6, At(20), kOrig);                                           // 5 missing
  EXPECT_EQ(t.OnPacket(5, At(120), kFec).kind, ArrivalKind::kRecovered);  // 100 ms
  EXPECT_EQ(t.FecHold(At(120)), Ms(30));
  EXPECT_EQ(t.stats().recovered_by_fec, 2u);
}

TEST(LossTrackerTest, HoldWithAFactor) {
  LossTracker t({.fec_hold_cap = Ms(100), .fec_hold_factor = 3.0});
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  t.OnPacket(1, At(7), kFec);
  EXPECT_EQ(t.FecHold(At(7)), Ms(21));
}

// The hold never pushes the first NACK past deadline - (2 + 1.25) x RTT, and
// never before detection + reorder tolerance (here 5 ms).
TEST(LossTrackerTest, DeadlinePullsAHeldFirstNackEarlierButNotBeforeTheTolerance) {
  const auto first_nack = [](Time deadline) {
    LossTracker t(
        {.min_reorder_tolerance = Ms(5), .fec_hold_cap = Ms(100), .fec_hold_initial = Ms(100)});
    t.SetRtt(Ms(20));  // keep = 3.25 x 20 ms = 65 ms
    t.OnPacket(0, At(0), kOrig);
    t.OnPacket(2, At(0), kOrig);
    EXPECT_EQ(t.NextWakeup(), At(105));  // tolerance + cap
    t.SetDeadline(1, 1, deadline);
    return t.NextWakeup();
  };
  EXPECT_EQ(first_nack(At(500)), At(105));  // ample latency: full hold
  EXPECT_EQ(first_nack(At(170)), At(105));  // exactly at the limit
  EXPECT_EQ(first_nack(At(120)), At(55));   // 120 - 65
  EXPECT_EQ(first_nack(At(60)), At(5));     // would be -5: the tolerance
  EXPECT_EQ(first_nack(At(3)), At(3));      // the deadline comes first
}

TEST(LossTrackerTest, PulledFirstNackKeepsTheWholeRepeatSchedule) {
  LossTracker t({.fec_hold_cap = Ms(100), .fec_hold_initial = Ms(100)});
  t.SetRtt(Ms(20));
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  t.SetDeadline(1, 1, At(120));
  std::vector<int64_t> nack_ms;
  while (auto wake = t.NextWakeup()) {
    if (!Collect(t, *wake, Ms(20)).empty()) nack_ms.push_back(wake->ToNanoseconds() / 1'000'000);
  }
  // 55, then 1.25 RTT later (but entering the near zone at 80 on time), then
  // every RTT/4 up to deadline - RTT.
  EXPECT_EQ(nack_ms, (std::vector<int64_t>{55, 80, 85, 90, 95, 100}));
  EXPECT_EQ(t.stats().abandoned, 1u);
}

TEST(LossTrackerTest, SetDeadlineDoesNotMoveANackAlreadySent) {
  LossTracker t({.fec_hold_cap = Ms(100), .fec_hold_initial = Ms(100)});
  t.SetRtt(Ms(20));
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  EXPECT_EQ(Collect(t, At(101), Ms(20)), (std::vector<NackRange>{{1, 1}}));
  EXPECT_EQ(t.NextWakeup(), At(126));  // 1.25 x 20 ms
  // Near enough to pull a held first NACK to 150 - 65 = 85 ms; a repeat
  // keeps the normal schedule.
  t.SetDeadline(1, 1, At(150));
  EXPECT_EQ(t.NextWakeup(), At(126));
}

TEST(LossTrackerTest, FecAfterNackCountsOnlyRepairsOfNackedSequences) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(2, At(0), kOrig);
  t.OnPacket(4, At(0), kOrig);  // 1, 3 missing; first NACK at 1 ms
  EXPECT_EQ(t.OnPacket(1, AtUs(500), kFec).kind, ArrivalKind::kRecovered);  // before it
  EXPECT_EQ(t.stats().recovered_by_fec, 1u);
  EXPECT_EQ(t.stats().recovered_by_fec_after_nack, 0u);
  EXPECT_EQ(Collect(t, At(1)), (std::vector<NackRange>{{3, 1}}));
  EXPECT_EQ(t.OnPacket(3, At(2), kFec).kind, ArrivalKind::kRecovered);  // after it
  EXPECT_EQ(t.stats().recovered_by_fec, 2u);
  EXPECT_EQ(t.stats().recovered_by_fec_after_nack, 1u);
  // NACKed, then repaired by a retransmission or found reordered: not FEC.
  t.OnPacket(6, At(3), kOrig);
  t.OnPacket(8, At(3), kOrig);  // 5, 7 missing
  EXPECT_EQ(Collect(t, At(4)), (std::vector<NackRange>{{5, 1}, {7, 1}}));
  EXPECT_EQ(t.OnPacket(5, At(5), kRetx).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(t.OnPacket(7, At(5), kOrig).kind, ArrivalKind::kRecovered);
  EXPECT_EQ(t.stats().recovered_by_fec_after_nack, 1u);
  EXPECT_EQ(t.stats().recovered_by_fec, 2u);
  // A duplicate FEC rebuild of a sequence already repaired counts nothing.
  EXPECT_EQ(t.OnPacket(3, At(6), kFec).kind, ArrivalKind::kDuplicate);
  EXPECT_EQ(t.stats().recovered_by_fec_after_nack, 1u);
}

TEST(LossTrackerTest, ReportCountsLossEventsAsRuns) {
  LossTracker t;
  t.OnPacket(0, At(0), kOrig);
  t.OnPacket(6, At(0), kOrig);  // one run of 5
  LossReport report = t.Report();
  EXPECT_EQ(report.lost, 5u);
  EXPECT_EQ(report.loss_events, 1u);
  t.OnPacket(7, At(1), kOrig);   // no gap
  t.OnPacket(9, At(1), kOrig);   // a run of 1
  t.OnPacket(12, At(1), kOrig);  // a run of 2
  report = t.Report();
  EXPECT_EQ(report.lost, 8u);
  EXPECT_EQ(report.loss_events, 3u);
  EXPECT_EQ(report.loss_events, t.stats().gap_events);
  // Repairs and late arrivals do not change the count.
  t.OnPacket(3, At(2), kRetx);
  t.OnPacket(8, At(2), kFec);
  EXPECT_EQ(t.Report().loss_events, 3u);
  EXPECT_EQ(t.Report().recovered, 2u);
}

}  // namespace
}  // namespace hitless::arq

namespace hitless::arq {
namespace {

TEST(LossTrackerTest, NoNackWhenTheDeadlineIsNearerThanTheMinimumRtt) {
  LossTracker t;
  t.SetRtt(Duration::Milliseconds(60));
  t.SetMinRtt(Duration::Milliseconds(60));
  t.OnPacket(0, Time::Zero(), ArrivalOrigin::kOriginal);
  ASSERT_EQ(
      t.OnPacket(3, Time::Zero() + Duration::Milliseconds(10), ArrivalOrigin::kOriginal).gap_count,
      2);
  // Seq 1 is due in 40 ms: an answer needs 60. Seq 2 in 200 ms: NACKed.
  t.SetDeadline(1, 1, Time::Zero() + Duration::Milliseconds(50));
  t.SetDeadline(2, 1, Time::Zero() + Duration::Milliseconds(210));
  EXPECT_EQ(t.stats().no_time_to_repair, 1u);
  std::vector<NackRange> out;
  t.CollectNacks(Time::Zero() + Duration::Milliseconds(20), Duration::Milliseconds(60), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, 2);
  EXPECT_EQ(out[0].count, 1);
}

TEST(LossTrackerTest, AGapLongerThanFecCanRebuildIsNotHeldForFec) {
  LossTrackerConfig config;
  config.fec_hold_cap = Duration::Milliseconds(50);
  config.fec_hold_initial = Duration::Milliseconds(50);
  LossTracker t(config);
  t.SetRtt(Duration::Milliseconds(20));
  t.SetFecRepairSpan(4);  // rs(20,4), no interleave
  t.OnPacket(0, Time::Zero(), ArrivalOrigin::kOriginal);
  t.OnPacket(3, Time::Zero(), ArrivalOrigin::kOriginal);   // 2 missing: held
  t.OnPacket(14, Time::Zero(), ArrivalOrigin::kOriginal);  // 10 missing: not held
  std::vector<NackRange> out;
  t.CollectNacks(Time::Zero() + Duration::Milliseconds(5), Duration::Milliseconds(20), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, 4);
  EXPECT_EQ(out[0].count, 10);
}

}  // namespace
}  // namespace hitless::arq

namespace hitless::arq {
namespace {

// Many deadline changes on many missing seqs: the timer heap fills with stale
// entries and is rebuilt from the live ones; what is due, and when, is the
// same as if every timer had been moved in place.
TEST(LossTrackerHeapTest, StaleTimersAreSkippedAndRebuiltWithoutChangingWhatIsDue) {
  LossTracker t({.max_missing = 1000});
  t.SetRtt(Duration::Milliseconds(40));
  t.OnPacket(0, Time::Zero(), ArrivalOrigin::kOriginal);
  t.OnPacket(1001, Time::Zero(), ArrivalOrigin::kOriginal);  // 1..1000 missing
  // 20 rounds of new deadlines for every seq: 20,000 timer pushes through a
  // heap reserved for ~2,000.
  for (int round = 0; round < 20; ++round) {
    for (int64_t s = 1; s <= 1000; s += 10) {
      t.SetDeadline(s, 10, Time::Zero() + Duration::Milliseconds(1000 + 10 * round + s % 7));
    }
  }
  EXPECT_EQ(t.missing_count(), 1000u);
  // The first NACK is due at the reorder tolerance; all 1000 go in ranges.
  const std::optional<Time> first = t.NextWakeup();
  ASSERT_TRUE(first.has_value());
  std::vector<NackRange> out;
  t.CollectNacks(*first, Duration::Milliseconds(40), out, 100);
  int64_t nacked = 0;
  for (const NackRange& r : out) nacked += r.count;
  EXPECT_EQ(nacked, 1000);
  EXPECT_EQ(t.stats().nack_repeats, 0u);  // each seq once, none twice
  // Recover half: the rest expire at their last deadline (1190..1196 ms).
  for (int64_t s = 1; s <= 1000; s += 2) t.OnPacket(s, *first, ArrivalOrigin::kRetransmission);
  EXPECT_EQ(t.missing_count(), 500u);
  EXPECT_EQ(t.AbandonExpired(Time::Zero() + Duration::Milliseconds(1189)), 0u);
  EXPECT_EQ(t.AbandonExpired(Time::Zero() + Duration::Milliseconds(1197)), 500u);
  EXPECT_EQ(t.missing_count(), 0u);
  EXPECT_FALSE(t.NextWakeup().has_value());
}

}  // namespace
}  // namespace hitless::arq
