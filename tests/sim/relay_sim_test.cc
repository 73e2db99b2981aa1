// The relay core over the simulator: a publishing caller -> Relay -> calling
// receivers, each hop its own impaired link; access refusals; a chain of
// two relays; a publisher process restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "relay/relay.h"
#include "transport/session/connection.h"

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

// A hitless-send or hitless-recv process: a calling Connection on one port.
class End final : public sim::Node, public session::DatagramSink, public session::MediaSink {
 public:
  End(Simulator& sim, ConnectionConfig config) : sim_(sim), config_(std::move(config)) {
    self_ = sim.AddNode(this);
  }
  void Open(uint64_t seed) {
    config_.seed = seed;
    auto c = Connection::Create(config_, sim_.now(), this, this);
    ASSERT_TRUE(c.ok()) << c.status();
    connection = *std::move(c);
    sim_.Wake(self_);
  }
  void Kill() { connection.reset(); }
  void StartMedia(uint64_t bitrate, Duration duration) {
    media_interval_ = Duration::Nanoseconds(static_cast<int64_t>(1316 * 8e9 / bitrate));
    media_start_ = sim_.now() - *media_interval_ * static_cast<int64_t>(media_sent);
    media_end_ = sim_.now() + duration;
    sim_.Wake(self_);
  }
  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    if (!connection) return;
    std::vector<uint8_t> reply(kMaxDatagramSize);
    const uint8_t source[1] = {static_cast<uint8_t>(sim_.peer_port(port))};
    const DatagramResult r = connection->OnDatagram(d, source, now, reply);
    if (r.reply_size > 0) SendDatagram(std::span<const uint8_t>(reply).first(r.reply_size), 0);
  }
  void OnWakeup(Time now) override {
    if (!connection) return;
    while (NextMedia() && *NextMedia() <= now) {
      std::vector<uint8_t> payload(1316);
      teststream::WriteDatagram(payload, 1, media_sent, *NextMedia());
      ++media_sent;
      connection->OnMedia(payload, now);
    }
    if (const auto t = connection->NextWakeup(); t && *t <= now) connection->OnTimer(now);
  }
  std::optional<Time> NextWakeup() const override {
    auto t = connection ? connection->NextWakeup() : std::nullopt;
    if (const auto m = NextMedia()) t = t ? std::min(*t, *m) : *m;
    return t;
  }
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    sim_.Send(self_, port, std::vector<uint8_t>(d.begin(), d.end()));
  }
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }
  std::optional<Time> NextMedia() const {
    if (!media_interval_ || !connection) return std::nullopt;
    const Time t = media_start_ + *media_interval_ * static_cast<int64_t>(media_sent);
    return t < media_end_ ? std::optional<Time>(t) : std::nullopt;
  }
  NodeId id() const { return self_; }

  PortId port = -1;
  std::unique_ptr<Connection> connection;
  teststream::Checker checker;
  uint64_t media_sent = 0;

 private:
  Simulator& sim_;
  NodeId self_ = -1;
  ConnectionConfig config_;
  std::optional<Duration> media_interval_;
  Time media_start_, media_end_;
};

