// The relay core's local legs (relay_local.cc): a local publisher's payloads
// numbered into the stream and fanned out to local readers and hitless
// subscribers; refusals (busy, unknown stream, full); a new publisher
// following on from the stream's sequence; detaching; the stream's latency.
// Hitless callers are real Connections, handshaken in memory with the core;
// the clock is manual.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "relay/relay.h"
#include "transport/session/connection.h"
#include "transport/wire/data.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"

namespace hitless::relay {
namespace {

using session::Connection;
using session::ConnectionConfig;
using session::ConnectionState;
using session::MediaDirection;

std::vector<uint8_t> Payload(int n, size_t size = 1316) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(n * 31 + static_cast<int>(i));
  return p;
}

// A local reader (the daemon's SRT reader): what the stream handed it.
struct Reader final : public LocalSubscriber {
  struct Got {
    int64_t seq;
    int64_t ts_us;
    std::vector<uint8_t> payload;
    bool late;
  };
  void OnStreamPacket(const session::StreamPacket& packet, Duration, Time) override {
    got.push_back({packet.seq, packet.ts_us,
                   std::vector<uint8_t>(packet.payload.begin(), packet.payload.end()),
                   packet.late});
  }
  std::vector<int64_t> Seqs() const {
    std::vector<int64_t> seqs;
    for (const Got& g : got) seqs.push_back(g.seq);
    return seqs;
  }
  std::vector<Got> got;
};

std::vector<int64_t> Range(int64_t first, int64_t count) {
  std::vector<int64_t> seqs;
  for (int64_t s = first; s < first + count; ++s) seqs.push_back(s);
  return seqs;
}

// A hitless-send or hitless-recv process in memory: a calling Connection.
struct Caller final : public session::DatagramSink, public session::MediaSink {
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    to_relay.emplace_back(d.begin(), d.end());
  }
  void DeliverMedia(std::span<const uint8_t> payload, Time) override {
    delivered.emplace_back(payload.begin(), payload.end());
  }
  std::unique_ptr<Connection> connection;
  std::deque<std::vector<uint8_t>> to_relay;
  std::vector<std::vector<uint8_t>> delivered;
};

RelayConfig OpenRelay() {
  RelayConfig c;
  c.latency = Duration::Milliseconds(120);
  c.cookie_secret.fill(3);
  return c;
}

StreamConfig Configured(std::string id, std::optional<Duration> latency = std::nullopt) {
  StreamConfig c;
  c.id = std::move(id);
  c.latency = latency;
  return c;
}

RelayConfig ClosedRelay(std::vector<StreamConfig> streams) {
  RelayConfig c = OpenRelay();
  c.open = false;
  c.streams = std::move(streams);
  return c;
}

class RelayLocalTest : public ::testing::Test, public RelayIo {
 protected:
  void Open(const RelayConfig& config) {
    auto r = Relay::Create(config, now_, this);
    ASSERT_TRUE(r.ok()) << r.status();
    relay_ = *std::move(r);
  }

  // RelayIo: datagrams for the caller at address peer[0].
  void SendTo(std::span<const uint8_t> d, std::span<const uint8_t> peer) override {
    ASSERT_EQ(peer.size(), 1u);
    to_caller_[peer[0]].emplace_back(d.begin(), d.end());
  }
  void SendUpstream(size_t, std::span<const uint8_t>) override {}

  // Starts a hitless caller at address `peer` and handshakes it.
  Caller& Call(uint8_t peer, MediaDirection direction, const std::string& stream) {
    auto& c = callers_[peer];
    c = std::make_unique<Caller>();
    ConnectionConfig config;
    config.direction = direction;
    config.stream_id = stream;
    config.seed = 10 + peer;
    auto connection = Connection::Create(config, now_, c.get(), c.get());
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (connection.ok()) c->connection = *std::move(connection);
    Pump();
    return *c;
  }

  // Moves datagrams both ways until none is in flight.
  void Pump() {
    std::vector<uint8_t> reply(kMaxDatagramSize);
    for (int round = 0; round < 64; ++round) {
      bool moved = false;
      for (auto& [peer, caller] : callers_) {
        const uint8_t source[1] = {peer};
        while (!caller->to_relay.empty()) {
          const std::vector<uint8_t> d = std::move(caller->to_relay.front());
          caller->to_relay.pop_front();
          relay_->OnDatagram(d, source, now_);
          moved = true;
        }
      }
      for (auto& [peer, queue] : to_caller_) {
        const uint8_t source[1] = {0xff};  // the relay
        while (!queue.empty()) {
          const std::vector<uint8_t> d = std::move(queue.front());
          queue.pop_front();
          moved = true;
          const auto it = callers_.find(peer);
          if (it == callers_.end() || !it->second->connection) continue;
          const session::DatagramResult r =
              it->second->connection->OnDatagram(d, source, now_, reply);
          if (r.reply_size > 0) {
            it->second->to_relay.emplace_back(reply.begin(), reply.begin() + r.reply_size);
          }
        }
      }
      if (!moved) return;
    }
  }

