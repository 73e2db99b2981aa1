// Relay: session table, stream registry, merge and cut-through fan-out.
#include "relay/relay.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "relay/relay_parts.h"
#include "relay/stream_ring.h"
#include "transport/base/status_macros.h"
#include "transport/crypto/stream_proof.h"
#include "transport/session/fec_config.h"
#include "transport/wire/header.h"

namespace hitless::relay {

std::string_view EvictReasonName(EvictReason r) {
  switch (r) {
    case EvictReason::kTimeout:
      return "timeout";
    case EvictReason::kShutdown:
      return "shutdown";
    case EvictReason::kRestart:
      return "restart";
    case EvictReason::kTakeover:
      return "takeover";
    case EvictReason::kReload:
      return "reload";
    case EvictReason::kRelayStop:
      return "relay_stop";
    case EvictReason::kCount:
      break;
  }
  return "unknown";
}

std::string_view RefuseReasonName(RefuseReason r) {
  switch (r) {
    case RefuseReason::kUnknownStream:
      return "unknown_stream";
    case RefuseReason::kUnauthorized:
      return "unauthorized";
    case RefuseReason::kPublisherBusy:
      return "publisher_busy";
    case RefuseReason::kSubscriberFull:
      return "subscribers_full";
    case RefuseReason::kStreamsFull:
      return "streams_full";
    case RefuseReason::kMemory:
      return "memory";
    case RefuseReason::kRateLimited:
      return "rate_limited";
    case RefuseReason::kCount:
      break;
  }
  return "unknown";
}

namespace {
absl::Status Validate(const RelayConfig& c) {
  if (c.latency < Duration::Zero() || c.latency > Duration::Milliseconds(kMaxLatencyMs)) {
    return absl::InvalidArgumentError("latency outside 0..60 s");
  }
  if (c.limits.max_streams == 0 || c.limits.max_subscribers == 0 ||
      !(c.limits.handshakes_per_second > 0)) {
    return absl::InvalidArgumentError("limits must be positive");
  }
  for (size_t i = 0; i < c.streams.size(); ++i) {
    const StreamConfig& s = c.streams[i];
    if (s.id.empty() || s.id.size() > kMaxStreamIdSize) {
      return absl::InvalidArgumentError(
          absl::StrFormat("stream %d: id must be 1..%d bytes", i + 1, kMaxStreamIdSize));
    }
    if (s.latency &&
        (*s.latency < Duration::Zero() || *s.latency > Duration::Milliseconds(kMaxLatencyMs))) {
      return absl::InvalidArgumentError(
          absl::StrFormat("stream \"%s\": latency outside 0..60 s", s.id));
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.streams[j].id == s.id) {
        return absl::InvalidArgumentError(absl::StrFormat("stream \"%s\" listed twice", s.id));
      }
    }
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<std::unique_ptr<Relay>> Relay::Create(const RelayConfig& config, Time now,
                                                     RelayIo* io) {
  RETURN_IF_ERROR(Validate(config));
  std::unique_ptr<Relay> r(new Relay(config, now, io));
  HandshakeResponderConfig hs;
  hs.latency = config.latency;
  hs.preferred_fec = config.fec;
  ASSIGN_OR_RETURN(HandshakeResponder responder,
                   HandshakeResponder::Create(hs, config.cookie_secret, r.get()));
  r->responder_ = std::make_unique<HandshakeResponder>(std::move(responder));
  for (const StreamConfig& s : config.streams) {
    Stream& stream = r->StreamFor(s.id);
    stream.configured = true;
    stream.config = s;
  }
  return r;
}

Relay::Relay(const RelayConfig& config, Time now, RelayIo* io)
    : config_(config),
      io_(io),
      rng_(config.seed),
      wakes_(1024),
      now_(now),
      handshake_tokens_(config.limits.handshakes_per_second),
      tokens_at_(now),
      reply_(kMaxDatagramSize) {}

Relay::~Relay() = default;

Relay::Stream& Relay::StreamFor(std::string_view id) {
  auto it = streams_.find(std::string(id));
  if (it != streams_.end()) return *it->second;
  auto s = std::make_unique<Stream>();
  s->id = std::string(id);
  const StreamConfig* config = ConfigFor(id);
  s->ring = std::make_unique<StreamRing>(config != nullptr && config->latency
                                             ? std::max(*config->latency, config_.latency)
                                             : config_.latency,
                                         config_.sender.max_buffer_capacity);
  Stream& ref = *s;
  streams_.emplace(s->id, std::move(s));
  return ref;
}

const StreamConfig* Relay::ConfigFor(std::string_view id) const {
  for (const StreamConfig& s : config_.streams) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool Relay::TakeHandshakeToken(Time now) {
  const double rate = config_.limits.handshakes_per_second;
  handshake_tokens_ =
      std::min(rate, handshake_tokens_ + (now - tokens_at_).ToMillisecondsF() / 1000 * rate);
  tokens_at_ = now;
  if (handshake_tokens_ < 1) return false;
  handshake_tokens_ -= 1;
  return true;
}

void Relay::OnDatagram(std::span<const uint8_t> datagram, std::span<const uint8_t> source,
                       Time now) {
  now_ = now;
  ++stats_.datagrams_in;
  stats_.bytes_in += datagram.size();
  auto view = ParseHeader(datagram);
  if (!view.ok()) {
    stats_.drops.Count(DropReasonOf(view.status()));
    return;
  }
  if (view->header.encrypted) {
    stats_.drops.Count(DropReason::kAuthFailed);
    return;
  }
  if (view->header.type == PacketType::kHandshake) {
    OnHandshake(*view, source, now, datagram.size());
    return;
  }
  auto it = peers_.find(view->header.session_id);
  if (it == peers_.end()) {
    stats_.drops.Count(DropReason::kUnknownSession);
    const size_t n = unknown_.OnUnknownSession(view->header, datagram.size(), now, reply_);
    if (n > 0) io_->SendTo(std::span<const uint8_t>(reply_).first(n), source);
    return;
  }
  Peer& peer = *it->second;
  if (!std::ranges::equal(peer.address, source)) {
    // NAT rebinding: the session id names the peer, not the address.
    ++stats_.address_changes;
    peer.address.assign(source.begin(), source.end());
  }
  peer.last_heard = now;
  bool shutdown = false;
  if (peer.sender) {
    peer.sender->OnPacket(*view, now);
    shutdown = peer.sender->stats().shutdown_received;
  } else {
    peer.receiver->OnPacket(*view, now);
    shutdown = peer.receiver->stats().shutdown_received;
  }
  if (shutdown) {
    Evict(peer.id, EvictReason::kShutdown, now, /*tell_peer=*/false);
    return;
  }
  Reschedule(peer);
}

void Relay::OnHandshake(const PacketView& view, std::span<const uint8_t> source, Time now,
                        size_t datagram_size) {
  (void)datagram_size;
  if (!peers_.contains(view.header.session_id) && !TakeHandshakeToken(now)) {
    ++stats_.refused[static_cast<size_t>(RefuseReason::kRateLimited)];
    return;
  }
  auto body = ParseHandshake(view.header, view.body);
  if (!body.ok()) {
    stats_.drops.Count(DropReasonOf(body.status()));
    return;
  }
  last_refusal_.reset();
  const uint64_t held_before = responder_->stats().held_by_owner;
  HandshakeResponderOutcome outcome =
      responder_->OnHandshake(source, view.header, *body, now, reply_);
  if (outcome.drop) stats_.drops.Count(*outcome.drop);
  if (responder_->stats().held_by_owner != held_before) ++stats_.publishers_held;
  if (outcome.reject_reason != 0 && last_refusal_) {
    ++stats_.refused[static_cast<size_t>(*last_refusal_)];
  }
  if (outcome.accepted) {
    if (outcome.replaces_previous) {
      Evict(outcome.replaced_session_id, EvictReason::kRestart, now, false);
    }
    Accept(std::move(*outcome.accepted), source, now);
  }
  if (outcome.reply_size > 0) {
    io_->SendTo(std::span<const uint8_t>(reply_).first(outcome.reply_size), source);
  }
}

uint8_t Relay::Admit(std::span<const uint8_t> peer, const HandshakeBody& request,
                     NegotiatedSession& session) const {
  const auto refuse = [this](RefuseReason r, uint8_t wire) {
    last_refusal_ = r;
    return wire;
  };
  const StreamConfig* config = ConfigFor(session.stream_id);
  if (session.stream_id.empty() || (!config_.open && config == nullptr)) {
    return refuse(RefuseReason::kUnknownStream, kRejectUnknownStream);
  }
  const bool publish = session.initiator_publishes;
  const std::string empty;
  const std::string& secret =
      config == nullptr ? empty : (publish ? config->publish_secret : config->subscribe_secret);
  if (!secret.empty() &&
      (!request.stream_proof ||
       !VerifyStreamProof(secret, request.cookie, request.initiator_session_id,
                          publish ? StreamRole::kPublish : StreamRole::kSubscribe,
                          session.stream_id, *request.stream_proof))) {
    return refuse(RefuseReason::kUnauthorized, kRejectUnauthorized);
  }
  auto it = streams_.find(std::string(session.stream_id));
  const Stream* stream = it == streams_.end() ? nullptr : it->second.get();
  if (stream == nullptr && streams_.size() >= config_.limits.max_streams) {
    return refuse(RefuseReason::kStreamsFull, kRejectBusy);
  }
  if (publish && stream != nullptr && stream->local_publisher != 0) {
    return refuse(RefuseReason::kPublisherBusy, kRejectBusy);  // an SRT caller publishes it
  }
  if (publish && stream != nullptr && stream->publisher != 0) {
    const Peer& current = *peers_.at(stream->publisher);
    const bool same_caller = std::ranges::equal(current.address, peer);
    if (!same_caller && now_ - current.last_heard < kTakeoverSilence) {
      // Maybe the live publisher's own restart from a new port, maybe a
      // second encoder: hold it a while, then say busy.
      if (held_publishers_.size() >= 256) held_publishers_.clear();  // bounded
      const auto held = held_publishers_.try_emplace(request.initiator_session_id, now_).first;
      if (now_ - held->second < kPublisherHold) return HandshakeSessionLookup::kAdmitHold;
      return refuse(RefuseReason::kPublisherBusy, kRejectBusy);
    }
  }
  if (!publish && stream != nullptr) {
    if (stream->subscribers.size() + stream->local_subscribers.size() >=
        config_.limits.max_subscribers) {
      return refuse(RefuseReason::kSubscriberFull, kRejectBusy);
    }
    // A newcomer's bookkeeping grows to what the stream's other subscribers
    // hold (the payloads are the stream ring's, shared).
    size_t slots = config_.sender.buffer_capacity;
    for (const Peer* p : stream->subscribers) slots = std::max(slots, p->sender->buffer_slots());
    if (StreamMemory(*stream) + slots * sizeof(arq::StoredPacket) >
        config_.limits.max_stream_memory_bytes) {
      return refuse(RefuseReason::kMemory, kRejectBusy);
    }
  }
  held_publishers_.erase(request.initiator_session_id);
  if (config != nullptr && config->latency) {
    session.latency = std::max(session.latency, *config->latency);
  }
  return 0;
}

size_t Relay::StreamMemory(const Stream& stream) const {
  // What the stream holds now: its ring and its sessions' grow with rate x
  // latency (up to their caps), so this follows the stream, not the caps.
  // Subscriber hops keep bookkeeping only; the payloads are the ring's.
  size_t bytes = stream.ring->memory_bytes();
  if (stream.publisher != 0) {
    bytes += peers_.at(stream.publisher)->receiver->buffer_stats().capacity * kMaxDatagramSize;
  }
  for (const Peer* p : stream.subscribers) {
    bytes += p->sender->buffer_slots() * sizeof(arq::StoredPacket);
  }
  return bytes;
}

void Relay::Accept(NegotiatedSession session, std::span<const uint8_t> source, Time now) {
  Stream& stream = StreamFor(session.stream_id);
  auto peer = std::make_unique<Peer>();
  Peer& p = *peer;
  p.relay = this;
  p.id = session.session_id;
  p.address.assign(source.begin(), source.end());
  p.stream_id = session.stream_id;
  p.publisher = session.initiator_publishes;
  p.joined = now;
  p.last_heard = now;
  const bool arq = (session.peer_capabilities & kCapArq) != 0;
  if (p.publisher) {
    // Mark the stream taken first: evicting the last leg of an unconfigured
    // stream would otherwise remove the stream this publisher joins.
    const uint32_t previous = std::exchange(stream.publisher, p.id);
    if (previous != 0) Evict(previous, EvictReason::kTakeover, now, true);
    session::ReceiverConfig rc = config_.receiver;
    rc.session_id = session.session_id;
    rc.latency = session.latency;
    rc.fec = session.fec.mode != FecMode::kNone;
    rc.arq = arq;
    rc.initial_rtt = session.handshake_rtt;
    rc.playout = false;  // forwarded from the tap; the buffer keeps deadlines only
    p.receiver = std::make_unique<session::ReceiverSession>(rc, now, &p, &p);
    p.source.stream = &stream;
    p.source.session = p.receiver.get();
    p.tap = std::make_unique<SourceTap>(this, &p.source);
    p.receiver->SetTap(p.tap.get());
    stream.publisher = p.id;
    ++stream.stats.publishers;
  } else {
    session::SenderConfig sc = config_.sender;
    sc.session_id = session.session_id;
    sc.latency = session.latency;
    sc.relayed = true;
    sc.fec = session::EncoderConfigFor(session.fec);
    if (sc.fec) sc.fec->max_block_delay = session::FecBlockDelayFor(session.latency);
    sc.fec_adaptive = session::AdaptiveConfigFor(session.fec, arq, session.latency);
    sc.arq = arq;
    sc.initial_rtt = session.handshake_rtt;
    sc.shared_payloads = stream.ring.get();
    stream.ring->RaiseRetention(session.latency);
    p.sender = std::make_unique<session::SenderSession>(sc, now, &p);
    if (stream.highest < 0) p.first_seq = std::numeric_limits<int64_t>::min();
    stream.subscribers.push_back(&p);
    ++stream.stats.subscribers_joined;
  }
  p.negotiated = std::move(session);
  ++stats_.sessions_accepted;
  Peer* raw = peer.get();
  peers_[p.id] = std::move(peer);
  Reschedule(*raw);
}

void Relay::Evict(uint32_t session_id, EvictReason reason, Time now, bool tell_peer) {
  auto it = peers_.find(session_id);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  if (tell_peer) {
    if (p.sender) p.sender->SendShutdown(kShutdownNormal, now);
    if (p.receiver) p.receiver->SendShutdown(kShutdownNormal, now);
  }
  ++stats_.evicted[static_cast<size_t>(reason)];
  auto sit = streams_.find(std::string(p.stream_id));
  if (sit != streams_.end()) {
    Stream& s = *sit->second;
    if (s.publisher == session_id) s.publisher = 0;
    std::erase(s.subscribers, &p);
  }
  const std::string stream_id = p.stream_id;
  peers_.erase(it);
  RemoveStreamIfIdle(stream_id);
}

void Relay::RemoveStreamIfIdle(const std::string& id) {
  auto it = streams_.find(std::string(id));
  if (it == streams_.end()) return;
  const Stream& s = *it->second;
  if (s.configured || s.publisher != 0 || !s.subscribers.empty() || s.local_publisher != 0 ||
      !s.local_subscribers.empty()) {
    return;
  }
  for (const auto& u : upstreams_) {
    if (u && u->source.stream == &s) return;
  }
  streams_.erase(it);
}

void Relay::Reschedule(Peer& peer) {
  const std::optional<Time> t = peer.NextWakeup(config_.peer_timeout);
  if (!t) return;
  if (!peer.scheduled || *t < *peer.scheduled) {
    peer.scheduled = *t;
    wakes_.push(Wake{*t, peer.id});
  }
}

void Relay::OnSourcePacket(Source& source, const session::StreamPacket& packet, Time now) {
  Stream& s = *source.stream;
  if (!source.mapped) {
    source.mapped = true;
    // A source whose sequence and clock continue the stream's (a session
    // restart of the same publisher, a second route of the same origin)
    // maps as is; a new sequence space (a restarted publisher process) is
    // put right after the stream's highest, its clock after the stream's
    // last timestamp plus the time since.
    const int64_t elapsed_us = s.highest >= 0 ? (now - s.highest_at).ToMicroseconds() : 0;
    const bool continues =
        s.highest < 0 || (std::abs(packet.seq - s.highest) < kMergeWindow / 2 &&
                          std::abs(packet.ts_us - (s.highest_ts_us + elapsed_us)) < 2'000'000);
    if (!continues) {
      source.seq_delta = s.highest + 1 - packet.seq;
      source.ts_delta = s.highest_ts_us + elapsed_us - packet.ts_us;
      ++s.stats.remaps;
    }
  }
  const int64_t seq = packet.seq + source.seq_delta;
  const int64_t ts_us = packet.ts_us + source.ts_delta;
  if (s.highest >= 0 && seq <= s.highest - kMergeWindow) {
    ++s.stats.too_old;
    return;
  }
  int64_t& slot = s.seen[static_cast<size_t>(seq & (kMergeWindow - 1))];
  if (slot == seq) {
    ++s.stats.duplicates;
    return;
  }
  slot = seq;
  const bool fill = s.highest >= 0 && seq < s.highest;
  if (seq > s.highest) {
    s.highest = seq;
    s.highest_ts_us = ts_us;
    s.highest_at = now;
  }
  ++s.stats.packets_in;
  s.stats.bytes_in += packet.payload.size();
  // A repair (ARQ or FEC upstream) goes on flagged a retransmission; an
  // original that came out of order stays an original (the hops' loss
  // trackers learn the path's reordering from it, and FEC may code it).
  const bool late = packet.late;
  if (late) ++s.stats.late_in;
  if (fill && !late) ++s.stats.reordered_in;
  const Duration transit =
      source.session != nullptr ? source.session->origin_transit() : Duration::Zero();
  s.stats.upstream_transit_us = transit.ToMicroseconds();
  const std::optional<Time> origin =
      source.session != nullptr ? source.session->OriginTime(packet.ts_us) : std::nullopt;
  const auto timestamp_us = static_cast<uint32_t>(static_cast<uint64_t>(ts_us));
  const Time origin_time = origin.value_or(now - transit);
  // Kept once in the stream's ring, and sent from there by every hop
  // (queued sends point into it: flush them before it moves).
  if (s.ring->WouldGrow(seq, origin_time)) io_->FlushSends();
  const std::optional<session::SharedPayload> shared =
      s.ring->Store(seq, timestamp_us, origin_time, packet.payload, now);
  const session::ForwardedPacket f{
      .seq = seq,
      .timestamp_us = timestamp_us,
      .payload = shared ? shared->payload : packet.payload,
      .origin_time = origin_time,
      .late = late,
  };
  for (Peer* sub : s.subscribers) {
    // Joined mid-stream: starts at the live edge; fills below it are not its.
    if (!sub->first_seq) {
      if (fill) continue;
      sub->first_seq = seq;
    }
    if (seq < *sub->first_seq) continue;
    sub->sender->SetUpstreamTransit(transit);
    sub->sender->OnForward(f, now);
    ++sub->forwarded;
    sub->forwarded_bytes += packet.payload.size();
    if (late) ++sub->late_forwarded;
    ++s.stats.forwarded;
    s.stats.forwarded_bytes += packet.payload.size();
    Reschedule(*sub);
  }
  if (!s.local_subscribers.empty()) {
    const session::StreamPacket local{.seq = seq,
                                      .ts_us = ts_us,
                                      .timestamp_us = timestamp_us,
                                      .payload = packet.payload,
                                      .late = late};
    for (const auto& [handle, sub] : s.local_subscribers) sub->OnStreamPacket(local, transit, now);
  }
  // Not in the ring: the sends point into the source's buffer, valid only now.
  if (!shared) {
    ++s.stats.ring_rejected;
    io_->FlushSends();
  }
}

void Relay::OnUpstreamDatagram(size_t index, std::span<const uint8_t> datagram,
                               std::span<const uint8_t> source, Time now) {
  now_ = now;
  if (index >= upstreams_.size() || !upstreams_[index]) return;
  Upstream& u = *upstreams_[index];
  const session::DatagramResult r = u.connection->OnDatagram(datagram, source, now, reply_);
  if (r.reply_size > 0)
    io_->SendUpstream(index, std::span<const uint8_t>(reply_).first(r.reply_size));
  u.source.session = u.connection->receiver();
}

absl::StatusOr<size_t> Relay::AddUpstream(const UpstreamConfig& upstream, Time now) {
  now_ = now;
  auto u = std::make_unique<Upstream>();
  u->relay = this;
  u->index = upstreams_.size();
  u->config = upstream;
  Stream& stream = StreamFor(upstream.stream_id);
  u->source.stream = &stream;
  u->tap = std::make_unique<SourceTap>(this, &u->source);
  session::ConnectionConfig c;
  c.role = session::Role::kCaller;
  c.direction = session::MediaDirection::kReceive;
  c.stream_id = upstream.stream_id;
  c.latency = std::max(upstream.latency, config_.latency);
  c.secret = upstream.secret;
  c.tap = u->tap.get();
  c.peer_timeout = config_.peer_timeout;
  c.receiver = config_.receiver;
  c.receiver.playout = false;  // forwarded from the tap
  c.seed = rng_.NextU64();
  auto connection = session::Connection::Create(c, now, u.get(), u.get());
  if (!connection.ok()) {
    RemoveStreamIfIdle(upstream.stream_id);
    return connection.status();
  }
  u->connection = *std::move(connection);
  upstreams_.push_back(std::move(u));
  return upstreams_.size() - 1;
}

void Relay::RemoveUpstream(size_t index, Time now) {
  if (index >= upstreams_.size() || !upstreams_[index]) return;
  upstreams_[index]->connection->Close(now);
  const std::string id = upstreams_[index]->config.stream_id;
  upstreams_[index].reset();
  RemoveStreamIfIdle(id);
}

const session::Connection* Relay::upstream(size_t index) const {
  return upstream_active(index) ? upstreams_[index]->connection.get() : nullptr;
}

const UpstreamConfig* Relay::upstream_config(size_t index) const {
  return upstream_active(index) ? &upstreams_[index]->config : nullptr;
}

void Relay::OnTimer(Time now) {
  now_ = now;
  while (!wakes_.empty() && wakes_.top().at <= now) {
    const Wake w = wakes_.top();
    wakes_.pop();
    auto it = peers_.find(w.session_id);
    if (it == peers_.end() || it->second->scheduled != w.at) continue;  // stale
    Peer& p = *it->second;
    p.scheduled.reset();
    if (now - p.last_heard >= config_.peer_timeout) {
      Evict(p.id, EvictReason::kTimeout, now, /*tell_peer=*/true);
      continue;
    }
    if (p.sender) p.sender->OnTimer(now);
    if (p.receiver) p.receiver->OnTimer(now);  // NACKs and REPORTs upstream; releases taps
    Reschedule(p);
  }
  for (auto& u : upstreams_) {
    if (!u) continue;
    if (const auto t = u->connection->NextWakeup(); t && *t <= now) {
      u->connection->OnTimer(now);
      u->source.session = u->connection->receiver();
    }
  }
}

std::optional<Time> Relay::NextWakeup() const {
  std::optional<Time> next;
  if (!wakes_.empty()) next = wakes_.top().at;
  for (const auto& u : upstreams_) {
    if (!u) continue;
    const auto t = u->connection->NextWakeup();
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

absl::Status Relay::Reload(const RelayConfig& config, Time now) {
  RETURN_IF_ERROR(Validate(config));
  now_ = now;
  ++stats_.reloads;
  // Streams that left the configuration (and are not open-mode streams
  // with live sessions in an open relay) lose their sessions.
  std::vector<std::string> removed;
  for (const auto& entry : streams_) {
    const std::string& id = entry.first;
    if (!entry.second->configured) continue;
    const bool kept =
        std::ranges::any_of(config.streams, [&id](const StreamConfig& c) { return c.id == id; });
    if (!kept) removed.push_back(id);
  }
  const RelayLimits limits = config.limits;
  const bool open = config.open;
  config_.streams = config.streams;
  config_.limits = limits;
  config_.open = open;
  for (const std::string& id : removed) {
    Stream& s = *streams_.at(id);
    s.configured = false;
    if (!open) {
      std::vector<uint32_t> ids;
      if (s.publisher != 0) ids.push_back(s.publisher);
      for (const Peer* p : s.subscribers) ids.push_back(p->id);
      for (uint32_t sid : ids) Evict(sid, EvictReason::kReload, now, true);
    }
    RemoveStreamIfIdle(id);
  }
  for (const StreamConfig& c : config_.streams) {
    Stream& s = StreamFor(c.id);
    s.configured = true;
    s.config = c;  // new secrets and latency bind new handshakes only
  }
  return absl::OkStatus();
}

void Relay::Shutdown(Time now) {
  now_ = now;
  std::vector<uint32_t> ids;
  ids.reserve(peers_.size());
  for (const auto& [id, p] : peers_) ids.push_back(id);
  for (uint32_t id : ids) Evict(id, EvictReason::kRelayStop, now, true);
  for (size_t i = 0; i < upstreams_.size(); ++i) RemoveUpstream(i, now);
}

HandshakeSessionLookup::Known Relay::FindById(uint32_t session_id) const {
  auto it = peers_.find(session_id);
  if (it == peers_.end()) return {};
  return {&it->second->negotiated, it->second->address};
}

const NegotiatedSession* Relay::FindByPeerAndStream(std::span<const uint8_t> peer,
                                                    std::string_view stream_id) const {
  auto it = streams_.find(std::string(stream_id));
  if (it == streams_.end()) return nullptr;
  const Stream& s = *it->second;
  if (s.publisher != 0) {
    const Peer& p = *peers_.at(s.publisher);
    if (std::ranges::equal(p.address, peer)) return &p.negotiated;
  }
  for (const Peer* p : s.subscribers) {
    if (std::ranges::equal(p->address, peer)) return &p->negotiated;
  }
  return nullptr;
}

std::vector<Relay::StreamView> Relay::Streams() const {
  std::vector<StreamView> out;
  for (const auto& [id, s] : streams_) {
    StreamView v;
    v.id = s->id;
    v.configured = s->configured;
    v.stats = &s->stats;
    v.latency = s->config.latency.value_or(config_.latency);
    v.memory_bytes = StreamMemory(*s);
    v.ring_slots = s->ring->slots();
    v.local_publisher = s->local_publisher != 0;
    v.local_subscribers = s->local_subscribers.size();
    if (s->publisher != 0) {
      const Peer& p = *peers_.at(s->publisher);
      v.has_publisher = true;
      v.publisher = p.receiver.get();
      v.publisher_address = p.address;
      v.publisher_since = p.joined;
    }
    for (const Peer* p : s->subscribers) {
      v.subscribers.push_back(SubscriberView{.session_id = p->id,
                                             .peer = {},
                                             .address = p->address,
                                             .joined = p->joined,
                                             .forwarded = p->forwarded,
                                             .forwarded_bytes = p->forwarded_bytes,
                                             .late_forwarded = p->late_forwarded,
                                             .session = p->sender.get()});
    }
    out.push_back(std::move(v));
  }
  std::ranges::sort(out, [](const StreamView& a, const StreamView& b) { return a.id < b.id; });
  return out;
}

std::vector<const session::SenderSession*> Relay::Subscribers(std::string_view stream_id) const {
  std::vector<const session::SenderSession*> out;
  auto it = streams_.find(std::string(stream_id));
  if (it == streams_.end()) return out;
  for (const Peer* p : it->second->subscribers) out.push_back(p->sender.get());
  return out;
}

const session::ReceiverSession* Relay::Publisher(std::string_view stream_id) const {
  auto it = streams_.find(std::string(stream_id));
  if (it == streams_.end() || it->second->publisher == 0) return nullptr;
  return peers_.at(it->second->publisher)->receiver.get();
}

const StreamStats* Relay::StreamStatsOf(std::string_view stream_id) const {
  auto it = streams_.find(std::string(stream_id));
  return it == streams_.end() ? nullptr : &it->second->stats;
}

}  // namespace hitless::relay