// A relay process: the core on as many ports as it has peers; a peer's
// address is the one byte of our port it talks to. Upstream i sends from
// upstream_ports[i].
class RelayNode final : public sim::Node, public RelayIo {
 public:
  RelayNode(Simulator& sim, RelayConfig config) : sim_(sim), config_(std::move(config)) {
    self_ = sim.AddNode(this);
  }
  void Open() {
    auto r = Relay::Create(config_, sim_.now(), this);
    ASSERT_TRUE(r.ok()) << r.status();
    relay = *std::move(r);
    for (const UpstreamConfig& u : upstreams) ASSERT_TRUE(relay->AddUpstream(u, sim_.now()).ok());
    sim_.Wake(self_);
  }
  void OnReceive(PortId port, std::span<const uint8_t> d, Time now) override {
    if (!relay) return;
    const uint8_t source[1] = {static_cast<uint8_t>(port)};
    for (size_t i = 0; i < upstream_ports.size(); ++i) {
      if (upstream_ports[i] == port) {
        relay->OnUpstreamDatagram(i, d, source, now);
        return;
      }
    }
    relay->OnDatagram(d, source, now);
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
  void SendUpstream(size_t index, std::span<const uint8_t> d) override {
    sim_.Send(self_, upstream_ports[index], std::vector<uint8_t>(d.begin(), d.end()));
  }
  NodeId id() const { return self_; }

  std::unique_ptr<Relay> relay;
  std::vector<UpstreamConfig> upstreams;
  std::vector<PortId> upstream_ports;

 private:
  Simulator& sim_;
  NodeId self_ = -1;
  RelayConfig config_;
};

ConnectionConfig Caller(MediaDirection direction, Duration latency, const char* stream = "match1") {
  ConnectionConfig c;
  c.role = Role::kCaller;
  c.direction = direction;
  c.stream_id = stream;
  c.latency = latency;
  return c;
}

RelayConfig OpenRelay(Duration latency) {
  RelayConfig c;
  c.latency = latency;
  c.cookie_secret.fill(3);
  return c;
}

// Connects an End to a relay node with `spec` both ways.
void Link(Simulator& sim, End& end, RelayNode& relay, const char* spec) {
  end.port = sim.Connect(end.id(), relay.id(), Spec(spec), Spec(spec)).first;
}

struct FanOut {
  // sender -> relay -> receivers; loss `specs[i]` on receiver i's hop.
  FanOut(std::vector<const char*> specs, Duration latency, uint64_t seed = 21)
      : sim(seed),
        sender(sim, Caller(MediaDirection::kSend, latency)),
        relay(sim, OpenRelay(latency)) {
    Link(sim, sender, relay, "delay 20ms loss 5%");
    for (size_t i = 0; i < specs.size(); ++i) {
      receivers.push_back(std::make_unique<End>(sim, Caller(MediaDirection::kReceive, latency)));
      Link(sim, *receivers.back(), relay, specs[i]);
    }
    relay.Open();
    for (size_t i = 0; i < receivers.size(); ++i) receivers[i]->Open(100 + i);
    sim.RunFor(Duration::Milliseconds(500));  // subscribers first: none misses the start
    sender.Open(7);
    sim.RunFor(Duration::Milliseconds(500));
  }
  Simulator sim;
  End sender;
  RelayNode relay;
  std::vector<std::unique_ptr<End>> receivers;
};

TEST(RelaySimTest, ThreeSubscribersAtFivePercentEachHopLoseNothing) {
  FanOut f({"delay 20ms loss 5%", "delay 20ms loss 5%", "delay 20ms loss 5%"},
           Duration::Milliseconds(300));
  ASSERT_EQ(f.sender.connection->state(), ConnectionState::kEstablished);
  f.sender.StartMedia(4'000'000, Duration::Seconds(20));
  f.sim.RunFor(Duration::Seconds(21));
  ASSERT_GT(f.sender.media_sent, 7000u);
  const StreamStats* s = f.relay.relay->StreamStatsOf("match1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->packets_in, f.sender.media_sent);
  // Payloads are kept once, in the stream's ring: the hops keep none.
  EXPECT_EQ(s->ring_rejected, 0u);
  for (const session::SenderSession* hop : f.relay.relay->Subscribers("match1")) {
    EXPECT_EQ(hop->buffer_memory_bytes(), 0u);
    EXPECT_GT(hop->stats().retransmitted, 0u);
    EXPECT_EQ(hop->stats().shared_missing, 0u);
  }
  for (size_t i = 0; i < f.receivers.size(); ++i) {
    const End& r = *f.receivers[i];
    EXPECT_EQ(r.checker.missing(f.sender.media_sent), 0u) << "receiver " << i;
    EXPECT_EQ(r.checker.unique(), f.sender.media_sent) << "receiver " << i;
    // The end-to-end budget: each packet plays at origin input + latency.
    EXPECT_NEAR(r.checker.min_delay().ToMillisecondsF(), 300, 3) << i;
    EXPECT_NEAR(r.checker.max_delay().ToMillisecondsF(), 300, 3) << i;
    ASSERT_NE(r.connection->receiver(), nullptr);
    EXPECT_GT(r.connection->receiver()->stats().retransmissions_received, 0u);
  }
  std::printf("relay fan-out: %llu packets, relay in %llu (late fills %llu), dup %llu\n",
              static_cast<unsigned long long>(f.sender.media_sent),
              static_cast<unsigned long long>(s->packets_in),
              static_cast<unsigned long long>(s->late_in),
              static_cast<unsigned long long>(s->duplicates));
}

// A fourth subscriber behind a 30%-loss hop suffers alone: the other three
// see exactly what they saw without it, retransmissions included.
TEST(RelaySimTest, ALossySubscriberDoesNotChangeTheOthers) {
  const std::vector<const char*> three = {"delay 20ms loss 5%", "delay 20ms loss 5%",
                                          "delay 20ms loss 5%"};
  std::vector<const char*> four = three;
  four.push_back("delay 20ms loss 30%");
  FanOut a(three, Duration::Milliseconds(300));
  FanOut b(four, Duration::Milliseconds(300));
  for (FanOut* f : {&a, &b}) {
    f->sender.StartMedia(4'000'000, Duration::Seconds(10));
    f->sim.RunFor(Duration::Seconds(11));
  }
  for (size_t i = 0; i < three.size(); ++i) {
    const auto* ra = a.receivers[i]->connection->receiver();
    const auto* rb = b.receivers[i]->connection->receiver();
    // Up to the highest each got (a lost last packet of a stream that
    // ends is revealed by no later one: a property of every NACK scheme).
    for (const FanOut* f : {&a, &b}) {
      const auto& c = f->receivers[i]->checker;
      EXPECT_EQ(c.missing(), 0u) << i;
      EXPECT_GE(c.highest().value_or(0) + 2, f->sender.media_sent) << i;
    }
    EXPECT_EQ(ra->stats().retransmissions_received, rb->stats().retransmissions_received) << i;
    EXPECT_EQ(ra->stats().nacks_sent, rb->stats().nacks_sent) << i;
    EXPECT_EQ(ra->stats().delivered, rb->stats().delivered) << i;
  }
  const End& lossy = *b.receivers[3];
  std::printf("30%%-loss subscriber: missing %llu of %llu\n",
              static_cast<unsigned long long>(lossy.checker.missing(b.sender.media_sent)),
              static_cast<unsigned long long>(b.sender.media_sent));
}

// The first packets of the stream lost on the relay -> receiver hop before
// the receiver saw any: it cannot know they exist (its loss tracking starts
// at the first it gets), so the hop resends them when the first REPORT's
// counts show they never arrived.
TEST(RelaySimTest, FirstPacketsLostBeforeTheReceiverSawAnyAreResent) {
  Simulator sim(5);
  End sender(sim, Caller(MediaDirection::kSend, Duration::Milliseconds(300)));
  RelayNode relay(sim, OpenRelay(Duration::Milliseconds(300)));
  End receiver(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(300)));
  Link(sim, sender, relay, "delay 20ms");
  // Relay -> receiver: everything that enters in [1010, 1030) ms is lost:
  // the first packets of a stream that starts at 1000 ms.
  netem::DirectionConfig down = Spec("delay 20ms");
  netem::TimelineEvent outage;
  outage.kind = netem::TimelineEvent::Kind::kOutage;
  outage.at = Duration::Milliseconds(1010);
  outage.duration = Duration::Milliseconds(20);
  down.timeline.push_back(outage);
  receiver.port = sim.Connect(receiver.id(), relay.id(), Spec("delay 20ms"), down).first;
  relay.Open();
  receiver.Open(100);
  sim.RunFor(Duration::Milliseconds(500));
  sender.Open(7);
  sim.RunFor(Duration::Milliseconds(500));
  ASSERT_EQ(sim.now(), Time::Zero() + Duration::Seconds(1));
  sender.StartMedia(4'000'000, Duration::Seconds(3));
  sim.RunFor(Duration::Seconds(4));
  const auto hops = relay.relay->Subscribers("match1");
  ASSERT_EQ(hops.size(), 1u);
  std::printf("first packets lost on the hop: resent %llu, receiver missing %llu of %llu\n",
              static_cast<unsigned long long>(hops[0]->stats().leading_resent),
              static_cast<unsigned long long>(receiver.checker.missing(sender.media_sent)),
              static_cast<unsigned long long>(sender.media_sent));
  EXPECT_GE(hops[0]->stats().leading_resent, 3u);
  EXPECT_EQ(receiver.checker.missing(sender.media_sent), 0u);
  EXPECT_EQ(receiver.checker.unique(), sender.media_sent);
}

TEST(RelaySimTest, SecretsAndUnknownStreamsAreRefusedWithAReason) {
  Simulator sim(4);
  RelayConfig rc = OpenRelay(Duration::Milliseconds(200));
  rc.open = false;
  rc.streams = {StreamConfig{
      .id = "match1", .publish_secret = "pub", .subscribe_secret = "sub", .latency = {}}};
  RelayNode relay(sim, rc);
  ConnectionConfig wrong = Caller(MediaDirection::kReceive, Duration::Milliseconds(200));
  wrong.secret = "nope";
  End bad(sim, wrong);
  End unknown(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(200), "other"));
  ConnectionConfig right = Caller(MediaDirection::kReceive, Duration::Milliseconds(200));
  right.secret = "sub";
  End good(sim, right);
  ConnectionConfig pub_with_sub = Caller(MediaDirection::kSend, Duration::Milliseconds(200));
  pub_with_sub.secret = "sub";  // the subscribe secret does not open the publish side
  End pub(sim, pub_with_sub);
  for (End* e : {&bad, &unknown, &good, &pub}) Link(sim, *e, relay, "delay 10ms");
  relay.Open();
  uint64_t seed = 1;
  for (End* e : {&bad, &unknown, &good, &pub}) e->Open(seed++);
  sim.RunFor(Duration::Seconds(2));
  EXPECT_EQ(bad.connection->final_reject(), kRejectUnauthorized);
  EXPECT_EQ(unknown.connection->final_reject(), kRejectUnknownStream);
  EXPECT_EQ(pub.connection->final_reject(), kRejectUnauthorized);
  EXPECT_EQ(good.connection->state(), ConnectionState::kEstablished);
  const RelayStats& st = relay.relay->stats();
  EXPECT_EQ(st.refused[static_cast<size_t>(RefuseReason::kUnauthorized)], 2u);
  EXPECT_EQ(st.refused[static_cast<size_t>(RefuseReason::kUnknownStream)], 1u);
  EXPECT_EQ(relay.relay->session_count(), 1u);
}

