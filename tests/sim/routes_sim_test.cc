// Two routes through two relays, over the simulator: a publisher with one
// Connection per relay (ConnectionConfig::origin: the input numbered once),
// two relays, and a receiver subscribed at both whose routes merge in a
// RouteMerge. Either relay dying (and coming back) mid-stream loses nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "relay/relay.h"
#include "transport/session/connection.h"
#include "transport/session/route_merge.h"

namespace hitless::relay {
namespace {

using session::Connection;
using session::ConnectionConfig;
using session::ConnectionState;
using session::DatagramResult;
using session::MediaDirection;
using session::Role;
using sim::NodeId;
using sim::PortId;
using sim::Simulator;

netem::DirectionConfig Spec(const char* spec) {
  return netem::DirectionConfig{*netem::ParseNetemSpec(spec), {}};
}

// A hitless-send or hitless-recv with one calling Connection per route (its
// own port each), as the apps run them with several routes.
class RoutesEnd final : public sim::Node, public session::MediaSink {
 public:
  RoutesEnd(Simulator& sim, MediaDirection direction, Duration latency, size_t routes)
      : sim_(sim), direction_(direction), latency_(latency) {
    self_ = sim.AddNode(this);
    routes_.resize(routes);
    for (size_t i = 0; i < routes; ++i) {
      routes_[i] = std::make_unique<Route>();
      routes_[i]->owner = this;
      routes_[i]->index = i;
    }
  }
  void Open(uint64_t seed) {
    ConnectionConfig::StreamOrigin origin{.initial_sequence = 0xfffff000u, .epoch = sim_.now()};
    for (auto& r : routes_) {
      ConnectionConfig c;
      c.role = Role::kCaller;
      c.direction = direction_;
      c.stream_id = "match1";
      c.latency = latency_;
      c.seed = seed + r->index;
      if (direction_ == MediaDirection::kSend) c.origin = origin;
      if (direction_ == MediaDirection::kReceive) c.tap = r.get();
      auto made = Connection::Create(c, sim_.now(), r.get(), &discard_);
      ASSERT_TRUE(made.ok()) << made.status();
      r->connection = *std::move(made);
    }
    sim_.Wake(self_);
  }
  void StartMedia(uint64_t bitrate, Duration duration) {
    media_interval_ = Duration::Nanoseconds(static_cast<int64_t>(1316 * 8e9 / bitrate));
    media_start_ = sim_.now();
    media_end_ = sim_.now() + duration;
    sim_.Wake(self_);
  }
  void OnReceive(PortId port, std::span<const uint8_t> d, Time now) override {
    for (auto& r : routes_) {
      if (r->port != port) continue;
      std::vector<uint8_t> reply(kMaxDatagramSize);
      const uint8_t source[1] = {static_cast<uint8_t>(sim_.peer_port(port))};
      const DatagramResult result = r->connection->OnDatagram(d, source, now, reply);
      if (result.reply_size > 0) {
        r->SendDatagram(std::span<const uint8_t>(reply).first(result.reply_size), 0);
      }
    }
  }
  void OnWakeup(Time now) override {
    while (NextMedia() && *NextMedia() <= now) {
      std::vector<uint8_t> payload(1316);
      const Time stamp = *NextMedia();
      teststream::WriteDatagram(payload, 1, media_sent, stamp);
      ++media_sent;
      for (auto& r : routes_) r->connection->OnMedia(payload, now, stamp);
    }
    for (auto& r : routes_) {
      if (const auto t = r->connection->NextWakeup(); t && *t <= now) r->connection->OnTimer(now);
    }
    if (merge) {
      if (const auto t = merge->NextWakeup(); t && *t <= now) merge->OnTimer(now);
    }
  }
  std::optional<Time> NextWakeup() const override {
    std::optional<Time> t = NextMedia();
    const auto earliest = [&t](std::optional<Time> u) {
      if (u) t = t ? std::min(*t, *u) : *u;
    };
    for (const auto& r : routes_)
      earliest(r->connection ? r->connection->NextWakeup() : std::nullopt);
    if (merge) earliest(merge->NextWakeup());
    return t;
  }
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }
  void SetPort(size_t route, PortId port) { routes_[route]->port = port; }
  const Connection& connection(size_t route) const { return *routes_[route]->connection; }
  NodeId id() const { return self_; }

  std::optional<session::RouteMerge> merge;
  teststream::Checker checker;
  uint64_t media_sent = 0;

