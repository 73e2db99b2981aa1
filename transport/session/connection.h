// Connection: one end of a Hitless stream, I/O-free: the handshake (as
// caller or listener) plus, once established, a SenderSession or a
// ReceiverSession, with liveness and restarts.
//
// Roles: a caller runs a HandshakeInitiator towards a known address and
// retries forever; a listener answers with a HandshakeResponder (stateless
// cookies; one stream at a time) and learns its peer from the accepted
// CONCLUSION. Directions: this side sends the media (publisher) or receives
// it; a listener refuses a caller that wants the same direction.
// Restarts: a caller whose peer REJECTs its session (the listener
// restarted), sends SHUTDOWN, or goes silent for `peer_timeout` starts a new
// handshake with a new session id; a listener that sees a new CONCLUSION
// from the same peer and stream (the caller restarted) replaces the session.
// Each restart builds fresh session state (sequence and timestamp spaces
// start over) and is counted. A SHUTDOWN from the sender lets the receiver
// release what it still holds (one latency) before the session ends.
// State: the handshake machine, the current session, the peer's last sign of
// life, counters. Timers: the handshake's retries, the session's timers, the
// liveness deadline.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/base/drop_reason.h"
#include "transport/base/random.h"
#include "transport/base/time.h"
#include "transport/crypto/cookie.h"
#include "transport/session/handshake_initiator.h"
#include "transport/session/handshake_responder.h"
#include "transport/session/handshake_unknown_session.h"
#include "transport/session/receiver_session.h"
#include "transport/session/sender_session.h"
#include "transport/session/session_io.h"

namespace hitless::session {

enum class Role : uint8_t { kCaller, kListener };
enum class MediaDirection : uint8_t { kSend, kReceive };

struct ConnectionConfig {
  Role role = Role::kCaller;
  MediaDirection direction = MediaDirection::kSend;
  std::string stream_id;
  Duration latency = Duration::Milliseconds(120);  // offered; the larger side wins
  // Caller: refuse to start (initiator()->latency_refused()) instead of
  // raising a latency the measured path cannot carry (latency_floor.h).
  bool strict_latency = false;
  // Caller: the FEC offered. Listener: the FEC chosen when the caller offers
  // none (a caller's offer, if its codecs support it, always wins).
  FecConfig fec;
  // Retransmission (kCapArq): used when both sides have it on.
  bool arq = true;
  // Caller that publishes over several paths (path ids 0..path_count-1, in
  // order of preference): offered in the handshake, scheduled by the sender.
  // The handshake itself rotates over the paths until one answers. A
  // listener accepts every path of its session whatever this says.
  std::optional<path::SenderPathsConfig> paths;
  // Caller to a relay: the stream's publish or subscribe secret (only a
  // proof of it is sent; empty: none).
  std::string secret;
  // Publisher on several routes (one Connection per relay, each its own
  // session): every route numbers the same input the same way. Set: the
  // first session starts at `initial_sequence` with its clock zero at
  // `epoch`, and media offered while no session is up still takes its
  // sequence, so a session that starts later (or again) follows the input,
  // not where it stopped; every route's copy of a payload then carries the
  // same sequence and timestamp (given the same `arrived`), and a receiver
  // merges them. Unset: the first session starts at random and a restart
  // follows on from where the last one stopped.
  struct StreamOrigin {
    uint32_t initial_sequence = 0;
    Time epoch;
  };
  std::optional<StreamOrigin> origin;
  // Every ReceiverSession this connection creates taps its accepted DATA
  // here (a relay's upstream pull); nullptr: none. Must outlive it.
  StreamTap* tap = nullptr;
  // No packet from the peer for this long: the session is lost.
  Duration peer_timeout = Duration::Seconds(5);
  SenderConfig sender;           // session_id / latency / initial_sequence are set per session
  ReceiverConfig receiver;       // session_id / latency are set per session
  uint64_t seed = 1;             // session ids and initial sequences
  CookieSecret cookie_secret{};  // listener only
};

enum class ConnectionState : uint8_t { kHandshaking, kListening, kEstablished };

struct ConnectionStats {
  uint64_t sessions = 0;  // sessions established (first + restarts)
  uint64_t restarts = 0;  // sessions replaced (either side restarted or timed out)
  uint64_t peer_timeouts = 0;
  uint64_t shutdowns_received = 0;
  uint64_t direction_mismatch = 0;   // a caller that wanted our direction
  uint64_t busy_refused = 0;         // CONCLUSIONs from another caller while a session runs
  uint64_t media_not_connected = 0;  // media offered while no session (dropped)
  uint64_t peer_address_changes = 0;
  DropCounters drops;  // malformed, unknown session, ...
  std::optional<Time> established_at;
};

// What OnDatagram asks of the I/O layer besides sending session traffic.
struct DatagramResult {
  size_t reply_size = 0;  // bytes in `reply` to send back to the source
  // Session traffic on path `path_id` goes to this source from now on (each
  // path of a multipath session has its own peer address).
  bool adopt_source_as_peer = false;
  uint8_t path_id = 0;
};

class Connection : private HandshakeSessionLookup {
 public:
  // Errors: an invalid handshake configuration (stream id, latency).
  static absl::StatusOr<std::unique_ptr<Connection>> Create(const ConnectionConfig& config,
                                                            Time now, DatagramSink* out,
                                                            MediaSink* media);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() override;