// sender -> relay A -> relay B -> receiver, each hop RTT 80 ms with 10% loss
// both ways. End to end that is a 240 ms round trip with 27% loss: at
// 600 ms ARQ alone has about two rounds and loses packets; hop by hop every
// repair round is 80 ms. The chain is not lossless either: a relay repairs
// its ingest until the end-to-end deadline, so a packet repaired there in
// the last round can no longer cross the hops after it (over 12 seeds of
// 60 s: 17 of 137k packets). Every loss must be one the receiver counts.
TEST(RelaySimTest, AChainRecoversHopByHopWhereEndToEndArqCannot) {
  const Duration latency = Duration::Milliseconds(600);
  const char* hop = "delay 40ms loss 10%";
  uint64_t chain_missing = 0;
  uint64_t sent = 0;
  {
    Simulator sim(9);
    End sender(sim, Caller(MediaDirection::kSend, latency));
    RelayNode a(sim, OpenRelay(latency));
    RelayNode b(sim, OpenRelay(latency));
    End receiver(sim, Caller(MediaDirection::kReceive, latency));
    Link(sim, sender, a, hop);
    b.upstream_ports.push_back(sim.Connect(b.id(), a.id(), Spec(hop), Spec(hop)).first);
    b.upstreams.push_back(
        UpstreamConfig{.name = "a", .stream_id = "match1", .secret = "", .latency = latency});
    Link(sim, receiver, b, hop);
    a.Open();
    b.Open();
    receiver.Open(3);
    sim.RunFor(Duration::Seconds(1));
    sender.Open(4);
    sim.RunFor(Duration::Seconds(1));
    sender.StartMedia(2'000'000, Duration::Seconds(60));
    sim.RunFor(Duration::Seconds(61));
    sent = sender.media_sent;
    chain_missing = receiver.checker.missing(sent);
    EXPECT_EQ(receiver.connection->receiver()->stats().lost, chain_missing);
    EXPECT_NEAR(receiver.checker.max_delay().ToMillisecondsF(), 600, 3);
  }
  uint64_t direct_missing = 0;
  {
    Simulator sim(9);
    End sender(sim, Caller(MediaDirection::kSend, latency));
    RelayNode a(sim, OpenRelay(latency));
    End receiver(sim, Caller(MediaDirection::kReceive, latency));
    // One hop with the whole path's delay and loss: 120 ms each way, 27.1%.
    Link(sim, sender, a, "delay 1ms");
    Link(sim, receiver, a, "delay 119ms loss 27.1%");
    a.Open();
    receiver.Open(3);
    sim.RunFor(Duration::Seconds(1));
    sender.Open(4);
    sim.RunFor(Duration::Seconds(1));
    sender.StartMedia(2'000'000, Duration::Seconds(60));
    sim.RunFor(Duration::Seconds(61));
    direct_missing = receiver.checker.missing(sender.media_sent);
  }
  std::printf(
      "chain of 3 hops (10%% loss, 80 ms RTT each) at 600 ms: missing %llu of %llu; "
      "the same path end to end: missing %llu\n",
      static_cast<unsigned long long>(chain_missing), static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(direct_missing));
  EXPECT_LE(chain_missing, 4u);
  EXPECT_GE(direct_missing, 3 * chain_missing + 5);
}

