// Link: the Enqueue/DequeueDue/NextDelivery contract and the deterministic
// parts of the pipeline (timeline, reorder gap, rate bottleneck, seeding).
#include "netem-scenarios/model/link.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/model/link_test_util.h"

namespace hitless::netem {
namespace {

using testing::Delivery;
using testing::Drive;
using testing::MakeLink;

constexpr Duration kMs = Duration::Milliseconds(1);

Packet MakePacket(uint64_t tag, size_t size = 10) {
  Packet p;
  p.tag = tag;
  p.data.assign(size, static_cast<uint8_t>(tag));
  return p;
}

TEST(LinkContract, EmptyLinkHasNothingDue) {
  Link link = MakeLink("delay 10ms");
  EXPECT_FALSE(link.NextDelivery().has_value());
  EXPECT_FALSE(link.DequeueDue(Time::Infinite()).has_value());
  EXPECT_EQ(link.stats().in_flight, 0u);
}

TEST(LinkContract, NothingDueBeforeNextDelivery) {
  Link link = MakeLink("delay 10ms");
  link.Enqueue(MakePacket(7), Time::Zero() + kMs * 5);
  ASSERT_TRUE(link.NextDelivery().has_value());
  const Time due = *link.NextDelivery();
  EXPECT_EQ(due, Time::Zero() + kMs * 15);
  EXPECT_FALSE(link.DequeueDue(due - Duration::Nanoseconds(1)).has_value());
  EXPECT_EQ(link.stats().in_flight, 1u);
  std::optional<Packet> p = link.DequeueDue(due);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->tag, 7u);
  EXPECT_EQ(p->data, std::vector<uint8_t>(10, 7));
  EXPECT_FALSE(link.NextDelivery().has_value());
  EXPECT_EQ(link.stats().delivered, 1u);
  EXPECT_EQ(link.stats().bytes_delivered, 10u);
  EXPECT_EQ(link.stats().in_flight, 0u);
}

TEST(LinkContract, TiesLeaveInEnqueueOrder) {
  Link link = MakeLink("delay 10ms");
  for (uint64_t i = 0; i < 50; ++i) link.Enqueue(MakePacket(i), Time::Zero());
  const Time due = *link.NextDelivery();
  for (uint64_t i = 0; i < 50; ++i) {
    std::optional<Packet> p = link.DequeueDue(due);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->tag, i);
  }
  EXPECT_EQ(link.stats().reordered, 0u);
}

TEST(LinkContract, DequeueReturnsEarliestFirst) {
  Link link = MakeLink("delay 10ms 9ms", 3);
  for (uint64_t i = 0; i < 200; ++i) link.Enqueue(MakePacket(i), Time::Zero() + kMs * i);
  Time last = Time::Zero();
  while (link.NextDelivery()) {
    const Time at = *link.NextDelivery();
    EXPECT_GE(at, last);
    last = at;
    ASSERT_TRUE(link.DequeueDue(at).has_value());
  }
  EXPECT_EQ(link.stats().delivered, 200u);
}

TEST(LinkContract, ZeroDelayIsDueImmediately) {
  Link link = MakeLink("");
  link.Enqueue(MakePacket(1), Time::Zero() + kMs);
  EXPECT_EQ(*link.NextDelivery(), Time::Zero() + kMs);
}

