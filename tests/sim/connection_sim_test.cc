// Connections (handshake + sessions) over the simulator: a caller publishing
// to a listening receiver, losses on both directions, and restarts of either
// side mid-stream.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "transport/session/connection.h"

namespace hitless::session {
namespace {

using sim::NodeId;
using sim::PortId;
using sim::Simulator;

netem::DirectionConfig Spec(const char* spec) {
  return netem::DirectionConfig{*netem::ParseNetemSpec(spec), {}};
}

// One end: a Connection wired to one simulator port, optionally a CBR media
// source (publisher) and a verifying media sink (receiver).
class End final : public sim::Node, public DatagramSink, public MediaSink {
 public:
  End(Simulator& sim, NodeId self, ConnectionConfig config)
      : sim_(sim), self_(self), config_(std::move(config)) {}

  // A restarted process draws new session ids (production seeds from the OS).
  void Reseed(uint64_t seed) { config_.seed = seed; }
  void Open() {
    auto c = Connection::Create(config_, sim_.now(), this, this);
    ASSERT_TRUE(c.ok()) << c.status();
    connection = *std::move(c);
    sim_.Wake(self_);
  }
  void StartMedia(uint64_t bitrate, Duration duration) {
    media_interval_ = Duration::Nanoseconds(static_cast<int64_t>(1316 * 8e9 / bitrate));
    media_start_ = sim_.now();
    media_end_ = sim_.now() + duration;
    sim_.Wake(self_);
  }

  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    if (!connection) return;  // the process is gone
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
    if (!media_interval_) return std::nullopt;
    const Time t = media_start_ + *media_interval_ * static_cast<int64_t>(media_sent);
    return t < media_end_ ? std::optional<Time>(t) : std::nullopt;
  }

  PortId port = -1;
  std::unique_ptr<Connection> connection;
  teststream::Checker checker;
  uint64_t media_sent = 0;