// The publisher process dies and a new one (new session, new sequence and
// clock) takes over: subscribers never reconnect, and lose only what was
// sent while no publisher was up.
TEST(RelaySimTest, PublisherRestartKeepsSubscribersAndLosesOnlyTheOutage) {
  FanOut f({"delay 20ms loss 2%", "delay 20ms loss 2%"}, Duration::Milliseconds(300));
  f.sender.StartMedia(2'000'000, Duration::Seconds(5));
  f.sim.RunFor(Duration::Seconds(5));
  const uint64_t before = f.sender.media_sent;
  f.sender.Kill();
  f.sim.RunFor(Duration::Seconds(2));
  // A new process: its own random sequence and clock; the test stream's
  // numbering carries on so the checkers see the outage as a gap.
  f.sender.Open(99);
  f.sim.RunFor(Duration::Milliseconds(500));
  ASSERT_EQ(f.sender.connection->state(), ConnectionState::kEstablished);
  const uint64_t resumed_at = f.sender.media_sent;
  EXPECT_EQ(resumed_at, before);
  f.sender.StartMedia(2'000'000, Duration::Seconds(5));
  f.sim.RunFor(Duration::Seconds(6));
  const StreamStats* s = f.relay.relay->StreamStatsOf("match1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->remaps, 1u);
  for (const auto& r : f.receivers) {
    EXPECT_EQ(r->connection->stats().sessions, 1u);  // never reconnected
    // What was in flight when the publisher died (not yet repaired to the
    // relay) is truly lost; nothing else.
    const uint64_t missing = r->checker.missing(f.sender.media_sent);
    std::printf("publisher restart: subscriber missing %llu of %llu\n",
                static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(f.sender.media_sent));
    EXPECT_LE(missing, 3u);
    EXPECT_GT(r->checker.highest().value_or(0), before + 900);
  }
}

}  // namespace
}  // namespace hitless::relay