 private:
  struct Route final : session::DatagramSink, session::StreamTap {
    void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
      owner->sim_.Send(owner->self_, port, std::vector<uint8_t>(d.begin(), d.end()));
    }
    void OnStreamPacket(const session::StreamPacket& packet, Time now) override {
      if (!owner->merge) {
        session::RouteMergeConfig config;
        config.latency = owner->latency_;
        config.routes = owner->routes_.size();
        owner->merge.emplace(config, owner);
      }
      const auto* receiver = connection->receiver();
      owner->merge->OnRoutePacket(index, packet,
                                  receiver ? receiver->origin_transit() : Duration::Zero(), now);
      owner->sim_.Wake(owner->self_);
    }
    RoutesEnd* owner = nullptr;
    size_t index = 0;
    PortId port = -1;
    std::unique_ptr<Connection> connection;
  };
  struct Discard final : session::MediaSink {
    void DeliverMedia(std::span<const uint8_t>, Time) override {}
  };

  std::optional<Time> NextMedia() const {
    if (!media_interval_) return std::nullopt;
    const Time t = media_start_ + *media_interval_ * static_cast<int64_t>(media_sent);
    return t < media_end_ ? std::optional<Time>(t) : std::nullopt;
  }

  Simulator& sim_;
  MediaDirection direction_;
  Duration latency_;
  NodeId self_ = -1;
  std::vector<std::unique_ptr<Route>> routes_;
  Discard discard_;
  std::optional<Duration> media_interval_;
  Time media_start_, media_end_;
};

// A relay process that can be killed (its state gone) and restarted.
class RelayNode final : public sim::Node, public RelayIo {
 public:
  RelayNode(Simulator& sim, Duration latency) : sim_(sim) {
    self_ = sim.AddNode(this);
    config_.latency = latency;
    config_.cookie_secret.fill(5);
  }
  void Open() {
    auto r = Relay::Create(config_, sim_.now(), this);
    ASSERT_TRUE(r.ok()) << r.status();
    relay = *std::move(r);
    sim_.Wake(self_);
  }
  void Kill() { relay.reset(); }
  void OnReceive(PortId port, std::span<const uint8_t> d, Time now) override {
    const uint8_t source[1] = {static_cast<uint8_t>(port)};
    if (relay) relay->OnDatagram(d, source, now);
  }
  void OnWakeup(Time now) override {
    if (relay) relay->OnTimer(now);
  }
  std::optional<Time> NextWakeup() const override {
    return relay ? relay->NextWakeup() : std::nullopt;
  }
  void SendTo(std::span<const uint8_t> d, std::span<const uint8_t> peer) override {
    sim_.Send(self_, peer[0], std::vector<uint8_t>(d.begin(), d.end()));
  }
  void SendUpstream(size_t, std::span<const uint8_t>) override {}
  NodeId id() const { return self_; }

  std::unique_ptr<Relay> relay;

 private:
  Simulator& sim_;
  NodeId self_ = -1;
  RelayConfig config_;
};

struct TwoRoutes {
  // publisher -> relays A and B -> receiver, each hop `spec` both ways.
  TwoRoutes(const char* spec_a, const char* spec_b, Duration latency, uint64_t seed = 31)
      : sim(seed),
        sender(sim, MediaDirection::kSend, latency, 2),
        receiver(sim, MediaDirection::kReceive, latency, 2),
        a(sim, latency),
        b(sim, latency) {
    sender.SetPort(0, sim.Connect(sender.id(), a.id(), Spec(spec_a), Spec(spec_a)).first);
    sender.SetPort(1, sim.Connect(sender.id(), b.id(), Spec(spec_b), Spec(spec_b)).first);
    receiver.SetPort(0, sim.Connect(receiver.id(), a.id(), Spec(spec_a), Spec(spec_a)).first);
    receiver.SetPort(1, sim.Connect(receiver.id(), b.id(), Spec(spec_b), Spec(spec_b)).first);
    a.Open();
    b.Open();
    receiver.Open(100);
    sim.RunFor(Duration::Milliseconds(500));
    sender.Open(7);
    sim.RunFor(Duration::Milliseconds(500));
  }
  Simulator sim;
  RoutesEnd sender;
  RoutesEnd receiver;
  RelayNode a;
  RelayNode b;
};