 private:
  Simulator& sim_;
  NodeId self_;
  ConnectionConfig config_;
  std::optional<Duration> media_interval_;
  Time media_start_, media_end_;
};

struct Pair {
  explicit Pair(const char* impairment, Duration caller_latency = Duration::Milliseconds(200),
                Duration listener_latency = Duration::Milliseconds(240))
      : Pair(impairment, CallerConfig(caller_latency), ListenerConfig(listener_latency)) {}
  Pair(const char* impairment, ConnectionConfig caller_config, ConnectionConfig listener_config)
      : sim(5),
        caller(sim, 0, std::move(caller_config)),
        listener(sim, 1, std::move(listener_config)) {
    EXPECT_EQ(sim.AddNode(&caller), 0);
    EXPECT_EQ(sim.AddNode(&listener), 1);
    const auto [a, b] = sim.Connect(0, 1, Spec(impairment), Spec(impairment));
    caller.port = a;
    listener.port = b;
    listener.Open();
    caller.Open();
  }
  static ConnectionConfig CallerConfig(Duration latency) {
    ConnectionConfig c;
    c.role = Role::kCaller;
    c.direction = MediaDirection::kSend;
    c.stream_id = "match";
    c.latency = latency;
    c.seed = 11;
    return c;
  }
  static ConnectionConfig ListenerConfig(Duration latency) {
    ConnectionConfig c;
    c.role = Role::kListener;
    c.direction = MediaDirection::kReceive;
    c.stream_id = "match";
    c.latency = latency;
    c.seed = 12;
    c.cookie_secret.fill(7);
    return c;
  }
  Simulator sim;
  End caller;
  End listener;
};

TEST(ConnectionSimTest, HandshakeNegotiatesTheLargerLatencyAndCarriesTheStream) {
  Pair p("delay 30ms loss 5%");
  p.sim.RunFor(Duration::Seconds(1));
  ASSERT_EQ(p.caller.connection->state(), ConnectionState::kEstablished);
  ASSERT_EQ(p.listener.connection->state(), ConnectionState::kEstablished);
  EXPECT_EQ(p.caller.connection->negotiated()->latency, Duration::Milliseconds(240));
  EXPECT_EQ(p.listener.connection->negotiated()->latency, Duration::Milliseconds(240));
  p.caller.StartMedia(10'000'000, Duration::Seconds(20));
  p.sim.RunFor(Duration::Seconds(22));
  EXPECT_EQ(p.listener.checker.missing(p.caller.media_sent), 0u);
  EXPECT_EQ(p.listener.checker.unique(), p.caller.media_sent);
  EXPECT_NEAR(p.listener.checker.max_delay().ToMillisecondsF(), 240.0, 1.0);
  EXPECT_EQ(p.caller.connection->stats().sessions, 1u);
}

FecConfig RsOffer(uint16_t k, uint8_t m) {
  FecConfig f;
  f.mode = FecMode::kReedSolomon;
  f.k = k;
  f.m = m;
  f.interleave = 1;
  return f;
}

// The caller offers no FEC: the listener's own choice applies, and the
// publishing caller encodes it.
TEST(ConnectionSimTest, ListenerFecPreferenceAppliesWhenTheCallerOffersNone) {
  ConnectionConfig listener = Pair::ListenerConfig(Duration::Milliseconds(240));
  listener.fec = RsOffer(10, 2);
  Pair p("delay 30ms loss 3%", Pair::CallerConfig(Duration::Milliseconds(200)), listener);
  p.sim.RunFor(Duration::Seconds(1));  // handshake first: media before it is dropped
  p.caller.StartMedia(10'000'000, Duration::Seconds(10));
  p.sim.RunFor(Duration::Seconds(12));
  ASSERT_TRUE(p.caller.connection->negotiated());
  EXPECT_EQ(p.caller.connection->negotiated()->fec, RsOffer(10, 2));
  EXPECT_GT(p.caller.connection->sender()->stats().fec_repairs_sent, 0u);
  EXPECT_GT(p.listener.connection->receiver()->stats().fec_recovered, 0u);
  EXPECT_EQ(p.listener.checker.missing(p.caller.media_sent), 0u);

  // A caller's own offer wins over the listener's preference.
  ConnectionConfig caller = Pair::CallerConfig(Duration::Milliseconds(200));
  caller.fec = RsOffer(20, 4);
  Pair q("delay 30ms", caller, listener);
  q.sim.RunFor(Duration::Seconds(1));
  ASSERT_TRUE(q.listener.connection->negotiated());
  EXPECT_EQ(q.listener.connection->negotiated()->fec, RsOffer(20, 4));
}

// fec=adaptive with arq=off on the caller: negotiated end to end, the
// receiver sends no NACK, FEC alone repairs, and its repair count moved.
TEST(ConnectionSimTest, AdaptiveFecWithoutArqIsNegotiatedAndRepairsAlone) {
  ConnectionConfig caller = Pair::CallerConfig(Duration::Milliseconds(200));
  caller.fec.mode = FecMode::kReedSolomonAdaptive;
  caller.fec.k = 20;
  caller.fec.m = 10;
  caller.fec.interleave = 8;
  caller.arq = false;
  Pair p("delay 30ms loss 3%", caller, Pair::ListenerConfig(Duration::Milliseconds(240)));
  p.sim.RunFor(Duration::Seconds(1));
  p.caller.StartMedia(10'000'000, Duration::Seconds(20));
  p.sim.RunFor(Duration::Seconds(22));
  const SenderSession* sender = p.caller.connection->sender();
  const ReceiverSession* receiver = p.listener.connection->receiver();
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  ASSERT_NE(sender->fec_policy(), nullptr);
  EXPECT_GE(sender->stats().fec_reconfigurations, 1u);
  EXPECT_GT(sender->stats().fec_m, 0);
  EXPECT_EQ(receiver->stats().nacks_sent, 0u);
  EXPECT_EQ(sender->stats().retransmitted, 0u);
  EXPECT_GT(receiver->stats().fec_recovered, 100u);
  // FEC alone at 3%: the target is 1e-5 after the first estimates settle;
  // the first second runs on the 2% prior.
  EXPECT_LE(p.listener.checker.missing(p.caller.media_sent), p.caller.media_sent / 2000);
  std::printf(
      "adaptive without ARQ: m %d k %d, sent %llu, missing %llu, FEC recovered %llu, withheld "
      "%llu, budget %.1f Mbit/s\n",
      sender->stats().fec_m, sender->stats().fec_k,
      static_cast<unsigned long long>(p.caller.media_sent),
      static_cast<unsigned long long>(p.listener.checker.missing(p.caller.media_sent)),
      static_cast<unsigned long long>(receiver->stats().fec_recovered),
      static_cast<unsigned long long>(sender->stats().fec_repairs_withheld),
      sender->budget() && sender->budget()->budget() ? *sender->budget()->budget() * 8e-6 : 0.0);
}

TEST(ConnectionSimTest, ListenerRestartMidStreamIsDetectedAndTheStreamResumes) {
  Pair p("delay 30ms loss 1%");
  p.caller.StartMedia(10'000'000, Duration::Seconds(20));
  p.sim.RunFor(Duration::Seconds(8));
  const uint64_t before = p.listener.checker.unique();
  EXPECT_GT(before, 6000u);
  p.listener.Open();  // the receiving process restarts: all state gone
  p.sim.RunFor(Duration::Seconds(14));
  const auto& stats = p.caller.connection->stats();
  EXPECT_EQ(stats.restarts, 1u);
  EXPECT_EQ(stats.sessions, 2u);
  EXPECT_EQ(p.listener.connection->state(), ConnectionState::kEstablished);
  // After the restart the stream flows again; what is lost is the media
  // offered while the caller re-handshakes (bounded: well under a second).
  const uint64_t missing = p.listener.checker.missing(p.caller.media_sent);
  std::printf(
      "listener restart: %llu datagrams lost across the restart, %llu offered while "
      "not connected\n",
      static_cast<unsigned long long>(missing),
      static_cast<unsigned long long>(stats.media_not_connected));
  EXPECT_GT(p.listener.checker.unique(), before + 10000u);
  EXPECT_LT(missing, 950u);
}

TEST(ConnectionSimTest, CallerRestartReplacesTheListenersSession) {
  Pair p("delay 30ms");
  p.caller.StartMedia(5'000'000, Duration::Seconds(4));
  p.sim.RunFor(Duration::Seconds(2));
  p.caller.Reseed(99);
  p.caller.Open();  // the sending process restarts with a new session id
  p.sim.RunFor(Duration::Seconds(4));
  EXPECT_EQ(p.listener.connection->stats().sessions, 2u);
  EXPECT_EQ(p.listener.connection->stats().restarts, 1u);
  EXPECT_EQ(p.listener.connection->state(), ConnectionState::kEstablished);
}

TEST(ConnectionSimTest, ShutdownRightAfterTheLastPacketLosesNothing) {
  Pair p("delay 30ms");
  p.sim.RunFor(Duration::Seconds(1));
  p.caller.StartMedia(5'000'000, Duration::Seconds(2));
  p.sim.RunFor(Duration::Seconds(2));
  // The sender closes the moment its input ends: what the receiver holds
  // (one latency of media) must still come out.
  p.caller.connection->Close(p.sim.now());
  p.caller.connection.reset();
  p.sim.RunFor(Duration::Seconds(1));
  EXPECT_EQ(p.listener.connection->stats().shutdowns_received, 1u);
  EXPECT_EQ(p.listener.connection->state(), ConnectionState::kListening);
  EXPECT_GT(p.caller.media_sent, 900u);
  EXPECT_EQ(p.listener.checker.missing(p.caller.media_sent), 0u);
  EXPECT_EQ(p.listener.checker.unique(), p.caller.media_sent);
  // The ended session's counters stay readable.
  ASSERT_NE(p.listener.connection->receiver(), nullptr);
  EXPECT_EQ(p.listener.connection->receiver()->stats().delivered, p.caller.media_sent);
}

TEST(ConnectionSimTest, PeerSilenceTimesOutAndTheCallerKeepsCalling) {
  Pair p("delay 10ms");
  p.sim.RunFor(Duration::Seconds(1));
  ASSERT_EQ(p.caller.connection->state(), ConnectionState::kEstablished);
  p.listener.connection.reset();  // the listener vanishes without a word: silence
  p.sim.RunFor(Duration::Seconds(8));
  EXPECT_EQ(p.caller.connection->stats().peer_timeouts, 1u);
  EXPECT_EQ(p.caller.connection->state(), ConnectionState::kHandshaking);
}

}  // namespace
}  // namespace hitless::session