namespace hitless::relay {
namespace {

// SIGHUP: a stream that stays keeps its sessions untouched; a removed one's
// sessions are told SHUTDOWN and evicted; a new secret binds new handshakes
// only. Shutdown empties the relay.
TEST(RelaySimTest, ReloadKeepsUnchangedStreamsAndEvictsRemovedOnes) {
  Simulator sim(6);
  RelayConfig rc = OpenRelay(Duration::Milliseconds(200));
  rc.open = false;
  rc.streams = {
      StreamConfig{.id = "match1", .publish_secret = "", .subscribe_secret = "", .latency = {}},
      StreamConfig{.id = "match2", .publish_secret = "", .subscribe_secret = "", .latency = {}}};
  RelayNode relay(sim, rc);
  End keep(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(200), "match1"));
  End gone(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(200), "match2"));
  for (End* e : {&keep, &gone}) Link(sim, *e, relay, "delay 5ms");
  relay.Open();
  keep.Open(1);
  gone.Open(2);
  sim.RunFor(Duration::Seconds(1));
  ASSERT_EQ(relay.relay->session_count(), 2u);
  const uint32_t kept_id = keep.connection->negotiated()->session_id;

  RelayConfig next = rc;
  next.streams = {
      StreamConfig{.id = "match1", .publish_secret = "", .subscribe_secret = "new", .latency = {}}};
  ASSERT_TRUE(relay.relay->Reload(next, sim.now()).ok());
  sim.RunFor(Duration::Milliseconds(200));
  EXPECT_EQ(relay.relay->stats().evicted[static_cast<size_t>(EvictReason::kReload)], 1u);
  EXPECT_EQ(relay.relay->session_count(), 1u);
  EXPECT_EQ(keep.connection->negotiated()->session_id, kept_id);  // untouched
  EXPECT_EQ(relay.relay->stream_count(), 1u);

