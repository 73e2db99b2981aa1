// HandshakeResponder: the listening side of the HANDSHAKE (a relay or a
// production-site receiver). I/O-free and stateless per peer: it answers one
// parsed HANDSHAKE packet at a time, given the source's opaque address bytes
// and `now`, into a caller buffer. Protocol and diagrams: docs/wire-format.md
// ("Handshake state machines").
//
// Events:  INDUCTION request -> INDUCTION response with a cookie; no state.
//          CONCLUSION request -> cookie, version, stream id checked, then a
//          CONCLUSION response and `accepted` for the owner to create the
//          session. A repeat for a session the owner holds (asked through
//          HandshakeSessionLookup) gets the same response again; a new
//          session id from the same peer for the same stream is a caller
//          restart (`replaces_previous`).
// Rules:   no reply is larger than the request it answers (asserted: an
//          unverified source can never amplify); REJECTs carry no stream id.
// State:   the cookie secret and stats only. No timers.
// Drops:   encrypted or non-request phases (kBadField), a header/body session
//          id mismatch (kBadField), a bad or expired cookie (kAuthFailed, with
//          a REJECT), no common version (kBadVersion, with a REJECT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"
#include "transport/crypto/cookie.h"
#include "transport/session/handshake_common.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"

namespace hitless {

constexpr uint8_t FecModeBit(FecMode mode) {
  const auto m = static_cast<uint8_t>(mode);
  return m < 8 ? static_cast<uint8_t>(1u << m) : 0;
}
inline constexpr uint8_t kAllFecModes =
    FecModeBit(FecMode::kXorRow) | FecModeBit(FecMode::kXorColumn) |
    FecModeBit(FecMode::kReedSolomon) | FecModeBit(FecMode::kXorRowColumn) |
    FecModeBit(FecMode::kReedSolomonAdaptive);

struct HandshakeResponderConfig {
  std::vector<std::string> accepted_stream_ids;    // empty: any stream id
  Duration latency = Duration::Milliseconds(120);  // own; the session uses max(own, offered)
  uint16_t capabilities = kCapArq | kCapFec;       // own kCap* bits (kCapPublish ignored)
  // FEC modes (FecModeBit) accepted when offered; an offer outside this set,
  // or any offer without kCapFec in `capabilities`, is answered with kNone.
  uint8_t supported_fec_modes = kAllFecModes;
  // Used when the initiator supports FEC (kCapFec) but offers none: the
  // listener's own choice, e.g. a listening sender protecting its stream.
  // An initiator's own offer always wins.
  FecConfig preferred_fec;
  uint8_t max_paths = kMaxPaths;  // offered path counts are capped to this
  uint8_t min_version = kWireVersion;
  uint8_t max_version = kWireVersion;
};

// The owner's session table, as the responder needs to see it. Consulted
// only for CONCLUSION requests whose cookie verified.
class HandshakeSessionLookup {
 public:
  struct Known {
    const NegotiatedSession* session = nullptr;  // nullptr: none
    std::span<const uint8_t> peer;               // the source it was set up from
  };