  // Runs every timer due in the next `d`, in 5 ms steps.
  void Advance(Duration d) {
    const Time end = now_ + d;
    while (now_ < end) {
      now_ = std::min(end, now_ + Duration::Milliseconds(5));
      relay_->OnTimer(now_);
      for (auto& [peer, caller] : callers_) {
        const auto t = caller->connection ? caller->connection->NextWakeup() : std::nullopt;
        if (t && *t <= now_) caller->connection->OnTimer(now_);
      }
      Pump();
    }
  }

  // Publishes `count` payloads through local publisher `handle`, 1 ms apart.
  void Feed(uint32_t handle, int first, int count) {
    for (int n = first; n < first + count; ++n) {
      relay_->OnLocalMedia(handle, Payload(n), now_);
      now_ += Duration::Milliseconds(1);
    }
  }

  uint64_t Refused(RefuseReason r) const { return relay_->stats().refused[static_cast<size_t>(r)]; }

  Time now_ = Time::Zero() + Duration::Seconds(100);
  std::unique_ptr<Relay> relay_;
  std::map<uint8_t, std::unique_ptr<Caller>> callers_;
  std::map<uint8_t, std::deque<std::vector<uint8_t>>> to_caller_;
};

TEST_F(RelayLocalTest, LocalPublisherReachesLocalReadersInOrderWithItsBytes) {
  Open(OpenRelay());
  Reader early;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &early).ok());
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  std::vector<std::vector<uint8_t>> sent;
  for (int n = 0; n < 5; ++n) {
    sent.push_back(Payload(n, 100 + 300 * static_cast<size_t>(n)));
    relay_->OnLocalMedia(*publisher, sent.back(), now_);
    now_ += Duration::Milliseconds(2);
  }
  Reader late;  // joins mid-stream: from the next packet on
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &late).ok());
  sent.push_back(Payload(5, kMaxDataPayload));
  relay_->OnLocalMedia(*publisher, sent.back(), now_);

  EXPECT_EQ(early.Seqs(), Range(0, 6));
  for (size_t i = 0; i < early.got.size(); ++i) {
    EXPECT_EQ(early.got[i].payload, sent[i]) << i;
    EXPECT_FALSE(early.got[i].late);
    // Stamped with the arrival time (the origin is the relay).
    if (i > 0) {
      EXPECT_EQ(early.got[i].ts_us - early.got[i - 1].ts_us, 2000);
    }
  }
  ASSERT_EQ(late.Seqs(), Range(5, 1));
  EXPECT_EQ(late.got[0].payload, sent[5]);
  const StreamStats* stats = relay_->StreamStatsOf("match1");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->packets_in, 6u);
  EXPECT_EQ(stats->publishers, 1u);
  EXPECT_EQ(stats->subscribers_joined, 2u);
  EXPECT_EQ(stats->duplicates, 0u);
}

TEST_F(RelayLocalTest, LocalPublisherFeedsHitlessSubscribers) {
  Open(OpenRelay());
  Caller& recv = Call(1, MediaDirection::kReceive, "match1");
  ASSERT_EQ(recv.connection->state(), ConnectionState::kEstablished);
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  Feed(*publisher, 0, 20);
  Pump();
  Advance(Duration::Milliseconds(500));  // past the latency: played out

  const auto subscribers = relay_->Subscribers("match1");
  ASSERT_EQ(subscribers.size(), 1u);
  EXPECT_EQ(subscribers[0]->stats().data_sent, 20u);
  EXPECT_EQ(subscribers[0]->stats().media_rejected, 0u);
  ASSERT_EQ(recv.delivered.size(), 20u);
  for (int n = 0; n < 20; ++n) EXPECT_EQ(recv.delivered[static_cast<size_t>(n)], Payload(n)) << n;
}

TEST_F(RelayLocalTest, SecondLocalPublisherIsRefusedBusy) {
  Open(OpenRelay());
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  const auto first = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(first.ok());
  const auto second = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Refused(RefuseReason::kPublisherBusy), 1u);
  // The first keeps the stream.
  Feed(*first, 0, 3);
  EXPECT_EQ(reader.Seqs(), Range(0, 3));
  EXPECT_EQ(relay_->StreamStatsOf("match1")->publishers, 1u);
}

