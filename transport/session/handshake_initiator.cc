// HandshakeInitiator: request/retry logic of the calling side.
#include "transport/session/handshake_initiator.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/status/status.h"
#include "transport/base/bug.h"
#include "transport/crypto/stream_proof.h"
#include "transport/session/latency_floor.h"

namespace hitless {
namespace {

// Latency on the wire is whole milliseconds; round up so we never offer less.
uint32_t LatencyMs(Duration latency) {
  return static_cast<uint32_t>((latency.ToNanoseconds() + 999'999) / 1'000'000);
}

HandshakeInitiatorResult Sending(size_t send_size) {
  HandshakeInitiatorResult r;
  r.send_size = send_size;
  return r;
}

HandshakeInitiatorResult Reporting(HandshakeEvent event,
                                   std::optional<DropReason> drop = std::nullopt) {
  HandshakeInitiatorResult r;
  r.event = event;
  r.drop = drop;
  return r;
}

// Keeps `started_ + timeout` far from overflow.
constexpr Duration kMaxFiniteTimeout = Duration::Seconds(365 * 24 * 3600);

bool Retrying(HandshakeState s) {
  return s == HandshakeState::kInducing || s == HandshakeState::kConcluding;
}

}  // namespace

absl::StatusOr<HandshakeInitiator> HandshakeInitiator::Create(HandshakeInitiatorConfig config,
                                                              uint32_t session_id) {
  if (session_id == 0) return absl::InvalidArgumentError("initiator session id must be non-zero");
  if (config.latency < Duration::Zero() || LatencyMs(config.latency) > kMaxLatencyMs) {
    return absl::InvalidArgumentError("latency must be within 0..60 s");
  }
  if (config.min_version == 0 || config.min_version > config.max_version) {
    return absl::InvalidArgumentError("empty or invalid version range");
  }
  if (config.initial_retry <= Duration::Zero() || config.max_retry < config.initial_retry) {
    return absl::InvalidArgumentError("retry intervals must satisfy 0 < initial <= max");
  }
  if (config.timeout <= Duration::Zero() ||
      (!config.timeout.IsInfinite() && config.timeout > kMaxFiniteTimeout)) {
    return absl::InvalidArgumentError("timeout must be within 0..1 year, or Infinite");
  }
  HandshakeInitiator initiator(std::move(config), session_id);
  // The remaining rules (stream id, FEC, path count) are the wire's: check
  // that the CONCLUSION request we would send serializes.
  std::array<uint8_t, kMaxDatagramSize> scratch;
  const HandshakeBody body =
      initiator.RequestBody(HandshakePhase::kConclusionRequest, Time::Zero());
  if (Serialize(MakeHandshakeHeader(session_id, 0, initiator.config_.path_id, Time::Zero()), body,
                scratch) == 0) {
    return absl::InvalidArgumentError(
        "handshake request does not serialize: check stream id (<= 512 bytes, UTF-8), "
        "FEC config and path count (<= 8)");
  }
  return initiator;
}

HandshakeInitiator::HandshakeInitiator(HandshakeInitiatorConfig config, uint32_t session_id)
    : config_(std::move(config)),
      session_id_(session_id),
      offered_latency_(config_.latency),
      backoff_(config_.initial_retry) {}

HandshakeBody HandshakeInitiator::RequestBody(HandshakePhase phase, Time now) const {
  HandshakeBody b;
  b.phase = phase;
  b.min_version = config_.min_version;
  b.max_version = config_.max_version;
  b.capabilities = static_cast<uint16_t>((config_.capabilities & ~kCapPublish) |
                                         (config_.publish ? kCapPublish : 0));
  if (phase == HandshakePhase::kConclusionRequest) {
    b.cookie = cookie_;
    if (!config_.secret.empty()) {
      b.stream_proof = MakeStreamProof(
          config_.secret, cookie_, session_id_,
          config_.publish ? StreamRole::kPublish : StreamRole::kSubscribe, config_.stream_id);
    }
    b.echo_timestamp_us = induction_echo_timestamp_;
    b.echo_delay_us = static_cast<uint32_t>(
        std::clamp<int64_t>((now - induction_received_).ToMicroseconds(), 0, 60'000'000));
  }
  b.initiator_session_id = session_id_;
  b.latency_ms = LatencyMs(offered_latency_);
  b.fec = config_.fec;
  b.path_count = config_.path_count;
  b.stream_id = config_.stream_id;
  return b;
}

size_t HandshakeInitiator::SendRequest(Time now, std::span<uint8_t> out) {
  const bool inducing = state_ == HandshakeState::kInducing;
  const HandshakeBody body = RequestBody(
      inducing ? HandshakePhase::kInductionRequest : HandshakePhase::kConclusionRequest, now);
  const Header header =
      MakeHandshakeHeader(inducing ? 0 : session_id_, control_sequence_, config_.path_id, now);
  next_retry_ = now + backoff_;
  const size_t n = Serialize(header, body, out);
  if (n == 0) {
    HITLESS_BUG("handshake request did not fit the output buffer");
    return 0;
  }
  ++control_sequence_;
  ++attempts_;
  ++stats_.requests_sent;
  return n;
}

void HandshakeInitiator::EnterInducing(Time now) {
  state_ = HandshakeState::kInducing;
  cookie_ = {};
  backoff_ = config_.initial_retry;
  next_retry_ = now + backoff_;
  offered_latency_ = config_.latency;  // measured again on this exchange
  latency_refused_ = false;
}

void HandshakeInitiator::NoteRtt(std::optional<Duration> rtt) {
  // The smaller of the exchanges' samples: the least queued.
  if (rtt && (!handshake_rtt_ || *rtt < *handshake_rtt_)) handshake_rtt_ = rtt;
}

HandshakeInitiatorResult HandshakeInitiator::Drop(DropReason reason) {
  stats_.drops.Count(reason);
  HandshakeInitiatorResult r;
  r.drop = reason;
  return r;
}

HandshakeInitiatorResult HandshakeInitiator::Start(Time now, std::span<uint8_t> out) {
  if (state_ != HandshakeState::kIdle) return {};
  started_ = now;
  attempts_ = 0;
  EnterInducing(now);
  return Sending(SendRequest(now, out));
}

HandshakeInitiatorResult HandshakeInitiator::Restart(Time now, uint32_t new_session_id,
                                                     std::span<uint8_t> out) {
  if (new_session_id == 0) {
    HITLESS_BUG("Restart with session id 0");
    return {};
  }
  session_id_ = new_session_id;
  negotiated_.reset();
  handshake_rtt_.reset();
  reject_reason_ = 0;
  ++stats_.restarts;
  started_ = now;
  attempts_ = 0;
  EnterInducing(now);
  return Sending(SendRequest(now, out));
}

std::optional<Time> HandshakeInitiator::NextWakeup() const {
  if (!Retrying(state_)) return std::nullopt;
  if (config_.timeout.IsInfinite()) return next_retry_;
  return std::min(next_retry_, started_ + config_.timeout);
}

HandshakeInitiatorResult HandshakeInitiator::OnTimer(Time now, std::span<uint8_t> out) {
  if (!Retrying(state_)) return {};
  if (!config_.timeout.IsInfinite() && now - started_ >= config_.timeout) {
    state_ = HandshakeState::kTimedOut;
    return Reporting(HandshakeEvent::kTimedOut);
  }
  if (now < next_retry_) return {};
  backoff_ = std::min(backoff_ * 2, config_.max_retry);
  ++stats_.retransmissions;
  return Sending(SendRequest(now, out));
}

HandshakeInitiatorResult HandshakeInitiator::OnHandshake(const Header& header,
                                                         const HandshakeBody& body, Time now,
                                                         std::span<uint8_t> out) {
  if (header.type != PacketType::kHandshake || header.encrypted) {
    return Drop(DropReason::kBadField);
  }
  if (state_ == HandshakeState::kIdle || body.initiator_session_id != session_id_) {
    return Drop(DropReason::kUnknownSession);
  }
  // Our session id or 0 (answers to an INDUCTION request carry 0).
  if (header.session_id != 0 && header.session_id != session_id_) {
    return Drop(DropReason::kUnknownSession);
  }
  switch (body.phase) {
    case HandshakePhase::kInductionResponse:
      if (state_ != HandshakeState::kInducing) return Drop(DropReason::kDuplicate);
      return OnInductionResponse(header, body, now, out);
    case HandshakePhase::kConclusionResponse:
      if (header.session_id != session_id_) return Drop(DropReason::kUnknownSession);
      if (state_ != HandshakeState::kConcluding) return Drop(DropReason::kDuplicate);
      return OnConclusionResponse(body, now);
    case HandshakePhase::kReject:
      return OnReject(body);
    case HandshakePhase::kInductionRequest:
    case HandshakePhase::kConclusionRequest:
      break;
  }
  return Drop(DropReason::kBadField);  // requests go to responders
}

HandshakeInitiatorResult HandshakeInitiator::OnInductionResponse(const Header& header,
                                                                 const HandshakeBody& body,
                                                                 Time now, std::span<uint8_t> out) {
  if (HighestCommonVersion(config_.min_version, config_.max_version, body.min_version,
                           body.max_version) == 0) {
    state_ = HandshakeState::kRejected;
    reject_reason_ = kRejectVersion;
    stats_.drops.Count(DropReason::kBadVersion);
    return Reporting(HandshakeEvent::kRejected, DropReason::kBadVersion);
  }
  handshake_rtt_.reset();
  NoteRtt(HandshakeEchoRtt(body, now));
  if (handshake_rtt_) {
    // Latency feasibility: a budget the path cannot carry plays nothing.
    const LatencyFloor floor = LatencyFloorFor(*handshake_rtt_);
    if (config_.latency < floor.play) {
      if (config_.strict_latency) {
        state_ = HandshakeState::kRejected;
        reject_reason_ = kRejectLatency;
        latency_refused_ = true;
        return Reporting(HandshakeEvent::kRejected);
      }
      offered_latency_ = floor.play;
    }
  }
  induction_echo_timestamp_ = header.timestamp_us;
  induction_received_ = now;
  cookie_ = body.cookie;
  state_ = HandshakeState::kConcluding;
  backoff_ = config_.initial_retry;
  return Sending(SendRequest(now, out));
}

HandshakeInitiatorResult HandshakeInitiator::OnConclusionResponse(const HandshakeBody& body,
                                                                  Time now) {
  const uint8_t version = HighestCommonVersion(config_.min_version, config_.max_version,
                                               body.min_version, body.max_version);
  if (version == 0) {
    state_ = HandshakeState::kRejected;
    reject_reason_ = kRejectVersion;
    stats_.drops.Count(DropReason::kBadVersion);
    return Reporting(HandshakeEvent::kRejected, DropReason::kBadVersion);
  }
  negotiated_ = NegotiatedSession{
      .session_id = session_id_,
      .version = version,
      .latency = Duration::Milliseconds(body.latency_ms),
      .peer_capabilities = body.capabilities,
      .initiator_publishes = config_.publish,
      .stream_id = config_.stream_id,
      .fec = body.fec,
      .path_count = body.path_count,
      .handshake_rtt = std::nullopt,
      .raised_from = std::nullopt,
  };
  NoteRtt(HandshakeEchoRtt(body, now));
  negotiated_->handshake_rtt = handshake_rtt_;
  if (offered_latency_ > config_.latency) negotiated_->raised_from = config_.latency;
  state_ = HandshakeState::kEstablished;
  return Reporting(HandshakeEvent::kEstablished);
}

HandshakeInitiatorResult HandshakeInitiator::OnReject(const HandshakeBody& body) {
  // Only a CONCLUSION request draws a bad-cookie REJECT. Outside kConcluding
  // one is a late copy (we already fetched a new cookie, or got through with
  // a retry) and must neither end the attempt nor the established session.
  const bool bad_cookie = body.reject_reason == kRejectBadCookie;
  switch (state_) {
    case HandshakeState::kConcluding:
      ++stats_.rejects_received;
      if (bad_cookie) {
        // The cookie expired (or the source address changed): fetch a fresh
        // one when the retry timer fires, keeping the backoff so a responder
        // that keeps refusing cannot drive a request-reject loop at RTT pace.
        state_ = HandshakeState::kInducing;
        cookie_ = {};
        return {};
      }
      state_ = HandshakeState::kRejected;
      reject_reason_ = body.reject_reason;
      return Reporting(HandshakeEvent::kRejected);
    case HandshakeState::kInducing:
      if (bad_cookie) break;
      ++stats_.rejects_received;
      state_ = HandshakeState::kRejected;
      reject_reason_ = body.reject_reason;
      return Reporting(HandshakeEvent::kRejected);
    case HandshakeState::kEstablished:
      if (bad_cookie) break;
      ++stats_.rejects_received;
      state_ = HandshakeState::kPeerLost;
      reject_reason_ = body.reject_reason;
      return Reporting(HandshakeEvent::kPeerLost);
    case HandshakeState::kIdle:
    case HandshakeState::kRejected:
    case HandshakeState::kTimedOut:
    case HandshakeState::kPeerLost:
      break;
  }
  return Drop(DropReason::kDuplicate);
}

}  // namespace hitless
