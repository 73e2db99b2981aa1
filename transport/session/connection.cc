#include "transport/session/connection.h"

#include <algorithm>
#include <utility>

#include "transport/base/status_macros.h"
#include "transport/session/fec_config.h"
#include "transport/wire/control.h"
#include "transport/wire/data.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"
#include "transport/wire/wire_error.h"

namespace hitless::session {
namespace {
// A caller whose CONCLUSION was refused tries again after this long (a
// listener that keeps refusing must not be hammered at RTT pace).
constexpr Duration kRejectHoldOff = Duration::Seconds(1);
// A listener hands its stream to a new caller only after the current one has
// been silent this long.
constexpr Duration kTakeoverSilence = Duration::Seconds(1);
}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(const ConnectionConfig& config,
                                                               Time now, DatagramSink* out,
                                                               MediaSink* media) {
  std::unique_ptr<Connection> c(new Connection(config, now, out, media));
  if (config.role == Role::kCaller) {
    HandshakeInitiatorConfig hs;
    hs.stream_id = config.stream_id;
    hs.latency = config.latency;
    hs.strict_latency = config.strict_latency;
    hs.publish = config.direction == MediaDirection::kSend;
    hs.fec = config.fec;
    hs.secret = config.secret;
    hs.capabilities = config.arq ? kCapArq | kCapFec : kCapFec;
    if (config.paths) {
      if (!path::ValidSenderPathsConfig(*config.paths)) {
        return absl::InvalidArgumentError("invalid multipath configuration");
      }
      hs.path_count = static_cast<uint8_t>(config.paths->path_count);
      if (hs.path_count > 1) hs.capabilities |= kCapMultipath;
    }
    ASSIGN_OR_RETURN(HandshakeInitiator initiator,
                     HandshakeInitiator::Create(hs, c->NewSessionId()));
    c->initiator_ = std::make_unique<HandshakeInitiator>(std::move(initiator));
    c->SendInitiatorResult(c->initiator_->Start(now, c->scratch_), now);
  } else {
    HandshakeResponderConfig hs;
    if (!config.stream_id.empty()) hs.accepted_stream_ids.push_back(config.stream_id);
    hs.latency = config.latency;
    hs.preferred_fec = config.fec;
    hs.capabilities = config.arq ? kCapArq | kCapFec : kCapFec;
    ASSIGN_OR_RETURN(HandshakeResponder responder,
                     HandshakeResponder::Create(hs, config.cookie_secret, c.get()));
    c->responder_ = std::make_unique<HandshakeResponder>(std::move(responder));
  }
  return c;
}

Connection::Connection(const ConnectionConfig& config, Time now, DatagramSink* out,
                       MediaSink* media)
    : config_(config),
      out_(out),
      media_(media),
      rng_(config.seed),
      last_heard_(now),
      scratch_(kMaxDatagramSize) {
  if (config.origin)
    stream_continuity_ = StreamContinuity{config.origin->initial_sequence, config.origin->epoch};
}

Connection::~Connection() = default;

uint32_t Connection::NewSessionId() {
  uint32_t id = 0;
  while (id == 0) id = static_cast<uint32_t>(rng_.NextU64());
  return id;
}

uint8_t Connection::final_reject() const {
  if (!initiator_ || initiator_->state() != HandshakeState::kRejected) return 0;
  const uint8_t reason = initiator_->reject_reason();
  return reason == kRejectUnknownStream || reason == kRejectUnauthorized || reason == kRejectBusy
             ? reason
             : 0;
}

ConnectionState Connection::state() const {
  if (negotiated_) return ConnectionState::kEstablished;
  return config_.role == Role::kCaller ? ConnectionState::kHandshaking
                                       : ConnectionState::kListening;
}

void Connection::SendInitiatorResult(const HandshakeInitiatorResult& result, Time now) {
  if (result.send_size > 0) {
    scratch_[3] = handshake_path_;  // header byte 3: path id
    out_->SendDatagram(std::span<const uint8_t>(scratch_).first(result.send_size), handshake_path_);
  }
  if (result.drop) stats_.drops.Count(*result.drop);
  switch (result.event) {
    case HandshakeEvent::kEstablished:
      if (const auto& negotiated = initiator_->negotiated()) StartSession(*negotiated, now);
      break;
    case HandshakeEvent::kPeerLost:
      RestartCaller(now);
      break;
    case HandshakeEvent::kRejected:
    case HandshakeEvent::kTimedOut:
      EndSession();
      // A strict latency refusal is final: the path will not get shorter by
      // asking again every second (the owner reports it and stops).
      if (!initiator_->latency_refused() && final_reject() == 0) {
        retry_at_ = now + kRejectHoldOff;
      }
      break;
    case HandshakeEvent::kNone:
      break;
  }
}

void Connection::StartSession(const NegotiatedSession& session, Time now) {
  if (negotiated_) {
    ++stats_.restarts;
    EndSession();
  }
  negotiated_ = session;
  ++stats_.sessions;
  stats_.established_at = now;
  last_heard_ = now;
  const bool arq = config_.arq && (session.peer_capabilities & kCapArq) != 0;
  if (config_.direction == MediaDirection::kSend) {
    SenderConfig sender = config_.sender;
    sender.session_id = session.session_id;
    sender.latency = session.latency;
    // One stream through restarts: the next session follows on in sequence
    // and clock, so a relay forwarding it (and whoever merges its copies)
    // sees no jump; the first starts at random.
    if (stream_continuity_) {
      sender.initial_sequence = static_cast<uint32_t>(stream_continuity_->next_seq);
      sender.epoch = stream_continuity_->epoch;
    } else {
      sender.initial_sequence = static_cast<uint32_t>(rng_.NextU64());
    }
    sender.fec = EncoderConfigFor(session.fec);
    if (sender.fec) sender.fec->max_block_delay = FecBlockDelayFor(session.latency);
    sender.fec_adaptive = AdaptiveConfigFor(session.fec, arq, session.latency);
    sender.arq = arq;
    sender.initial_rtt = session.handshake_rtt;
    const int paths = std::min<int>(config_.paths ? config_.paths->path_count : 1,
                                    session.path_count == 0 ? 1 : session.path_count);
    if (config_.paths && paths > 1) {
      sender.paths = config_.paths;
      sender.paths->path_count = paths;
      // The handshake just worked on this path, both ways.
      if (initiator_ && handshake_path_ < paths) sender.paths->start_path = handshake_path_;
    }
    sender_ = std::make_unique<SenderSession>(sender, now, out_);
  } else {
    ReceiverConfig receiver = config_.receiver;
    receiver.session_id = session.session_id;
    receiver.latency = session.latency;
    receiver.fec = session.fec.mode != FecMode::kNone;
    receiver.arq = arq;
    receiver.initial_rtt = session.handshake_rtt;
    receiver_ = std::make_unique<ReceiverSession>(receiver, now, out_, media_);
    receiver_->SetTap(config_.tap);
  }
}

void Connection::EndSession() {
  negotiated_.reset();
  drain_until_.reset();
  if (sender_) stream_continuity_ = StreamContinuity{sender_->next_sequence(), sender_->epoch()};
  if (sender_) last_sender_ = std::move(sender_);
  if (receiver_) last_receiver_ = std::move(receiver_);
}

void Connection::RestartCaller(Time now) {
  if (negotiated_) ++stats_.restarts;
  EndSession();
  retry_at_.reset();
  SendInitiatorResult(initiator_->Restart(now, NewSessionId(), scratch_), now);
}

DatagramResult Connection::OnDatagram(std::span<const uint8_t> datagram,
                                      std::span<const uint8_t> source, Time now,
                                      std::span<uint8_t> reply) {
  DatagramResult result;
  auto view = ParseHeader(datagram);
  if (!view.ok()) {
    stats_.drops.Count(DropReasonOf(view.status()));
    return result;
  }
  const Header& header = view->header;
  if (header.encrypted) {  // no keys negotiated yet (a later issue)
    stats_.drops.Count(DropReason::kAuthFailed);
    return result;
  }

  if (header.type == PacketType::kHandshake) {
    auto body = ParseHandshake(header, view->body);
    if (!body.ok()) {
      stats_.drops.Count(DropReasonOf(body.status()));
      return result;
    }
    if (initiator_) {
      // Answer on the path the responder answered on (its cookie is bound
      // to that path's source address).
      if (config_.paths && header.path_id < config_.paths->path_count) {
        handshake_path_ = header.path_id;
      }
      SendInitiatorResult(initiator_->OnHandshake(header, *body, now, scratch_), now);
      if (negotiated_) last_heard_ = now;
      return result;
    }
    const HandshakeResponderOutcome outcome =
        responder_->OnHandshake(source, header, *body, now, reply);
    if (outcome.drop) stats_.drops.Count(*outcome.drop);
    result.reply_size = outcome.reply_size;
    if (outcome.accepted) {
      const bool wants_our_direction =
          outcome.accepted->initiator_publishes == (config_.direction == MediaDirection::kSend);
      if (wants_our_direction) {
        // Both ends would send (or both receive): never confirm the session.
        ++stats_.direction_mismatch;
        result.reply_size = 0;
        return result;
      }
      if (negotiated_ && !outcome.replaces_previous && now - last_heard_ < kTakeoverSilence) {
        // Another caller while a live session runs: one stream at a time, and
        // a second encoder (or a stranger) must not take it over. It gets no
        // confirmation and keeps retrying; it gets in once this session has
        // been silent for kTakeoverSilence (a restarted caller comes back
        // from a new source port after its old process went quiet).
        ++stats_.busy_refused;
        result.reply_size = 0;
        return result;
      }
      StartSession(*outcome.accepted, now);
      peer_.assign(source.begin(), source.end());
      for (auto& p : path_peers_) p.clear();
      path_peers_[header.path_id].assign(source.begin(), source.end());
      result.adopt_source_as_peer = true;
      result.path_id = header.path_id;
    } else if (outcome.repeated && negotiated_ && header.session_id == negotiated_->session_id) {
      last_heard_ = now;
    }
    return result;
  }

  if (!negotiated_ || header.session_id != negotiated_->session_id) {
    stats_.drops.Count(DropReason::kUnknownSession);
    if (responder_)
      result.reply_size = unknown_.OnUnknownSession(header, datagram.size(), now, reply);
    return result;
  }
  last_heard_ = now;
  if (responder_) {
    // The session id and path id identify the peer, not the source address:
    // NAT rebinding on cellular changes the source port mid-stream, and each
    // path of a multipath session comes from its own address.
    std::vector<uint8_t>& path_peer = path_peers_[header.path_id];
    if (!std::equal(source.begin(), source.end(), path_peer.begin(), path_peer.end())) {
      if (!path_peer.empty()) ++stats_.peer_address_changes;
      path_peer.assign(source.begin(), source.end());
      result.adopt_source_as_peer = true;
      result.path_id = header.path_id;
    }
  }
  bool shutdown = false;
  if (sender_) {
    sender_->OnPacket(*view, now);
    shutdown = sender_->stats().shutdown_received;
  } else if (receiver_) {
    receiver_->OnPacket(*view, now);
    shutdown = receiver_->stats().shutdown_received;
  }
  if (shutdown && receiver_) {
    // The sender is done: release what is held, then end (OnTimer).
    if (!drain_until_) {
      ++stats_.shutdowns_received;
      drain_until_ = now + negotiated_->latency;
    }
  } else if (shutdown) {
    ++stats_.shutdowns_received;
    if (initiator_) {
      // The listener went away in order; call again after a pause (it may be
      // restarting).
      EndSession();
      retry_at_ = now + kRejectHoldOff;
    } else {
      EndSession();
    }
  }
  return result;
}

void Connection::OnMedia(std::span<const uint8_t> payload, Time now, std::optional<Time> arrived) {
  if (!sender_) {
    ++stats_.media_not_connected;
    // A route keeps counting the input while it is down (ConnectionConfig::
    // origin), as a session would have numbered it (it takes no empty or
    // oversized payload).
    if (config_.origin && stream_continuity_ && !payload.empty() &&
        payload.size() <= kMaxDataPayload) {
      ++stream_continuity_->next_seq;
    }
    return;
  }
  sender_->OnMedia(payload, now, arrived);
}

void Connection::OnTimer(Time now) {
  if (drain_until_ && now >= *drain_until_) {
    receiver_->OnTimer(now);  // the last releases
    EndSession();
    if (initiator_) retry_at_ = now + kRejectHoldOff;
    return;
  }
  if (retry_at_ && now >= *retry_at_) {
    RestartCaller(now);
    return;
  }
  if (negotiated_ && !drain_until_ && now - last_heard_ >= config_.peer_timeout) {
    ++stats_.peer_timeouts;
    if (initiator_) {
      RestartCaller(now);
    } else {
      ++stats_.restarts;
      EndSession();
    }
    return;
  }
  if (initiator_ && !negotiated_ && !retry_at_) {
    // Several paths: each INDUCTION retry goes on the next path, so a path
    // that is down at startup does not keep the session from starting.
    if (config_.paths && config_.paths->path_count > 1 &&
        initiator_->state() == HandshakeState::kInducing && initiator_->NextWakeup() &&
        now >= *initiator_->NextWakeup()) {
      handshake_path_ = static_cast<uint8_t>((handshake_path_ + 1) % config_.paths->path_count);
    }
    SendInitiatorResult(initiator_->OnTimer(now, scratch_), now);
  }
  if (sender_) sender_->OnTimer(now);
  if (receiver_) receiver_->OnTimer(now);
}

std::optional<Time> Connection::NextWakeup() const {
  std::optional<Time> next;
  const auto earliest = [&next](std::optional<Time> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  earliest(retry_at_);
  earliest(drain_until_);
  if (negotiated_) earliest(last_heard_ + config_.peer_timeout);
  if (initiator_ && !negotiated_ && !retry_at_) earliest(initiator_->NextWakeup());
  if (sender_) earliest(sender_->NextWakeup());
  if (receiver_) earliest(receiver_->NextWakeup());
  return next;
}

void Connection::Close(Time now) {
  if (sender_) sender_->SendShutdown(kShutdownNormal, now);
  if (receiver_) receiver_->SendShutdown(kShutdownNormal, now);
}

HandshakeSessionLookup::Known Connection::FindById(uint32_t session_id) const {
  if (negotiated_ && negotiated_->session_id == session_id) return {&*negotiated_, peer_};
  return {};
}

const NegotiatedSession* Connection::FindByPeerAndStream(std::span<const uint8_t> peer,
                                                         std::string_view stream_id) const {
  if (negotiated_ && negotiated_->stream_id == stream_id &&
      std::equal(peer.begin(), peer.end(), peer_.begin(), peer_.end())) {
    return &*negotiated_;
  }
  return nullptr;
}

}  // namespace hitless::session