TEST_F(RelayLocalTest, ClosedRelayRefusesStreamsItDoesNotConfigure) {
  Open(ClosedRelay({Configured("match1")}));
  Reader reader;
  const auto publisher = relay_->AttachLocalPublisher("other", now_);
  ASSERT_FALSE(publisher.ok());
  EXPECT_EQ(publisher.status().code(), absl::StatusCode::kFailedPrecondition);
  const auto subscriber = relay_->AttachLocalSubscriber("other", &reader);
  ASSERT_FALSE(subscriber.ok());
  EXPECT_EQ(subscriber.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Refused(RefuseReason::kUnknownStream), 2u);
  EXPECT_EQ(relay_->stream_count(), 1u);  // nothing made for "other"
  // The configured stream is served.
  EXPECT_TRUE(relay_->AttachLocalPublisher("match1", now_).ok());
  EXPECT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
}

TEST_F(RelayLocalTest, MaxStreamsBoundsNewStreamsOfLocalLegs) {
  RelayConfig config = OpenRelay();
  config.limits.max_streams = 1;
  Open(config);
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("a", &reader).ok());
  const auto publisher = relay_->AttachLocalPublisher("b", now_);
  ASSERT_FALSE(publisher.ok());
  EXPECT_EQ(publisher.status().code(), absl::StatusCode::kResourceExhausted);
  const auto subscriber = relay_->AttachLocalSubscriber("b", &reader);
  ASSERT_FALSE(subscriber.ok());
  EXPECT_EQ(subscriber.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Refused(RefuseReason::kStreamsFull), 2u);
  EXPECT_TRUE(relay_->AttachLocalPublisher("a", now_).ok());  // an existing stream
}

TEST_F(RelayLocalTest, NewLocalPublisherContinuesTheStreamSequence) {
  Open(OpenRelay());
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  const auto first = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(first.ok());
  Feed(*first, 0, 10);
  relay_->DetachLocal(*first);
  now_ += Duration::Milliseconds(700);  // the SRT caller reconnects
  const auto second = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  Feed(*second, 10, 5);

  EXPECT_EQ(reader.Seqs(), Range(0, 15));  // nothing taken for a duplicate
  for (size_t i = 0; i < reader.got.size(); ++i) {
    EXPECT_EQ(reader.got[i].payload, Payload(static_cast<int>(i))) << i;
  }
  // The stream's clock goes on too: the gap is the time between them.
  ASSERT_EQ(reader.got.size(), 15u);
  EXPECT_EQ(reader.got[10].ts_us - reader.got[9].ts_us, 701'000);
  const StreamStats& stats = *relay_->StreamStatsOf("match1");
  EXPECT_EQ(stats.packets_in, 15u);
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(stats.too_old, 0u);
  EXPECT_EQ(stats.publishers, 2u);
}

TEST_F(RelayLocalTest, LocalPublisherAfterAHitlessPublisherContinuesTheStream) {
  Open(OpenRelay());
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  Caller& send = Call(1, MediaDirection::kSend, "match1");
  ASSERT_EQ(send.connection->state(), ConnectionState::kEstablished);
  for (int n = 0; n < 10; ++n) {
    send.connection->OnMedia(Payload(n), now_);
    Pump();
    now_ += Duration::Milliseconds(1);
  }
  ASSERT_EQ(reader.got.size(), 10u);
  send.connection->Close(now_);
  Pump();
  ASSERT_EQ(relay_->Publisher("match1"), nullptr);
  const auto local = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(local.ok()) << local.status();
  Feed(*local, 10, 5);

  ASSERT_EQ(reader.got.size(), 15u);
  for (size_t i = 1; i < reader.got.size(); ++i) {
    EXPECT_EQ(reader.got[i].seq, reader.got[i - 1].seq + 1) << i;
    EXPECT_EQ(reader.got[i].payload, Payload(static_cast<int>(i))) << i;
    EXPECT_GT(reader.got[i].ts_us, reader.got[i - 1].ts_us) << i;
  }
  EXPECT_EQ(relay_->StreamStatsOf("match1")->duplicates, 0u);
}

TEST_F(RelayLocalTest, DetachingUnknownHandlesIsHarmless) {
  Open(OpenRelay());
  Reader reader;
  const auto subscriber = relay_->AttachLocalSubscriber("match1", &reader);
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(subscriber.ok() && publisher.ok());
  relay_->DetachLocal(0);
  relay_->DetachLocal(*publisher + 1000);
  relay_->OnLocalMedia(0, Payload(0), now_);
  relay_->OnLocalMedia(*publisher + 1000, Payload(0), now_);
  relay_->OnLocalMedia(*subscriber, Payload(0), now_);  // a reader's handle feeds nothing
  EXPECT_TRUE(reader.got.empty());
  Feed(*publisher, 0, 2);
  EXPECT_EQ(reader.Seqs(), Range(0, 2));
  // Detached twice, then fed: nothing.
  relay_->DetachLocal(*publisher);
  relay_->DetachLocal(*publisher);
  relay_->OnLocalMedia(*publisher, Payload(2), now_);
  EXPECT_EQ(reader.got.size(), 2u);
  ASSERT_EQ(relay_->Streams().size(), 1u);
  EXPECT_EQ(relay_->Streams()[0].local_subscribers, 1u);
}

TEST_F(RelayLocalTest, StreamGoesWhenItsLastLocalLegDetaches) {
  Open(OpenRelay());
  Reader reader;
  const auto subscriber = relay_->AttachLocalSubscriber("match1", &reader);
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(subscriber.ok() && publisher.ok());
  auto streams = relay_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].id, "match1");
  EXPECT_FALSE(streams[0].configured);
  EXPECT_TRUE(streams[0].local_publisher);
  EXPECT_EQ(streams[0].local_subscribers, 1u);
  relay_->DetachLocal(*publisher);
  streams = relay_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_FALSE(streams[0].local_publisher);
  EXPECT_EQ(streams[0].local_subscribers, 1u);
  relay_->DetachLocal(*subscriber);
  EXPECT_TRUE(relay_->Streams().empty());
  EXPECT_EQ(relay_->stream_count(), 0u);
}

