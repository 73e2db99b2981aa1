// UnknownSessionResponder: answers packets for a session id the owner does
// not know (typically: the listener restarted and lost its sessions) with a
// REJECT (kRejectSessionCollision) for that id, so the caller re-handshakes at
// once instead of waiting for its liveness timeout. See docs/wire-format.md
// ("Handshake state machines").
//
// Rules:  never answers a HANDSHAKE or SHUTDOWN (no REJECT ping-pong); the
//         REJECT (64 bytes) must be strictly smaller than the offending
//         datagram, so small packets (KEEPALIVE, most NACKs) get no answer;
//         a token bucket caps all answers together (default 10/s, burst 10).
// State:  the token bucket. Timer: none (refills from `now`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "transport/base/time.h"
#include "transport/wire/header.h"

namespace hitless {

struct UnknownSessionResponderConfig {
  Duration interval = Duration::Milliseconds(100);  // one token per interval (10/s)
  int64_t burst = 10;                               // tokens held at most
  uint8_t version = kWireVersion;                   // advertised in the REJECT
};

struct UnknownSessionResponderStats {
  uint64_t rejects_sent = 0;
  uint64_t rate_limited = 0;
  uint64_t too_small = 0;  // the offending packet was not larger than a REJECT
  uint64_t ignored = 0;    // HANDSHAKE / SHUTDOWN, never answered
};

class UnknownSessionResponder {
 public:
  // `config.interval` must be positive, `config.burst` >= 1 and
  // `config.version` >= 1 (else
  // HITLESS_BUG and the defaults are used). The bucket starts full.
  explicit UnknownSessionResponder(UnknownSessionResponderConfig config = {});

  // `header` is the parsed header of a datagram of `datagram_size` bytes
  // whose session id the owner holds no state for. Writes a REJECT for that
  // session id into `out` (kMaxDatagramSize bytes) if allowed; returns its
  // size, or 0 if nothing is to be sent.
  size_t OnUnknownSession(const Header& header, size_t datagram_size, Time now,
                          std::span<uint8_t> out);

  const UnknownSessionResponderStats& stats() const { return stats_; }

 private:
  bool TakeToken(Time now);

  UnknownSessionResponderConfig config_;
  Duration budget_;  // accumulated tokens, in units of time (interval per token)
  Time last_refill_ = Time::Zero();
  bool refilled_once_ = false;
  UnknownSessionResponderStats stats_;
};

}  // namespace hitless
