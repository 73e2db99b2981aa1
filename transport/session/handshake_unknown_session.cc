// UnknownSessionResponder: rate-limited REJECTs for unknown session ids.
#include "transport/session/handshake_unknown_session.h"

#include <algorithm>

#include "transport/base/bug.h"
#include "transport/session/handshake_common.h"
#include "transport/wire/handshake.h"

namespace hitless {

UnknownSessionResponder::UnknownSessionResponder(UnknownSessionResponderConfig config)
    : config_(config) {
  if (config_.interval <= Duration::Zero() || config_.burst < 1 || config_.version == 0) {
    HITLESS_BUG("UnknownSessionResponder: needs interval > 0, burst >= 1, version >= 1");
    config_ = UnknownSessionResponderConfig{};
  }
  budget_ = config_.interval * config_.burst;
}

bool UnknownSessionResponder::TakeToken(Time now) {
  const Duration cap = config_.interval * config_.burst;
  if (!refilled_once_) {
    refilled_once_ = true;
    last_refill_ = now;
  } else if (now > last_refill_) {
    // Clamp before adding so a long idle gap cannot overflow the budget.
    budget_ += std::min(now - last_refill_, cap);
    budget_ = std::min(budget_, cap);
    last_refill_ = now;
  }  // Time going backwards (it should not) refills nothing.
  if (budget_ < config_.interval) return false;
  budget_ -= config_.interval;
  return true;
}

size_t UnknownSessionResponder::OnUnknownSession(const Header& header, size_t datagram_size,
                                                 Time now, std::span<uint8_t> out) {
  if (header.type == PacketType::kHandshake || header.type == PacketType::kShutdown ||
      header.session_id == 0) {
    ++stats_.ignored;
    return 0;
  }
  HandshakeBody reply;
  reply.phase = HandshakePhase::kReject;
  reply.min_version = config_.version;
  reply.max_version = config_.version;
  reply.initiator_session_id = header.session_id;
  reply.reject_reason = kRejectSessionCollision;
  // Fixed size (no stream id): known before spending a token.
  if (kHeaderSize + kHandshakeFixedSize >= datagram_size) {
    ++stats_.too_small;
    return 0;
  }
  if (!TakeToken(now)) {
    ++stats_.rate_limited;
    return 0;
  }
  const size_t n =
      Serialize(MakeHandshakeHeader(header.session_id, 0, header.path_id, now), reply, out);
  if (n == 0) {
    HITLESS_BUG("unknown-session REJECT did not fit the output buffer");
    return 0;
  }
  ++stats_.rejects_sent;
  return n;
}

}  // namespace hitless