  // A new subscriber without the new secret is refused.
  End late(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(200), "match1"));
  Link(sim, late, relay, "delay 5ms");
  late.Open(3);
  sim.RunFor(Duration::Seconds(1));
  EXPECT_EQ(late.connection->final_reject(), kRejectUnauthorized);

  RelayConfig bad = next;
  bad.streams.push_back(bad.streams[0]);  // listed twice
  EXPECT_FALSE(relay.relay->Reload(bad, sim.now()).ok());
  EXPECT_EQ(relay.relay->session_count(), 1u);

  relay.relay->Shutdown(sim.now());
  EXPECT_EQ(relay.relay->session_count(), 0u);
  EXPECT_EQ(relay.relay->stats().evicted[static_cast<size_t>(EvictReason::kRelayStop)], 1u);
  sim.RunFor(Duration::Milliseconds(100));
  EXPECT_GE(keep.connection->stats().shutdowns_received, 1u);
}

// The last packets before the input stops, lost on a hop: no later packet
// reveals them to the receiver, so the hop's sender (hitless-send, or the
// relay's subscriber hop) resends them when a REPORT a round trip later
// still does not count them. Without it the stream's tail is lost for good
// (an encoder that stops or restarts behind an SRT input).
struct TailRun {
  uint64_t sender_resent = 0;
  uint64_t hop_resent = 0;
  uint64_t unique = 0;
  uint64_t missing = 0;
  uint64_t sent = 0;
};

// Media runs 1000..4000 ms over two 20 ms hops; each hop loses what enters
// it in [from, from + length) ms (length 0: nothing).
TailRun RunWithTailOutages(int64_t up_from, int64_t up_length, int64_t down_from,
                           int64_t down_length) {
  Simulator sim(6);
  End sender(sim, Caller(MediaDirection::kSend, Duration::Milliseconds(300)));
  RelayNode relay(sim, OpenRelay(Duration::Milliseconds(300)));
  End receiver(sim, Caller(MediaDirection::kReceive, Duration::Milliseconds(300)));
  const auto outage_at = [](int64_t from_ms, int64_t length_ms) {
    netem::DirectionConfig d = Spec("delay 20ms");
    if (length_ms == 0) return d;
    netem::TimelineEvent outage;
    outage.kind = netem::TimelineEvent::Kind::kOutage;
    outage.at = Duration::Milliseconds(from_ms);
    outage.duration = Duration::Milliseconds(length_ms);
    d.timeline.push_back(outage);
    return d;
  };
  sender.port =
      sim.Connect(sender.id(), relay.id(), outage_at(up_from, up_length), Spec("delay 20ms")).first;
  receiver.port =
      sim.Connect(receiver.id(), relay.id(), Spec("delay 20ms"), outage_at(down_from, down_length))
          .first;
  relay.Open();
  receiver.Open(100);
  sim.RunFor(Duration::Milliseconds(500));
  sender.Open(7);
  sim.RunFor(Duration::Milliseconds(500));
  sender.StartMedia(4'000'000, Duration::Seconds(3));
  sim.RunFor(Duration::Seconds(4));
  TailRun run;
  const auto hops = relay.relay->Subscribers("match1");
  if (hops.size() == 1) run.hop_resent = hops[0]->stats().trailing_resent;
  run.sender_resent = sender.connection->sender()->stats().trailing_resent;
  run.unique = receiver.checker.unique();
  run.missing = receiver.checker.missing(sender.media_sent);
  run.sent = sender.media_sent;
  std::printf(
      "tail lost (up %lld+%lld ms, down %lld+%lld ms): sender resent %llu, hop resent "
      "%llu, receiver got %llu of %llu\n",
      static_cast<long long>(up_from), static_cast<long long>(up_length),
      static_cast<long long>(down_from), static_cast<long long>(down_length),
      static_cast<unsigned long long>(run.sender_resent),
      static_cast<unsigned long long>(run.hop_resent), static_cast<unsigned long long>(run.unique),
      static_cast<unsigned long long>(run.sent));
  return run;
}