TEST_F(RelayLocalTest, ConfiguredStreamStaysWhenItsLocalLegsDetach) {
  Open(ClosedRelay({Configured("match1")}));
  Reader reader;
  const auto subscriber = relay_->AttachLocalSubscriber("match1", &reader);
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(subscriber.ok() && publisher.ok());
  relay_->DetachLocal(*publisher);
  relay_->DetachLocal(*subscriber);
  const auto streams = relay_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_TRUE(streams[0].configured);
  EXPECT_FALSE(streams[0].local_publisher);
  EXPECT_EQ(streams[0].local_subscribers, 0u);
}

TEST_F(RelayLocalTest, MaxSubscribersCountsLocalReaders) {
  RelayConfig config = OpenRelay();
  config.limits.max_subscribers = 2;
  Open(config);
  Reader readers[3];
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &readers[0]).ok());
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &readers[1]).ok());
  const auto third = relay_->AttachLocalSubscriber("match1", &readers[2]);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Refused(RefuseReason::kSubscriberFull), 1u);
  // A refused reader gets nothing.
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(publisher.ok());
  Feed(*publisher, 0, 1);
  EXPECT_EQ(readers[0].got.size(), 1u);
  EXPECT_TRUE(readers[2].got.empty());
}

TEST_F(RelayLocalTest, MaxSubscribersCountsHitlessSubscribersForLocalReaders) {
  RelayConfig config = OpenRelay();
  config.limits.max_subscribers = 1;
  Open(config);
  Caller& recv = Call(1, MediaDirection::kReceive, "match1");
  ASSERT_EQ(recv.connection->state(), ConnectionState::kEstablished);
  Reader reader;
  const auto refused = relay_->AttachLocalSubscriber("match1", &reader);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Refused(RefuseReason::kSubscriberFull), 1u);
  EXPECT_EQ(relay_->stream_count(), 1u);  // the hitless subscriber's stream stays
}

TEST_F(RelayLocalTest, StreamLatencyIsTheLargerOfTheStreamsAndTheRelays) {
  Open(ClosedRelay({Configured("long", Duration::Milliseconds(300)),
                    Configured("short", Duration::Milliseconds(50)), Configured("plain")}));
  EXPECT_EQ(relay_->StreamLatency("long"), Duration::Milliseconds(300));
  EXPECT_EQ(relay_->StreamLatency("short"), Duration::Milliseconds(120));
  EXPECT_EQ(relay_->StreamLatency("plain"), Duration::Milliseconds(120));
  EXPECT_EQ(relay_->StreamLatency("unknown"), Duration::Milliseconds(120));
}