  // A datagram from `source` (opaque address bytes, for cookies and peer
  // identity). `reply` (kMaxDatagramSize bytes) receives a handshake answer
  // for the source when reply_size > 0.
  DatagramResult OnDatagram(std::span<const uint8_t> datagram, std::span<const uint8_t> source,
                            Time now, std::span<uint8_t> reply);
  // One media payload to send (publisher only); dropped and counted while no
  // session is established. `arrived`: see SenderSession::OnMedia.
  void OnMedia(std::span<const uint8_t> payload, Time now, std::optional<Time> arrived = {});
  void OnTimer(Time now);
  std::optional<Time> NextWakeup() const;
  // Sends SHUTDOWN to the peer if a session is up.
  void Close(Time now);

  ConnectionState state() const;
  // When the current session's peer was last heard from.
  Time last_heard() const { return last_heard_; }
  Duration peer_timeout() const { return config_.peer_timeout; }
  const ConnectionStats& stats() const { return stats_; }
  const std::optional<NegotiatedSession>& negotiated() const { return negotiated_; }
  // The current session, or after it ended the most recent one (for stats).
  const SenderSession* sender() const { return sender_ ? sender_.get() : last_sender_.get(); }
  const ReceiverSession* receiver() const {
    return receiver_ ? receiver_.get() : last_receiver_.get();
  }
  const HandshakeInitiator* initiator() const { return initiator_.get(); }
  // Caller: the listener refused us for good (unknown stream, wrong secret,
  // stream busy: asking again gets the same answer); the reason, else 0.
  uint8_t final_reject() const;
  const HandshakeResponder* responder() const { return responder_.get(); }

 private:
  Connection(const ConnectionConfig& config, Time now, DatagramSink* out, MediaSink* media);
  void StartSession(const NegotiatedSession& session, Time now);
  void EndSession();
  void RestartCaller(Time now);
  void SendInitiatorResult(const HandshakeInitiatorResult& result, Time now);
  uint32_t NewSessionId();
  // HandshakeSessionLookup
  Known FindById(uint32_t session_id) const override;
  const NegotiatedSession* FindByPeerAndStream(std::span<const uint8_t> peer,
                                               std::string_view stream_id) const override;

  ConnectionConfig config_;
  DatagramSink* out_;
  MediaSink* media_;
  Random rng_;
  std::unique_ptr<HandshakeInitiator> initiator_;
  std::unique_ptr<HandshakeResponder> responder_;
  UnknownSessionResponder unknown_;
  std::optional<NegotiatedSession> negotiated_;
  std::vector<uint8_t> peer_;  // listener: source bytes of the session's peer (handshake path)
  // Listener: the source bytes last seen on each path of the session.
  std::array<std::vector<uint8_t>, kMaxPaths> path_peers_;
  uint8_t handshake_path_ = 0;  // caller: the path handshake packets go on
  std::unique_ptr<SenderSession> sender_;
  std::unique_ptr<ReceiverSession> receiver_;
  // The ended session, kept for its counters until the next one starts.
  std::unique_ptr<SenderSession> last_sender_;
  std::unique_ptr<ReceiverSession> last_receiver_;
  // A receiver whose peer said SHUTDOWN still releases what it holds: the
  // session ends when this time (shutdown + latency) comes.
  std::optional<Time> drain_until_;
  Time last_heard_;
  std::optional<Time> retry_at_;  // caller: re-handshake after a refusal
  // Publisher: where the ended session left the stream (the next follows on).
  struct StreamContinuity {
    int64_t next_seq;
    Time epoch;
  };
  std::optional<StreamContinuity> stream_continuity_;
  std::vector<uint8_t> scratch_;
  ConnectionStats stats_;
};

}  // namespace hitless::session