  virtual ~HandshakeSessionLookup() = default;
  // The session held under `session_id`, if any.
  virtual Known FindById(uint32_t session_id) const = 0;
  // The session (any id) set up from `peer` for `stream_id`, if any.
  virtual const NegotiatedSession* FindByPeerAndStream(std::span<const uint8_t> peer,
                                                       std::string_view stream_id) const = 0;
  // Admit's answer for "not now, and no answer": the request is dropped
  // unanswered (the caller retries), e.g. while a stream's live publisher
  // may be the one restarting.
  static constexpr uint8_t kAdmitHold = 0xFF;
  // Access and limits for a new session (not a repeat), after negotiation:
  // 0 admits it (the owner may adjust `session`, e.g. its stream's latency);
  // any other value is the kReject* reason it is refused with. `request`
  // carries the stream proof and the cookie it is bound to.
  virtual uint8_t Admit(std::span<const uint8_t> /*peer*/, const HandshakeBody& /*request*/,
                        NegotiatedSession& /*session*/) const {
    return 0;
  }
};

struct HandshakeResponderOutcome {
  size_t reply_size = 0;  // bytes written to `reply_out` to send back; 0: none
  // A new session to create (store it: a repeated request is answered from it).
  std::optional<NegotiatedSession> accepted;
  // The caller restarted: `accepted` replaces the owner's session
  // `replaced_session_id` with the same peer and stream (count a peer restart).
  bool replaces_previous = false;
  uint32_t replaced_session_id = 0;
  bool repeated = false;           // the reply repeats the response of an existing session
  uint8_t reject_reason = 0;       // non-zero: the reply is a REJECT with this reason
  std::optional<DropReason> drop;  // set if the request was discarded
};

struct HandshakeResponderStats {
  uint64_t induction_responses = 0;
  uint64_t accepted = 0;
  uint64_t repeated = 0;
  uint64_t peer_restarts = 0;
  uint64_t rejects_sent = 0;
  uint64_t refused_by_owner = 0;  // REJECTs chosen by HandshakeSessionLookup::Admit
  uint64_t held_by_owner = 0;     // CONCLUSIONs Admit held unanswered (kAdmitHold)
  DropCounters drops;
};

class HandshakeResponder {
 public:
  // `lookup` may be null (the owner holds no sessions) and must outlive the
  // responder. Errors (InvalidArgument): latency outside 0..kMaxLatencyMs,
  // an empty version range, max_paths > kMaxPaths.
  static absl::StatusOr<HandshakeResponder> Create(HandshakeResponderConfig config,
                                                   const CookieSecret& secret,
                                                   const HandshakeSessionLookup* lookup);

  // Answers one HANDSHAKE packet from `peer` (opaque source address bytes,
  // the same for every packet from that source). `reply_out` must hold
  // kMaxDatagramSize bytes. The reply goes back to `peer` on the path it
  // came from; it is never larger than the request.
  HandshakeResponderOutcome OnHandshake(std::span<const uint8_t> peer, const Header& header,
                                        const HandshakeBody& body, Time now,
                                        std::span<uint8_t> reply_out);

  const HandshakeResponderStats& stats() const { return stats_; }
  const HandshakeResponderConfig& config() const { return config_; }

 private:
  HandshakeResponder(HandshakeResponderConfig config, const CookieSecret& secret,
                     const HandshakeSessionLookup* lookup);

  HandshakeResponderOutcome OnInduction(std::span<const uint8_t> peer, const Header& header,
                                        const HandshakeBody& body, Time now,
                                        std::span<uint8_t> out);
  HandshakeResponderOutcome OnConclusion(std::span<const uint8_t> peer, const Header& header,
                                         const HandshakeBody& body, Time now,
                                         std::span<uint8_t> out);
  HandshakeResponderOutcome Reject(uint8_t reason, std::optional<DropReason> drop,
                                   const Header& header, const HandshakeBody& body, Time now,
                                   std::span<uint8_t> out);
  // Serializes a reply to `request`, refusing (HITLESS_BUG) one larger.
  size_t SendBounded(const Header& request_header, const HandshakeBody& request,
                     uint32_t reply_session_id, const HandshakeBody& reply, Time now,
                     std::span<uint8_t> out) const;
  HandshakeBody ConclusionResponse(const NegotiatedSession& session,
                                   const Header& request_header) const;
  NegotiatedSession Negotiate(const HandshakeBody& request, uint8_t version) const;
  bool StreamAccepted(std::string_view stream_id) const;
  HandshakeResponderOutcome Drop(DropReason reason);

  HandshakeResponderConfig config_;
  CookieMinter cookies_;
  const HandshakeSessionLookup* lookup_;
  HandshakeResponderStats stats_;
};

}  // namespace hitless