void PrintMerge(const char* what, const TwoRoutes& t) {
  const session::RouteMergeStats& m = t.receiver.merge->stats();
  std::printf(
      "%s: sent %llu, delivered %llu, missing %llu, merge lost %llu late %llu dup %llu, "
      "first copies route A %llu route B %llu, delay %.1f..%.1f ms\n",
      what, static_cast<unsigned long long>(t.sender.media_sent),
      static_cast<unsigned long long>(m.delivered),
      static_cast<unsigned long long>(t.receiver.checker.missing(t.sender.media_sent)),
      static_cast<unsigned long long>(m.lost), static_cast<unsigned long long>(m.late),
      static_cast<unsigned long long>(m.duplicates),
      static_cast<unsigned long long>(m.routes[0].first),
      static_cast<unsigned long long>(m.routes[1].first),
      t.receiver.checker.min_delay().ToMillisecondsF(),
      t.receiver.checker.max_delay().ToMillisecondsF());
}

// Both routes lossy (5% each way on every hop): each route repairs from its
// own relay, the merge takes the first copy, and the output is whole and
// at the budget (the sequence crosses 2^32 on the way: the merge widens the
// wire values itself).
TEST(RoutesSimTest, TwoLossyRoutesMergeWholeAtTheBudget) {
  TwoRoutes t("delay 20ms loss 5%", "delay 35ms loss 5%", Duration::Milliseconds(300));
  ASSERT_EQ(t.sender.connection(0).state(), ConnectionState::kEstablished);
  ASSERT_EQ(t.sender.connection(1).state(), ConnectionState::kEstablished);
  t.sender.StartMedia(4'000'000, Duration::Seconds(10));
  t.sim.RunFor(Duration::Seconds(11));
  ASSERT_TRUE(t.receiver.merge);
  PrintMerge("two lossy routes", t);
  EXPECT_EQ(t.receiver.checker.missing(t.sender.media_sent), 0u);
  EXPECT_EQ(t.receiver.checker.unique(), t.sender.media_sent);
  EXPECT_EQ(t.receiver.checker.duplicates(), 0u);
  EXPECT_EQ(t.receiver.checker.reordered(), 0u);
  EXPECT_NEAR(t.receiver.checker.min_delay().ToMillisecondsF(), 300, 3);
  EXPECT_NEAR(t.receiver.checker.max_delay().ToMillisecondsF(), 300, 3);
  const session::RouteMergeStats& m = t.receiver.merge->stats();
  // Both routes carried the stream, and the copies did merge.
  EXPECT_GT(m.routes[0].first, 0u);
  EXPECT_GT(m.routes[1].first, 0u);
  EXPECT_GT(m.duplicates, t.sender.media_sent / 2);
  // Both relays numbered the stream alike (no remap).
  for (const RelayNode* r : {&t.a, &t.b}) {
    const StreamStats* s = r->relay->StreamStatsOf("match1");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->remaps, 0u);
  }
}

// Relay A killed (its state gone) mid-stream, restarted 8 s later (the
// routes reconnect to it by themselves), then relay B killed: at no point
// does the output lose a packet.
TEST(RoutesSimTest, EitherRelayDyingLosesNothing) {
  TwoRoutes t("delay 20ms loss 2%", "delay 30ms loss 2%", Duration::Milliseconds(500));
  t.sender.StartMedia(4'000'000, Duration::Seconds(30));
  t.sim.RunFor(Duration::Seconds(5));
  t.a.Kill();
  t.sim.RunFor(Duration::Seconds(8));
  t.a.Open();
  t.sim.RunFor(Duration::Seconds(7));  // both routes up again
  EXPECT_EQ(t.receiver.connection(0).state(), ConnectionState::kEstablished);
  EXPECT_EQ(t.sender.connection(0).state(), ConnectionState::kEstablished);
  const uint64_t first_a_before_b_dies = t.receiver.merge->stats().routes[0].first;
  t.b.Kill();
  t.sim.RunFor(Duration::Seconds(11));
  ASSERT_TRUE(t.receiver.merge);
  PrintMerge("relay A killed at 5 s and back at 13 s, relay B killed at 20 s", t);
  EXPECT_EQ(t.receiver.checker.missing(t.sender.media_sent), 0u);
  EXPECT_EQ(t.receiver.checker.unique(), t.sender.media_sent);
  EXPECT_EQ(t.receiver.checker.duplicates(), 0u);
  EXPECT_EQ(t.receiver.checker.reordered(), 0u);
  EXPECT_EQ(t.receiver.merge->stats().lost, 0u);
  EXPECT_NEAR(t.receiver.checker.max_delay().ToMillisecondsF(), 500, 3);
  // Route A carried the stream alone after B died (10 s at 380 packets/s).
  EXPECT_GT(t.receiver.merge->stats().routes[0].first, first_a_before_b_dies + 3500);
  // The restarted relay A took the stream as published (no remap).
  EXPECT_EQ(t.a.relay->StreamStatsOf("match1")->remaps, 0u);
}

}  // namespace
}  // namespace hitless::relay