TEST_F(RelayLocalTest, EmptyAndOversizedPayloadsAreIgnored) {
  Open(OpenRelay());
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(publisher.ok());
  relay_->OnLocalMedia(*publisher, {}, now_);
  relay_->OnLocalMedia(*publisher, Payload(0, kMaxBodySize + 1), now_);
  relay_->OnLocalMedia(*publisher, Payload(0, 4000), now_);
  EXPECT_TRUE(reader.got.empty());
  // The ignored ones took no sequence number.
  relay_->OnLocalMedia(*publisher, Payload(1, 1), now_);
  relay_->OnLocalMedia(*publisher, Payload(2, kMaxDataPayload), now_);
  EXPECT_EQ(reader.Seqs(), Range(0, 2));
  EXPECT_EQ(relay_->StreamStatsOf("match1")->packets_in, 2u);
}

TEST_F(RelayLocalTest, PayloadsNoHopCanCarryAreIgnored) {
  // Between the largest DATA payload and the largest body: a hop could
  // neither send nor keep it, and its sequence number would be a gap
  // nobody can repair.
  Open(OpenRelay());
  Caller& recv = Call(1, MediaDirection::kReceive, "match1");
  ASSERT_EQ(recv.connection->state(), ConnectionState::kEstablished);
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  const auto publisher = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(publisher.ok());
  relay_->OnLocalMedia(*publisher, Payload(0, kMaxDataPayload + 1), now_);
  relay_->OnLocalMedia(*publisher, Payload(0, kMaxBodySize), now_);
  relay_->OnLocalMedia(*publisher, Payload(1), now_);
  EXPECT_EQ(reader.Seqs(), Range(0, 1));
  const StreamStats& stats = *relay_->StreamStatsOf("match1");
  EXPECT_EQ(stats.packets_in, 1u);
  EXPECT_EQ(stats.ring_rejected, 0u);
  EXPECT_EQ(relay_->Subscribers("match1")[0]->stats().media_rejected, 0u);
  EXPECT_EQ(relay_->Subscribers("match1")[0]->stats().data_sent, 1u);
}

TEST_F(RelayLocalTest, HitlessPublisherIsRefusedBusyWhileALocalOnePublishes) {
  Open(OpenRelay());
  const auto local = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(local.ok());
  Caller& send = Call(1, MediaDirection::kSend, "match1");
  EXPECT_NE(send.connection->state(), ConnectionState::kEstablished);
  EXPECT_EQ(send.connection->final_reject(), kRejectBusy);
  EXPECT_EQ(Refused(RefuseReason::kPublisherBusy), 1u);
  EXPECT_EQ(relay_->session_count(), 0u);
  EXPECT_EQ(relay_->Publisher("match1"), nullptr);
  // Once the local publisher leaves, a hitless one is taken.
  relay_->DetachLocal(*local);
  Caller& again = Call(2, MediaDirection::kSend, "match1");
  EXPECT_EQ(again.connection->state(), ConnectionState::kEstablished);
  EXPECT_NE(relay_->Publisher("match1"), nullptr);
}

TEST_F(RelayLocalTest, LocalPublisherIsRefusedWhileAHitlessOneIsLive) {
  Open(OpenRelay());
  Caller& send = Call(1, MediaDirection::kSend, "match1");
  ASSERT_EQ(send.connection->state(), ConnectionState::kEstablished);
  now_ += Relay::kTakeoverSilence - Duration::Milliseconds(1);
  const auto local = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Refused(RefuseReason::kPublisherBusy), 1u);
  EXPECT_NE(relay_->Publisher("match1"), nullptr);
}

TEST_F(RelayLocalTest, LocalPublisherTakesOverASilentHitlessOne) {
  // The silent publisher was the stream's only leg: evicting it must not
  // take the stream from under the local publisher that replaces it.
  Open(OpenRelay());
  Caller& send = Call(1, MediaDirection::kSend, "match1");
  ASSERT_EQ(send.connection->state(), ConnectionState::kEstablished);
  send.connection->OnMedia(Payload(0), now_);
  Pump();
  now_ += Relay::kTakeoverSilence;
  const auto local = relay_->AttachLocalPublisher("match1", now_);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(relay_->stats().evicted[static_cast<size_t>(EvictReason::kTakeover)], 1u);
  EXPECT_EQ(relay_->Publisher("match1"), nullptr);
  Reader reader;
  ASSERT_TRUE(relay_->AttachLocalSubscriber("match1", &reader).ok());
  Feed(*local, 1, 3);
  ASSERT_EQ(reader.got.size(), 3u);
  EXPECT_EQ(reader.got[2].payload, Payload(3));
  const auto streams = relay_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_TRUE(streams[0].local_publisher);
  EXPECT_EQ(streams[0].stats->packets_in, 4u);
  relay_->DetachLocal(*local);
  EXPECT_EQ(relay_->Streams()[0].local_subscribers, 1u);
}

}  // namespace
}  // namespace hitless::relay
