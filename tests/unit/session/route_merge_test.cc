// RouteMerge on a manual clock: first copy wins across routes, the output is
// in order at the budget, a route's own repair counts, and a route whose
// numbering is not the stream's is dropped (not skipped to) unless the whole
// stream moved.
#include "transport/session/route_merge.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace hitless::session {
namespace {

struct Collect final : MediaSink {
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    first_bytes.push_back(payload[0]);
    times.push_back(now);
  }
  std::vector<uint8_t> first_bytes;
  std::vector<Time> times;
};

constexpr Duration kLatency = Duration::Milliseconds(100);
constexpr Duration kTransit = Duration::Milliseconds(10);

// Packet `seq` of a 1 ms-spaced stream (origin at t=0), as route `route`
// accepted it at origin + transit + extra.
StreamPacket Packet(int64_t seq, std::vector<uint8_t>& storage, bool late = false) {
  storage.assign(100, static_cast<uint8_t>(seq));
  return StreamPacket{.seq = seq,
                      .ts_us = seq * 1000,
                      .timestamp_us = static_cast<uint32_t>(seq * 1000),
                      .payload = storage,
                      .late = late};
}

Time At(int64_t seq, Duration extra = Duration::Zero()) {
  return Time::FromNanoseconds(0) + Duration::Milliseconds(1000 + seq) + kTransit + extra;
}

void Drain(RouteMerge& merge, Time until) {
  while (const auto t = merge.NextWakeup()) {
    if (*t > until) break;
    merge.OnTimer(*t);
  }
}

TEST(RouteMergeTest, FirstCopyWinsAndTheOutputIsWholeInOrderAtTheBudget) {
  Collect out;
  RouteMerge merge({.latency = kLatency, .routes = 2}, &out);
  std::vector<uint8_t> buf;
  for (int64_t seq = 0; seq < 50; ++seq) {
    // Route 0 loses every 5th packet, route 1 every 7th; route 1 is 3 ms slower.
    if (seq % 5 != 0) merge.OnRoutePacket(0, Packet(seq, buf), kTransit, At(seq));
    if (seq % 7 != 0) {
      merge.OnRoutePacket(1, Packet(seq, buf), kTransit + Duration::Milliseconds(3),
                          At(seq, Duration::Milliseconds(3)));
    }
  }
  Drain(merge, At(200));
  const RouteMergeStats& s = merge.stats();
  // 0 and 35 are on neither route (0, before the first packet, is not known
  // to exist: the stream starts at 1).
  EXPECT_EQ(s.delivered, 48u);
  EXPECT_EQ(s.lost, 1u);
  EXPECT_EQ(s.routes[0].first, 40u);
  EXPECT_EQ(s.routes[1].first, 8u);  // the ones route 0 lost (not 0, 35)
  EXPECT_EQ(s.duplicates, s.routes[0].packets + s.routes[1].packets - 48);
  ASSERT_EQ(out.first_bytes.size(), 48u);
  for (size_t i = 1; i < out.first_bytes.size(); ++i) {
    EXPECT_LT(out.first_bytes[i - 1], out.first_bytes[i]);
  }
  // Packet 1 entered at 1001 ms on the origin's clock: it plays at +latency.
  EXPECT_EQ(out.times.front(), Time::FromNanoseconds(0) + Duration::Milliseconds(1101));
}

TEST(RouteMergeTest, ARouteOfAnotherNumberingIsDroppedNotFollowed) {
  Collect out;
  RouteMerge merge({.latency = kLatency, .routes = 2}, &out);
  std::vector<uint8_t> buf;
  for (int64_t seq = 0; seq < 100; ++seq) {
    merge.OnRoutePacket(0, Packet(seq, buf), kTransit, At(seq));
    // Route 1 numbers the same packets a million higher.
    StreamPacket foreign = Packet(seq, buf);
    foreign.seq += 1'000'000;
    foreign.timestamp_us += 5'000'000;
    merge.OnRoutePacket(1, foreign, kTransit, At(seq));
  }
  Drain(merge, At(300));
  EXPECT_EQ(merge.stats().routes[1].out_of_window, 100u);
  EXPECT_EQ(merge.stats().delivered, 100u);
  EXPECT_EQ(merge.stats().lost, 0u);
  EXPECT_EQ(merge.stats().resyncs, 0u);
}

TEST(RouteMergeTest, TheWholeStreamMovingIsFollowedAfterASecond) {
  Collect out;
  RouteMerge merge({.latency = kLatency, .routes = 1}, &out);
  std::vector<uint8_t> buf;
  for (int64_t seq = 0; seq < 10; ++seq)
    merge.OnRoutePacket(0, Packet(seq, buf), kTransit, At(seq));
  Drain(merge, At(200));
  // The publisher restarted with a new numbering 2 s later.
  for (int64_t i = 0; i < 10; ++i) {
    StreamPacket moved = Packet(i, buf);
    moved.seq += 500'000;
    moved.timestamp_us += 2'000'000;
    merge.OnRoutePacket(0, moved, kTransit, At(i, Duration::Seconds(2)));
  }
  Drain(merge, At(10, Duration::Seconds(3)));
  EXPECT_EQ(merge.stats().resyncs, 1u);
  EXPECT_EQ(merge.stats().delivered, 20u);
  EXPECT_EQ(merge.stats().routes[0].out_of_window, 0u);
}

TEST(RouteMergeTest, ARepairThatWinsIsCountedAsSuch) {
  Collect out;
  RouteMerge merge({.latency = kLatency, .routes = 2}, &out);
  std::vector<uint8_t> buf;
  merge.OnRoutePacket(0, Packet(0, buf), kTransit, At(0));
  merge.OnRoutePacket(0, Packet(2, buf), kTransit, At(2));
  merge.OnRoutePacket(1, Packet(1, buf, /*late=*/true), kTransit,
                      At(1, Duration::Milliseconds(40)));
  merge.OnRoutePacket(0, Packet(1, buf, /*late=*/true), kTransit,
                      At(1, Duration::Milliseconds(50)));
  Drain(merge, At(300));
  EXPECT_EQ(merge.stats().delivered, 3u);
  EXPECT_EQ(merge.stats().routes[1].repaired_first, 1u);
  EXPECT_EQ(merge.stats().routes[0].repaired_first, 0u);
  EXPECT_EQ(merge.stats().routes[0].duplicates, 1u);
}

}  // namespace
}  // namespace hitless::session
