// Types shared by the handshake state machines (handshake_initiator.h,
// handshake_responder.h, handshake_unknown_session.h): the negotiated result
// and small helpers for building HANDSHAKE packets.
// Protocol: docs/wire-format.md ("HANDSHAKE", "Handshake state machines").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "transport/base/time.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"

namespace hitless {

// What both ends agreed on; identical on both sides except
// peer_capabilities (each side's view of the other).
struct NegotiatedSession {
  uint32_t session_id = 0;  // the initiator session id; every later header carries it
  uint8_t version = kWireVersion;
  Duration latency;                  // max of both sides' latency, chosen by the responder
  uint16_t peer_capabilities = 0;    // the other side's kCap* bits as it sent them
  bool initiator_publishes = false;  // kCapPublish of the initiator: it sends the media
  std::string stream_id;
  FecConfig fec;           // chosen by the responder (kNone if it declined)
  uint8_t path_count = 0;  // 0: unspecified
  // The round trip this side measured during the handshake (RTT echo in the
  // HANDSHAKE body); nullopt if it could not be measured.
  std::optional<Duration> handshake_rtt;
  // Initiator only: the latency it had configured, when it raised its offer
  // because the measured path could not carry that budget (latency_floor.h).
  std::optional<Duration> raised_from;

  friend bool operator==(const NegotiatedSession&, const NegotiatedSession&) = default;
};

// A HANDSHAKE header for `session_id`, sent at `now` on `path_id`.
Header MakeHandshakeHeader(uint32_t session_id, uint32_t sequence, uint8_t path_id, Time now);

// The exact datagram size a parsed HANDSHAKE packet arrived as: header, fixed
// fields, stream id, padding, and the tag slot when encrypted. Replies to an
// unverified source must not exceed it.
size_t HandshakeDatagramSize(const Header& header, const HandshakeBody& body);

// The RTT an echo (HandshakeBody::echo_*) gives, measured at `now`; nullopt
// when the packet echoes nothing or the result is implausible (negative, or
// over 60 s).
std::optional<Duration> HandshakeEchoRtt(const HandshakeBody& body, Time now);

// The wire timestamp MakeHandshakeHeader puts on a packet sent at `now`.
uint32_t HandshakeTimestamp(Time now);

// Highest version in both [min_a, max_a] and [min_b, max_b], or 0 if none.
uint8_t HighestCommonVersion(uint8_t min_a, uint8_t max_a, uint8_t min_b, uint8_t max_b);

}  // namespace hitless