TEST(RelaySimTest, LastPacketsLostOnTheFirstHopAreResentBySender) {
  const TailRun run = RunWithTailOutages(3995, 15, 0, 0);
  EXPECT_GE(run.sender_resent, 1u);
  EXPECT_EQ(run.missing, 0u);
  EXPECT_EQ(run.unique, run.sent);
}

// The stream's first packets leave in one burst (an encoder's first write)
// and jitter reorders them: the relay's first arrival is not the first
// packet, and some of the burst is lost. Those above the earliest arrival
// are tracked once it comes (LossTracker's start moves down) and NACKed;
// those below it are resent by the sender, once its first REPORT settles,
// as last-chance copies (nobody can ask for them again).
uint64_t FirstBurstMissing(uint64_t seed, int64_t lost_from_us, int64_t lost_us) {
  const Duration latency = Duration::Milliseconds(400);
  Simulator sim(seed);
  End sender(sim, Caller(MediaDirection::kSend, latency));
  RelayNode relay(sim, OpenRelay(latency));
  End receiver(sim, Caller(MediaDirection::kReceive, latency));
  netem::DirectionConfig up = Spec("delay 30ms 10ms");
  netem::TimelineEvent outage;
  outage.kind = netem::TimelineEvent::Kind::kOutage;
  outage.at = Duration::Seconds(1) + Duration::Microseconds(lost_from_us);
  outage.duration = Duration::Microseconds(lost_us);
  up.timeline.push_back(outage);
  sender.port = sim.Connect(sender.id(), relay.id(), up, Spec("delay 30ms 10ms")).first;
  Link(sim, receiver, relay, "delay 1ms");
  relay.Open();
  receiver.Open(100);
  sim.RunFor(Duration::Milliseconds(500));
  sender.Open(7);
  sim.RunFor(Duration::Milliseconds(500));
  // 24 packets in 0.6 ms, then a 4 Mbit/s stream.
  sender.StartMedia(420'000'000, Duration::Microseconds(600));
  sim.RunFor(Duration::Microseconds(600));
  sender.StartMedia(4'000'000, Duration::Seconds(2));
  sim.RunFor(Duration::Seconds(3));
  EXPECT_GE(sender.media_sent, 700u);
  EXPECT_EQ(receiver.checker.unique() + receiver.checker.missing(sender.media_sent),
            sender.media_sent);
  return receiver.checker.missing(sender.media_sent);
}

TEST(RelaySimTest, FirstPacketsReorderedAndLostInTheOpeningBurstAreRepaired) {
  uint64_t missing = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    // The 1st and the 10th-11th packets of the burst.
    missing += FirstBurstMissing(seed, 0, 20);
    missing += FirstBurstMissing(seed, 230, 40);
  }
  EXPECT_EQ(missing, 0u);
}

TEST(RelaySimTest, LastPacketsLostOnTheRelayHopAreResentByTheHop) {
  const TailRun run = RunWithTailOutages(0, 0, 4016, 20);
  EXPECT_GE(run.hop_resent, 1u);
  EXPECT_EQ(run.missing, 0u);
  EXPECT_EQ(run.unique, run.sent);
}

}  // namespace
}  // namespace hitless::relay
