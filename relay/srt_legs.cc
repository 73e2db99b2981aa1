// Implements srt_legs.h.
#include "relay/srt_legs.h"

#include <algorithm>
#include <cstdio>

#include "relay/srt_streamid.h"
#include "transport/endpoints/query.h"

namespace hitless::relay {

using endpoints::QuoteForMessage;

struct RelaySrtLegs::Leg final : public LocalSubscriber, public session::MediaSink {
  RelaySrtLegs* owner = nullptr;
  uint64_t caller = 0;
  SrtStreamRequest request;
  std::string peer;
  Time since;
  uint32_t handle = 0;  // the core's local leg
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0;
  std::unique_ptr<session::RouteMerge> merge;  // readers
  mpegts::TsHealth ts;                         // readers: what they were sent

  // LocalSubscriber: the stream's packets as the relay accepts them.
  void OnStreamPacket(const session::StreamPacket& packet, Duration origin_transit,
                      Time now) override {
    merge->OnRoutePacket(0, packet, origin_transit, now);
    const std::optional<Time> next = merge->NextWakeup();
    if (next && (!owner->timer_at_ || *next < *owner->timer_at_)) owner->ArmTimer();
  }
  // MediaSink: the merge's in-order release, into the SRT socket.
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    ts.OnDatagram(payload, now);
    switch (owner->server_.Send(caller, payload)) {
      case endpoints::SrtServer::SendResult::kSent:
        ++packets;
        bytes += payload.size();
        break;
      case endpoints::SrtServer::SendResult::kBufferFull:
      case endpoints::SrtServer::SendResult::kGone:
        ++dropped;
        break;
    }
  }
};

RelaySrtLegs::RelaySrtLegs(boost::asio::io_context& io, RelayDriver& driver, Options options)
    : io_(io),
      driver_(driver),
      options_(options),
      server_({.listen = options.listen, .latency = options.srt_latency, .max_callers = 256}),
      timer_(io) {}

RelaySrtLegs::~RelaySrtLegs() { Stop(); }

absl::Status RelaySrtLegs::Start(const RelayConfig& config) {
  Reload(config);
  return server_.Start(
      io_, [this](std::string_view streamid) { return Admit(streamid); },
      {.on_connect = [this](uint64_t caller, const std::string& streamid,
                            const std::string& peer) { OnConnect(caller, streamid, peer); },
       .on_data = [this](uint64_t caller, std::span<const uint8_t> d,
                         Time at) { OnData(caller, d, at); },
       .on_close = [this](uint64_t caller) { OnClose(caller); }});
}

void RelaySrtLegs::Reload(const RelayConfig& config) {
  Access access;
  access.open = config.open;
  for (const StreamConfig& s : config.streams) {
    access.streams[s.id] = s;
    for (const std::string* secret : {&s.publish_secret, &s.subscribe_secret}) {
      if (!secret->empty() && (secret->size() < 10 || secret->size() > 79)) {
        std::fprintf(stderr,
                     "hitless-relay: warning: stream \"%s\": a secret of %zu characters cannot be "
                     "an SRT passphrase (10 to 79): its SRT callers will be refused\n",
                     QuoteForMessage(s.id).c_str(), secret->size());
      }
    }
  }
  std::lock_guard lock(access_mutex_);
  access_ = std::move(access);
}

void RelaySrtLegs::Stop() {
  server_.Stop();
  timer_.cancel();
  for (const auto& entry : legs_) {
    // Not a structured binding: clang before 16 cannot capture one.
    const uint32_t handle = entry.second->handle;
    if (handle != 0) driver_.WithCore([handle](Relay& relay, Time) { relay.DetachLocal(handle); });
  }
  legs_.clear();
}

endpoints::SrtServer::Admission RelaySrtLegs::Admit(std::string_view streamid) const {
  endpoints::SrtServer::Admission verdict;
  const auto request = ParseSrtStreamId(streamid);
  if (!request.ok()) {
    verdict.reject = endpoints::SrtServer::kRejectBadRequest;
    verdict.why = std::string(request.status().message());
    return verdict;
  }
  std::lock_guard lock(access_mutex_);
  const auto it = access_.streams.find(request->stream);
  if (it == access_.streams.end()) {
    if (!access_.open) {
      verdict.reject = endpoints::SrtServer::kRejectNotFound;
      verdict.why = "the relay serves no stream \"" + QuoteForMessage(request->stream) + "\"";
    }
    return verdict;
  }
  verdict.passphrase = request->publish ? it->second.publish_secret : it->second.subscribe_secret;
  return verdict;
}

