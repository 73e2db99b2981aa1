// The relay core's parts (Relay's private structs), shared by relay.cc and
// relay_local.cc: a stream's sources, its subscriber and publisher sessions
// (Peer), the stream itself and an upstream pull. Internal to the core.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relay/relay.h"
#include "relay/stream_ring.h"

namespace hitless::relay {

// One fed source of a stream: a publisher session or an upstream pull. Its
// own sequence/clock map onto the stream's (zero unless a new publisher
// process started a new sequence space).
struct Relay::Source {
  Stream* stream = nullptr;
  bool mapped = false;
  int64_t seq_delta = 0;
  int64_t ts_delta = 0;
  // The session whose clock mapping gives origin times.
  const session::ReceiverSession* session = nullptr;
};

class Relay::SourceTap final : public session::StreamTap {
 public:
  SourceTap(Relay* relay, Source* source) : relay_(relay), source_(source) {}
  void OnStreamPacket(const session::StreamPacket& packet, Time now) override {
    relay_->OnSourcePacket(*source_, packet, now);
  }

 private:
  Relay* relay_;
  Source* source_;
};

struct Relay::Peer final : public session::DatagramSink, public session::MediaSink {
  Relay* relay = nullptr;
  uint32_t id = 0;
  std::vector<uint8_t> address;
  NegotiatedSession negotiated;
  std::string stream_id;
  bool publisher = false;
  Source source;  // publisher
  std::unique_ptr<SourceTap> tap;
  std::unique_ptr<session::ReceiverSession> receiver;  // publisher
  std::unique_ptr<session::SenderSession> sender;      // subscriber
  Time joined;
  Time last_heard;
  std::optional<Time> scheduled;
  // Subscriber: the lowest stream sequence it may be sent (it joined at the
  // live edge); nullopt until the first packet after joining. Joined before
  // the stream's first packet: everything.
  std::optional<int64_t> first_seq;
  uint64_t forwarded = 0;
  uint64_t forwarded_bytes = 0;
  uint64_t late_forwarded = 0;

  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    relay->io_->SendTo(d, address);
  }
  void SendDatagramParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                         uint8_t) override {
    relay->io_->SendToParts(head, body, address);
  }
  // A publisher hop's playout: the relay forwards from the tap, not here.
  void DeliverMedia(std::span<const uint8_t>, Time) override {}
  std::optional<Time> NextWakeup(Duration timeout) const {
    std::optional<Time> t = sender ? sender->NextWakeup() : receiver->NextWakeup();
    const Time dead = last_heard + timeout;
    return t && *t < dead ? *t : dead;
  }
};

struct Relay::Stream {
  std::string id;
  bool configured = false;
  StreamConfig config;
  uint32_t publisher = 0;  // session id; 0: none
  std::vector<Peer*> subscribers;
  std::vector<int64_t> seen = std::vector<int64_t>(kMergeWindow, -1);
  int64_t highest = -1;
  int64_t highest_ts_us = 0;
  Time highest_at;
  StreamStats stats;
  // Every packet once, for every subscriber hop to send and resend from.
  std::unique_ptr<StreamRing> ring;
  // Local legs (relay_local.cc): an SRT publisher and SRT readers.
  uint32_t local_publisher = 0;  // handle; 0: none
  std::unique_ptr<Source> local_source;
  int64_t local_seq = 0;
  std::vector<std::pair<uint32_t, LocalSubscriber*>> local_subscribers;
};

struct Relay::Upstream final : public session::DatagramSink, public session::MediaSink {
  Relay* relay = nullptr;
  size_t index = 0;
  UpstreamConfig config;
  Source source;
  std::unique_ptr<SourceTap> tap;
  std::unique_ptr<session::Connection> connection;
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    relay->io_->SendUpstream(index, d);
  }
  void DeliverMedia(std::span<const uint8_t>, Time) override {}
};

}  // namespace hitless::relay