TEST(LinkReorder, JitterReordersByDefault) {
  Link link = MakeLink("delay 50ms 10ms", 5);
  std::vector<Delivery> out = Drive(link, 10'000, kMs);
  ASSERT_EQ(out.size(), 10'000u);
  EXPECT_GT(link.stats().reordered, 1000u);
  int inversions = 0;
  for (size_t i = 1; i < out.size(); ++i) inversions += out[i].tag < out[i - 1].tag;
  EXPECT_GT(inversions, 1000);
}

TEST(LinkReorder, InorderJitterNeverReorders) {
  Link link = MakeLink("delay 50ms 10ms distribution normal inorder", 5);
  std::vector<Delivery> out = Drive(link, 10'000, kMs);
  ASSERT_EQ(out.size(), 10'000u);
  EXPECT_EQ(link.stats().reordered, 0u);
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].tag, out[i - 1].tag + 1);
    EXPECT_GE(out[i].at, out[i - 1].at);
  }
}

TEST(LinkReorder, GapSendsEveryNthPacketImmediately) {
  Link link = MakeLink("delay 10ms reorder 100% gap 5");
  std::vector<Delivery> out = Drive(link, 40, kMs);
  ASSERT_EQ(out.size(), 40u);
  for (const Delivery& d : out) {
    const Duration delay = d.at - (Time::Zero() + kMs * static_cast<int64_t>(d.tag));
    // netem: packets 5, 10, 15, ... (1-based) skip the delay.
    EXPECT_EQ(delay, (d.tag + 1) % 5 == 0 ? Duration::Zero() : kMs * 10) << d.tag;
  }
  EXPECT_GT(link.stats().reordered, 0u);
}

TEST(LinkReorder, ProbabilityWithoutGap) {
  Link link = MakeLink("delay 10ms reorder 30%", 9);
  std::vector<Delivery> out = Drive(link, 100'000, kMs);
  int immediate = 0;
  for (const Delivery& d : out) {
    immediate += d.at == Time::Zero() + kMs * static_cast<int64_t>(d.tag);
  }
  EXPECT_NEAR(immediate / 100'000.0, 0.30, 0.01);
}

TEST(LinkTimeline, OutageDropsExactlyThePacketsInsideTheWindow) {
  DirectionConfig config;
  config.params = ParseNetemSpec("delay 20ms").value();
  TimelineEvent outage;
  outage.kind = TimelineEvent::Kind::kOutage;
  outage.at = Duration::Seconds(1);
  outage.duration = Duration::Milliseconds(500);
  config.timeline.push_back(outage);
  const Time start = Time::Zero() + Duration::Seconds(100);
  Link link(config, 1, start);
  EXPECT_FALSE(link.in_outage(start + Duration::Milliseconds(999)));
  EXPECT_TRUE(link.in_outage(start + Duration::Seconds(1)));
  EXPECT_TRUE(link.in_outage(start + Duration::Milliseconds(1499)));
  EXPECT_FALSE(link.in_outage(start + Duration::Milliseconds(1500)));

  // One packet per ms for 3 s: those sent in [1000, 1500) ms are lost.
  std::vector<Delivery> out = Drive(link, 3000, kMs, 0, start);
  EXPECT_EQ(link.stats().Dropped(ImpairmentDrop::kOutage), 500u);
  EXPECT_EQ(link.stats().DroppedTotal(), 500u);
  ASSERT_EQ(out.size(), 2500u);
  for (const Delivery& d : out) EXPECT_TRUE(d.tag < 1000 || d.tag >= 1500) << d.tag;
}

TEST(LinkTimeline, ParamsChangeAtTheirTime) {
  DirectionConfig config;
  config.params = ParseNetemSpec("delay 10ms").value();
  TimelineEvent change;
  change.kind = TimelineEvent::Kind::kSetParams;
  change.at = Duration::Seconds(1);
  change.params = ParseNetemSpec("delay 50ms").value();
  TimelineEvent loss;
  loss.kind = TimelineEvent::Kind::kSetParams;
  loss.at = Duration::Seconds(2);
  loss.params = ParseNetemSpec("loss 100%").value();
  config.timeline = {loss, change};  // any order
  Link link(config, 1, Time::Zero());

  std::vector<Delivery> out = Drive(link, 3000, kMs);
  ASSERT_EQ(out.size(), 2000u);
  for (const Delivery& d : out) {
    const Duration delay = d.at - (Time::Zero() + kMs * static_cast<int64_t>(d.tag));
    EXPECT_EQ(delay, d.tag < 1000 ? kMs * 10 : kMs * 50) << d.tag;
  }
  EXPECT_EQ(link.stats().Dropped(ImpairmentDrop::kLoss), 1000u);
  EXPECT_EQ(link.current_params().loss.probability, 1.0);
}

TEST(LinkRate, ThroughputMatchesRateWhenOfferedTwice) {
  // 1250-byte packets = 1 ms each at 10 Mbit/s; offered every 0.5 ms.
  Link link = MakeLink("rate 10mbit limit 50");
  std::vector<Delivery> out = Drive(link, 20'000, Duration::Microseconds(500), 1250);
  ASSERT_GT(out.size(), 1000u);
  const double seconds = (out.back().at - out.front().at).ToSecondsF();
  const double bits = static_cast<double>(out.size() - 1) * 1250 * 8;
  EXPECT_NEAR(bits / seconds, 10e6, 10e6 * 0.02);
  EXPECT_NEAR(static_cast<double>(link.stats().Dropped(ImpairmentDrop::kQueueFull)), 10'000, 200);
  EXPECT_EQ(link.stats().Dropped(ImpairmentDrop::kQueueFull) + out.size(), 20'000u);
  Duration worst = Duration::Zero();
  for (const Delivery& d : out) {
    worst = std::max(
        worst, d.at - (Time::Zero() + Duration::Microseconds(500) * static_cast<int64_t>(d.tag)));
  }
  // At most `limit` packets ahead, 1 ms each.
  EXPECT_LE(worst, kMs * 50);
  EXPECT_GE(worst, kMs * 48);
}

TEST(LinkRate, ByteLimitAndOverhead) {
  // 1000 + 250 overhead bytes = 1 ms at 10 Mbit/s; byte limit = 10 packets.
  Link link = MakeLink("rate 10mbit 250 bytelimit 10000");
  std::vector<Delivery> out = Drive(link, 1000, Duration::Microseconds(100), 1000);
  Duration worst = Duration::Zero();
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].at - out[i - 1].at, kMs);
  }
  for (const Delivery& d : out) {
    worst = std::max(
        worst, d.at - (Time::Zero() + Duration::Microseconds(100) * static_cast<int64_t>(d.tag)));
  }
  EXPECT_LE(worst, kMs * 10);
  EXPECT_GT(link.stats().Dropped(ImpairmentDrop::kQueueFull), 800u);
}

TEST(LinkRate, UnderloadedLinkOnlyAddsSerialisation) {
  Link link = MakeLink("delay 5ms rate 10mbit");
  std::vector<Delivery> out = Drive(link, 100, kMs * 2, 1250);
  ASSERT_EQ(out.size(), 100u);
  for (const Delivery& d : out) {
    EXPECT_EQ(d.at - (Time::Zero() + kMs * 2 * static_cast<int64_t>(d.tag)), kMs * 6);
  }
}

std::vector<Delivery> Trace(uint64_t seed) {
  Link link = MakeLink(
      "delay 20ms 5ms 25% loss 5% 25% duplicate 2% corrupt 2% reorder 5% rate 20mbit", seed);
  return Drive(link, 5000, Duration::Microseconds(700), 200);
}

bool SameTrace(const std::vector<Delivery>& a, const std::vector<Delivery>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].at != b[i].at || a[i].tag != b[i].tag || a[i].data != b[i].data) return false;
  }
  return true;
}

TEST(LinkDeterminism, SameSeedSameTraceDifferentSeedDifferent) {
  EXPECT_TRUE(SameTrace(Trace(42), Trace(42)));
  EXPECT_FALSE(SameTrace(Trace(42), Trace(43)));
}

}  // namespace
}  // namespace hitless::netem
