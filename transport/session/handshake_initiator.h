// HandshakeInitiator: the calling side of the HANDSHAKE (e.g. a venue encoder
// behind NAT calling out to a relay). I/O-free: it takes parsed packets and
// `now`, writes the datagram to send into a caller buffer and says when to be
// woken next. Protocol and diagrams: docs/wire-format.md ("Handshake state
// machines").
//
// States:  kIdle -Start-> kInducing -INDUCTION response-> kConcluding
//          -CONCLUSION response-> kEstablished.
//          kInducing/kConcluding -REJECT-> kRejected (REJECT bad-cookie while
//          concluding: back to kInducing for a fresh cookie);
//          kInducing/kConcluding -overall timeout-> kTimedOut;
//          kEstablished -REJECT for our session id-> kPeerLost (the listener
//          lost the session, e.g. it restarted). A bad-cookie REJECT outside
//          kConcluding is a late copy and dropped (kDuplicate).
//          Restart(now, new id) from any state -> kInducing (counts a restart).
// Timer:   the retransmission of the current request: first after
//          initial_retry, doubling up to max_retry, forever unless `timeout`
//          is finite (measured from Start / Restart).
// Drops:   replies for another session id (kUnknownSession), for a phase we
//          are not in (kDuplicate: a late copy of an earlier answer), request
//          phases or encrypted handshakes (kBadField), an unusable version
//          (kBadVersion). Counted in stats().drops and returned.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"
#include "transport/session/handshake_common.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"

namespace hitless {

struct HandshakeInitiatorConfig {
  std::string stream_id;                           // UTF-8, <= kMaxStreamIdSize bytes
  Duration latency = Duration::Milliseconds(120);  // offered; 0..kMaxLatencyMs
  // Latency feasibility (latency_floor.h), checked with the RTT measured on
  // the INDUCTION exchange: a latency below the path's play floor is raised
  // to it in the CONCLUSION offer (negotiated().raised_from says so), or,
  // when strict, the attempt ends kRejected with reason kRejectLatency
  // (latency_refused() set) and nothing more is sent.
  bool strict_latency = false;
  bool publish = true;  // this side sends the media (sets kCapPublish)
  // kCap* bits offered besides kCapPublish (which `publish` controls).
  uint16_t capabilities = kCapArq | kCapFec;
  FecConfig fec;           // offered
  uint8_t path_count = 1;  // offered, 0..kMaxPaths
  uint8_t min_version = kWireVersion;
  uint8_t max_version = kWireVersion;
  uint8_t path_id = 0;  // header path id of handshake packets
  // The stream's publish (or subscribe) secret at a relay; empty: none. Only
  // a proof derived from it and the responder's cookie is sent.
  std::string secret;
  Duration initial_retry = Duration::Milliseconds(100);
  Duration max_retry = Duration::Seconds(1);
  // Give up (kTimedOut) this long after Start/Restart. Infinite (the default,
  // for live video callers): retry forever at max_retry.
  Duration timeout = Duration::Infinite();
};

enum class HandshakeState : uint8_t {
  kIdle,
  kInducing,
  kConcluding,
  kEstablished,
  kRejected,
  kTimedOut,
  kPeerLost,
};

// What an event changed, for the owner to act on.
enum class HandshakeEvent : uint8_t {
  kNone,
  kEstablished,  // negotiated() is set: create the session
  kRejected,     // reject_reason() says why; Restart() to try again
  kTimedOut,     // the finite timeout passed; Restart() to try again
  kPeerLost,     // REJECT for the established session: tear it down, Restart()
};

struct HandshakeInitiatorResult {
  size_t send_size = 0;  // bytes written to `out` to send now; 0: nothing
  HandshakeEvent event = HandshakeEvent::kNone;
  std::optional<DropReason> drop;  // set if the packet was discarded
};

struct HandshakeInitiatorStats {
  uint64_t requests_sent = 0;    // INDUCTION + CONCLUSION requests, all attempts
  uint64_t retransmissions = 0;  // of those, timer-driven resends
  uint64_t restarts = 0;         // Restart() calls
  uint64_t rejects_received = 0;
  DropCounters drops;
};

class HandshakeInitiator {
 public:
  // Validates `config` and `session_id` (non-zero, random). Errors
  // (InvalidArgument): session id 0, stream id too long or not UTF-8,
  // latency outside 0..kMaxLatencyMs, path count > kMaxPaths, an FEC config
  // its mode does not allow, an empty version range, non-positive retry
  // intervals, max_retry < initial_retry, or a timeout that is not positive
  // and either Infinite or at most a year.
  static absl::StatusOr<HandshakeInitiator> Create(HandshakeInitiatorConfig config,
                                                   uint32_t session_id);

