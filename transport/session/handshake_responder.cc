// HandshakeResponder: stateless cookie exchange and negotiation.
#include "transport/session/handshake_responder.h"

#include <algorithm>
#include <ranges>
#include <utility>

#include "absl/status/status.h"
#include "transport/base/bug.h"

namespace hitless {

static_assert(kCookieMacSize == kCookieSize, "the cookie MAC fills the wire cookie field");

absl::StatusOr<HandshakeResponder> HandshakeResponder::Create(
    HandshakeResponderConfig config, const CookieSecret& secret,
    const HandshakeSessionLookup* lookup) {
  if (config.latency < Duration::Zero() || config.latency > Duration::Milliseconds(kMaxLatencyMs)) {
    return absl::InvalidArgumentError("latency must be within 0..60 s");
  }
  if (config.min_version == 0 || config.min_version > config.max_version) {
    return absl::InvalidArgumentError("empty or invalid version range");
  }
  if (config.max_paths > kMaxPaths) return absl::InvalidArgumentError("max_paths above 8");
  if (!ValidFecConfig(config.preferred_fec)) {
    return absl::InvalidArgumentError("preferred FEC configuration breaks the wire rules");
  }
  return HandshakeResponder(std::move(config), secret, lookup);
}

HandshakeResponder::HandshakeResponder(HandshakeResponderConfig config, const CookieSecret& secret,
                                       const HandshakeSessionLookup* lookup)
    : config_(std::move(config)), cookies_(secret), lookup_(lookup) {}

HandshakeResponderOutcome HandshakeResponder::Drop(DropReason reason) {
  stats_.drops.Count(reason);
  HandshakeResponderOutcome o;
  o.drop = reason;
  return o;
}

HandshakeResponderOutcome HandshakeResponder::OnHandshake(std::span<const uint8_t> peer,
                                                          const Header& header,
                                                          const HandshakeBody& body, Time now,
                                                          std::span<uint8_t> reply_out) {
  if (header.type != PacketType::kHandshake || header.encrypted) {
    return Drop(DropReason::kBadField);
  }
  switch (body.phase) {
    case HandshakePhase::kInductionRequest:
      return OnInduction(peer, header, body, now, reply_out);
    case HandshakePhase::kConclusionRequest:
      return OnConclusion(peer, header, body, now, reply_out);
    case HandshakePhase::kInductionResponse:
    case HandshakePhase::kConclusionResponse:
    case HandshakePhase::kReject:
      break;
  }
  return Drop(DropReason::kBadField);  // answers go to initiators
}

size_t HandshakeResponder::SendBounded(const Header& request_header, const HandshakeBody& request,
                                       uint32_t reply_session_id, const HandshakeBody& reply,
                                       Time now, std::span<uint8_t> out) const {
  // Stateless replies carry control sequence 0: there is no session counter yet.
  const Header header = MakeHandshakeHeader(reply_session_id, 0, request_header.path_id, now);
  const size_t n = Serialize(header, reply, out);
  if (n == 0) {
    HITLESS_BUG("handshake reply did not fit the output buffer");
    return 0;
  }
  if (n > HandshakeDatagramSize(request_header, request)) {
    // Anti-amplification: never answer with more bytes than were received.
    HITLESS_BUG("handshake reply larger than its request");
    return 0;
  }
  return n;
}

HandshakeResponderOutcome HandshakeResponder::Reject(uint8_t reason, std::optional<DropReason> drop,
                                                     const Header& header,
                                                     const HandshakeBody& body, Time now,
                                                     std::span<uint8_t> out) {
  HandshakeBody reply;
  reply.phase = HandshakePhase::kReject;
  reply.min_version = config_.min_version;
  reply.max_version = config_.max_version;
  reply.initiator_session_id = body.initiator_session_id;
  reply.reject_reason = reason;
  reply.echo_timestamp_us = header.timestamp_us;
  ++stats_.rejects_sent;
  if (drop) stats_.drops.Count(*drop);
  HandshakeResponderOutcome o;
  o.reply_size = SendBounded(header, body, header.session_id, reply, now, out);
  o.reject_reason = reason;
  o.drop = drop;
  return o;
}

HandshakeResponderOutcome HandshakeResponder::OnInduction(std::span<const uint8_t> peer,
                                                          const Header& header,
                                                          const HandshakeBody& body, Time now,
                                                          std::span<uint8_t> out) {
  if (HighestCommonVersion(config_.min_version, config_.max_version, body.min_version,
                           body.max_version) == 0) {
    return Reject(kRejectVersion, DropReason::kBadVersion, header, body, now, out);
  }
  HandshakeBody reply;
  reply.phase = HandshakePhase::kInductionResponse;
  reply.min_version = config_.min_version;
  reply.max_version = config_.max_version;
  reply.capabilities = static_cast<uint16_t>(config_.capabilities & ~kCapPublish);
  reply.cookie = cookies_.Mint(peer, body.initiator_session_id, CookieMinter::BucketOf(now));
  reply.initiator_session_id = body.initiator_session_id;
  reply.latency_ms = static_cast<uint32_t>(config_.latency.ToMilliseconds());
  reply.echo_timestamp_us = header.timestamp_us;  // answered at once: delay 0
  ++stats_.induction_responses;
  // Header session id 0: nothing is established, no state is kept.
  HandshakeResponderOutcome o;
  o.reply_size = SendBounded(header, body, 0, reply, now, out);
  return o;
}

bool HandshakeResponder::StreamAccepted(std::string_view stream_id) const {
  return config_.accepted_stream_ids.empty() ||
         std::ranges::find(config_.accepted_stream_ids, stream_id) !=
             config_.accepted_stream_ids.end();
}

NegotiatedSession HandshakeResponder::Negotiate(const HandshakeBody& request,
                                                uint8_t version) const {
  const uint32_t own_ms = static_cast<uint32_t>(config_.latency.ToMilliseconds());
  const bool fec_ok = (config_.capabilities & kCapFec) != 0 &&
                      (config_.supported_fec_modes & FecModeBit(request.fec.mode)) != 0;
  const bool use_preferred = request.fec.mode == FecMode::kNone &&
                             (config_.capabilities & request.capabilities & kCapFec) != 0;
  return NegotiatedSession{
      .session_id = request.initiator_session_id,
      .version = version,
      .latency = Duration::Milliseconds(std::max(own_ms, request.latency_ms)),
      .peer_capabilities = request.capabilities,
      .initiator_publishes = (request.capabilities & kCapPublish) != 0,
      .stream_id = request.stream_id,
      .fec = use_preferred ? config_.preferred_fec
             : fec_ok      ? request.fec
                           : FecConfig{},
      .path_count = std::min(request.path_count, config_.max_paths),
      .handshake_rtt = std::nullopt,
      .raised_from = std::nullopt,
  };
}

HandshakeBody HandshakeResponder::ConclusionResponse(const NegotiatedSession& session,
                                                     const Header& request_header) const {
  HandshakeBody reply;
  reply.phase = HandshakePhase::kConclusionResponse;
  reply.min_version = session.version;
  reply.max_version = session.version;
  reply.capabilities = static_cast<uint16_t>(config_.capabilities & ~kCapPublish);
  reply.initiator_session_id = session.session_id;
  reply.latency_ms = static_cast<uint32_t>(session.latency.ToMilliseconds());
  reply.fec = session.fec;
  reply.path_count = session.path_count;
  reply.stream_id = session.stream_id;
  reply.echo_timestamp_us = request_header.timestamp_us;  // the initiator's RTT
  return reply;
}

HandshakeResponderOutcome HandshakeResponder::OnConclusion(std::span<const uint8_t> peer,
                                                           const Header& header,
                                                           const HandshakeBody& body, Time now,
                                                           std::span<uint8_t> out) {
  const uint32_t id = body.initiator_session_id;
  if (header.session_id != id) return Drop(DropReason::kBadField);
  if (!cookies_.Verify(peer, id, body.cookie, now)) {
    return Reject(kRejectBadCookie, DropReason::kAuthFailed, header, body, now, out);
  }
  // From here on the peer is verified: it receives at its address.
  const uint8_t version = HighestCommonVersion(config_.min_version, config_.max_version,
                                               body.min_version, body.max_version);
  if (version == 0) return Reject(kRejectVersion, DropReason::kBadVersion, header, body, now, out);
  if (!StreamAccepted(body.stream_id)) {
    return Reject(kRejectUnknownStream, std::nullopt, header, body, now, out);
  }

  if (lookup_ != nullptr) {
    const HandshakeSessionLookup::Known known = lookup_->FindById(id);
    if (known.session != nullptr) {
      if (!std::ranges::equal(known.peer, peer) || known.session->stream_id != body.stream_id) {
        return Reject(kRejectSessionCollision, std::nullopt, header, body, now, out);
      }
      // Our response was lost: say the same thing again.
      ++stats_.repeated;
      HandshakeResponderOutcome o;
      o.reply_size =
          SendBounded(header, body, id, ConclusionResponse(*known.session, header), now, out);
      o.repeated = true;
      return o;
    }
  }

  NegotiatedSession session = Negotiate(body, version);
  // The CONCLUSION request echoes our INDUCTION response: our RTT.
  session.handshake_rtt = HandshakeEchoRtt(body, now);
  if (lookup_ != nullptr) {
    if (const uint8_t reason = lookup_->Admit(peer, body, session); reason != 0) {
      if (reason == HandshakeSessionLookup::kAdmitHold) {
        ++stats_.held_by_owner;
        return HandshakeResponderOutcome{};
      }
      ++stats_.refused_by_owner;
      return Reject(reason, std::nullopt, header, body, now, out);
    }
  }
  HandshakeResponderOutcome outcome;
  if (lookup_ != nullptr) {
    const NegotiatedSession* previous = lookup_->FindByPeerAndStream(peer, body.stream_id);
    if (previous != nullptr && previous->session_id != id) {
      outcome.replaces_previous = true;
      outcome.replaced_session_id = previous->session_id;
      ++stats_.peer_restarts;
    }
  }
  outcome.reply_size = SendBounded(header, body, id, ConclusionResponse(session, header), now, out);
  outcome.accepted = std::move(session);
  ++stats_.accepted;
  return outcome;
}

}  // namespace hitless