void RelaySrtLegs::OnConnect(uint64_t caller, const std::string& streamid,
                             const std::string& peer) {
  const auto request = ParseSrtStreamId(streamid);
  if (!request.ok()) {  // Admit refused it already; a race with a reload
    server_.Close(caller);
    return;
  }
  auto leg = std::make_unique<Leg>();
  leg->owner = this;
  leg->caller = caller;
  leg->request = *request;
  leg->peer = peer;
  leg->since = driver_.now();
  absl::StatusOr<uint32_t> handle = absl::InternalError("not attached");
  Leg& l = *leg;
  driver_.WithCore([&](Relay& relay, Time now) {
    if (l.request.publish) {
      handle = relay.AttachLocalPublisher(l.request.stream, now);
    } else {
      l.merge = std::make_unique<session::RouteMerge>(
          session::RouteMergeConfig{.latency = relay.StreamLatency(l.request.stream), .routes = 1},
          &l);
      handle = relay.AttachLocalSubscriber(l.request.stream, &l);
    }
  });
  const char* role = request->publish ? "publisher" : "reader";
  if (!handle.ok()) {
    std::fprintf(stderr, "hitless-relay: SRT %s %s for \"%s\" refused: %s\n", role, peer.c_str(),
                 QuoteForMessage(request->stream).c_str(),
                 std::string(handle.status().message()).c_str());
    server_.Close(caller);
    return;
  }
  leg->handle = *handle;
  std::fprintf(stderr, "hitless-relay: SRT %s %s joined stream \"%s\"\n", role, peer.c_str(),
               QuoteForMessage(request->stream).c_str());
  legs_[caller] = std::move(leg);
}

void RelaySrtLegs::OnData(uint64_t caller, std::span<const uint8_t> datagram, Time at) {
  const auto it = legs_.find(caller);
  if (it == legs_.end() || !it->second->request.publish) return;  // a reader's data: ignored
  Leg& l = *it->second;
  ++l.packets;
  l.bytes += datagram.size();
  driver_.WithCore([&](Relay& relay, Time) { relay.OnLocalMedia(l.handle, datagram, at); });
}

void RelaySrtLegs::OnClose(uint64_t caller) {
  const auto it = legs_.find(caller);
  if (it == legs_.end()) return;
  std::fprintf(stderr, "hitless-relay: SRT %s %s left stream \"%s\"\n",
               it->second->request.publish ? "publisher" : "reader", it->second->peer.c_str(),
               QuoteForMessage(it->second->request.stream).c_str());
  End(caller);
}

void RelaySrtLegs::End(uint64_t caller) {
  const auto it = legs_.find(caller);
  if (it == legs_.end()) return;
  const uint32_t handle = it->second->handle;
  driver_.WithCore([&](Relay& relay, Time) { relay.DetachLocal(handle); });
  legs_.erase(it);
}

void RelaySrtLegs::ArmTimer() {
  std::optional<Time> next;
  for (const auto& [caller, leg] : legs_) {
    if (!leg->merge) continue;
    const std::optional<Time> t = leg->merge->NextWakeup();
    if (t && (!next || *t < *next)) next = t;
  }
  if (!next) return;
  timer_at_ = *next;
  timer_.expires_at(
      std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next->ToNanoseconds())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    timer_at_.reset();
    const Time now = driver_.now();
    for (const auto& [caller, leg] : legs_) {
      if (leg->merge) leg->merge->OnTimer(now);
    }
    ArmTimer();
  });
}

std::vector<SrtLegView> RelaySrtLegs::Legs() const {
  std::vector<SrtLegView> out;
  const Time now = driver_.now();
  for (const auto& [caller, leg] : legs_) {
    if (leg->merge) leg->ts.SetDatagramsLost(leg->merge->stats().lost);
    out.push_back({.caller = caller,
                   .stream = leg->request.stream,
                   .peer = leg->peer,
                   .publish = leg->request.publish,
                   .connected = now - leg->since,
                   .packets = leg->packets,
                   .bytes = leg->bytes,
                   .dropped = leg->dropped,
                   .lost = leg->merge ? leg->merge->stats().lost : 0,
                   .srt = server_.LegStats(caller, leg->request.publish),
                   .ts = leg->ts.stats()});
  }
  std::sort(out.begin(), out.end(),
            [](const SrtLegView& a, const SrtLegView& b) { return a.caller < b.caller; });
  return out;
}

}  // namespace hitless::relay