  // `out` must hold kMaxDatagramSize bytes (a smaller buffer is a caller bug:
  // HITLESS_BUG, nothing sent). Every call returns at most one datagram.

  // kIdle -> kInducing: writes the first INDUCTION request. Does nothing in
  // any other state (use Restart).
  HandshakeInitiatorResult Start(Time now, std::span<uint8_t> out);

  // Handles a parsed HANDSHAKE packet from the responder. May write the
  // CONCLUSION request (after an INDUCTION response) and report a state
  // change; a bad-cookie REJECT while concluding re-inducts at the next timer.
  HandshakeInitiatorResult OnHandshake(const Header& header, const HandshakeBody& body, Time now,
                                       std::span<uint8_t> out);

  // Call when now >= NextWakeup(): resends the current request (backing
  // off), or reports kTimedOut. Harmless at any other time.
  HandshakeInitiatorResult OnTimer(Time now, std::span<uint8_t> out);

  // Starts over with `new_session_id` (non-zero; 0 is a caller bug:
  // HITLESS_BUG, nothing changes) from any state: drops the negotiated
  // session and the cookie, resets the backoff and the timeout, counts a
  // restart and writes an INDUCTION request.
  HandshakeInitiatorResult Restart(Time now, uint32_t new_session_id, std::span<uint8_t> out);

  // When OnTimer must next run; nullopt when no timer is armed.
  std::optional<Time> NextWakeup() const;

  HandshakeState state() const { return state_; }
  uint32_t session_id() const { return session_id_; }
  // Set in kEstablished (and kept in kPeerLost until Restart).
  const std::optional<NegotiatedSession>& negotiated() const { return negotiated_; }
  // The REJECT reason in kRejected / kPeerLost, else 0.
  uint8_t reject_reason() const { return reject_reason_; }
  // The RTT measured on the latest handshake exchange (nullopt before).
  std::optional<Duration> handshake_rtt() const { return handshake_rtt_; }
  // True when a strict latency check ended the attempt (kRejected).
  bool latency_refused() const { return latency_refused_; }
  // Requests sent since the last Start/Restart (first send included).
  uint32_t attempts() const { return attempts_; }
  const HandshakeInitiatorStats& stats() const { return stats_; }
  const HandshakeInitiatorConfig& config() const { return config_; }

 private:
  HandshakeInitiator(HandshakeInitiatorConfig config, uint32_t session_id);

  HandshakeBody RequestBody(HandshakePhase phase, Time now) const;
  // Writes the request for the current state and arms the retry timer.
  size_t SendRequest(Time now, std::span<uint8_t> out);
  void EnterInducing(Time now);
  HandshakeInitiatorResult Drop(DropReason reason);
  HandshakeInitiatorResult OnInductionResponse(const Header& header, const HandshakeBody& body,
                                               Time now, std::span<uint8_t> out);
  HandshakeInitiatorResult OnConclusionResponse(const HandshakeBody& body, Time now);
  void NoteRtt(std::optional<Duration> rtt);
  HandshakeInitiatorResult OnReject(const HandshakeBody& body);

  HandshakeInitiatorConfig config_;
  uint32_t session_id_;
  HandshakeState state_ = HandshakeState::kIdle;
  std::array<uint8_t, kCookieSize> cookie_{};
  std::optional<NegotiatedSession> negotiated_;
  uint8_t reject_reason_ = 0;
  uint32_t control_sequence_ = 0;  // header sequence of handshake packets
  uint32_t attempts_ = 0;
  Duration offered_latency_;  // config latency, or the play floor it was raised to
  std::optional<Duration> handshake_rtt_;
  bool latency_refused_ = false;
  // The INDUCTION response's header timestamp and arrival, echoed in the
  // CONCLUSION request so the responder measures the RTT too.
  uint32_t induction_echo_timestamp_ = 0;
  Time induction_received_;
  Time started_;     // Start / Restart, for the overall timeout
  Time next_retry_;  // valid in kInducing / kConcluding
  Duration backoff_;
  HandshakeInitiatorStats stats_;
};

}  // namespace hitless
