// Relay: the I/O-free core of hitless-relay. One listening socket's worth of
// sessions (a session table keyed by session id behind one address), the
// stream registry, cut-through fan-out and upstream pulls. The daemon
// (relay_main.cc) only moves datagrams and time in and out.
//
// Roles follow direction: a caller that publishes (hitless-send, or a relay
// pushing on) feeds its stream through a ReceiverSession whose accepted DATA
// is tapped the moment it arrives (no jitter buffer on the forwarding path);
// a caller that receives (hitless-recv, or a downstream relay) gets a relayed
// SenderSession (config.relayed) that forwards every packet with the
// origin's sequence and timestamp and answers that subscriber's NACKs from
// the stream's shared ring (StreamRing: payloads kept once; the hop keeps
// only its bookkeeping and puts its own header on at send time). Each hop negotiates its own FEC,
// RTT and send budget. An upstream pull is a calling receiving Connection towards another relay; a
// stream may have a publisher and any number of pulls, merged first-copy-wins by sequence.
//
// The end-to-end budget: every subscriber hop announces the transit of the
// hops before it (its source's ReceiverSession::origin_transit()) in relayed
// KEEPALIVEs, so the last receiver plays each packet at origin input +
// latency (docs/wire-format.md, "Relayed streams").
//
// Recovery across hops: the relay NACKs its own gaps upstream (its source
// sessions do); a subscriber's NACK for a packet the relay never had is
// dropped by that subscriber's bookkeeping (counted, repairs_not_held), and
// when the repair reaches the relay it goes on, flagged a retransmission, to
// every subscriber that joined before it (none of them had it). An original
// that arrives out of order goes on as an original. Repairs from the ring go
// only to the subscriber that asked. Source hops keep timing only (their
// jitter buffer is the deadline oracle for their NACKs, no payloads).
//
// Continuity: a publisher that restarts its session keeps its sequence and
// clock (Connection); one that restarts as a new process (new sequence and
// clock) is mapped onto the stream's: its first packet follows on from the
// stream's highest, and its clock from the stream's last timestamp plus the
// time since (counted as a remap). Subscribers never see the jump.
//
// Access: per-stream publish and subscribe secrets, checked as HMAC proofs
// bound to the handshake cookie (transport/crypto/stream_proof.h); limits
// on streams, subscribers per stream, handshakes per second and memory per
// stream. Refusals are REJECTs with a reason, counted by reason. A second
// publisher of a live stream is held (no answer) for kPublisherHold and then
// refused busy; one whose predecessor went silent takes over (a restart).
//
// State: the handshake responder, sessions by id, streams by id, upstream
// connections, a lazy min-heap of session wake-ups (no scan of every
// session per timer). Timers: the heap's top, the upstreams'.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "transport/base/drop_reason.h"
#include "transport/base/min_heap.h"
#include "transport/base/random.h"
#include "transport/base/time.h"
#include "transport/crypto/cookie.h"
#include "transport/session/connection.h"
#include "transport/session/handshake_responder.h"
#include "transport/session/handshake_unknown_session.h"
#include "transport/session/receiver_session.h"
#include "transport/session/sender_session.h"
#include "transport/session/session_io.h"

namespace hitless::relay {

struct StreamConfig {
  std::string id;
  std::string publish_secret;    // empty: anyone may publish
  std::string subscribe_secret;  // empty: anyone may subscribe
  // The stream's end-to-end budget: every session of it runs at least this.
  std::optional<Duration> latency;
  friend bool operator==(const StreamConfig&, const StreamConfig&) = default;
};

struct RelayLimits {
  size_t max_streams = 64;
  size_t max_subscribers = 256;  // per stream
  // New handshakes (INDUCTION and CONCLUSION of unknown sessions) per
  // second, with a burst of as many; beyond, they are dropped unanswered.
  double handshakes_per_second = 200;
  // Retransmit and jitter memory one stream's sessions hold now (their
  // rings grow with rate x latency); a subscriber whose ring would take it
  // beyond is refused busy.
  size_t max_stream_memory_bytes = size_t{1} << 30;
  friend bool operator==(const RelayLimits&, const RelayLimits&) = default;
};

// A pull of `stream_id` from another relay (the daemon owns the socket and
// the address; the core knows it by index).
struct UpstreamConfig {
  std::string name;  // for metrics, e.g. "203.0.113.7:9000"
  std::string stream_id;
  std::string secret;  // the upstream's subscribe secret
  Duration latency = Duration::Milliseconds(120);
  friend bool operator==(const UpstreamConfig&, const UpstreamConfig&) = default;
};

struct RelayConfig {
  // No stream list: any stream id may be published and subscribed, without
  // secrets (the daemon says so at start).
  bool open = true;
  std::vector<StreamConfig> streams;
  RelayLimits limits;
  Duration latency = Duration::Milliseconds(120);  // sessions run at least this
  FecConfig fec;  // chosen for a caller that supports FEC but offers none
  Duration peer_timeout = Duration::Seconds(5);
  session::SenderConfig sender;      // template of subscriber hops
  session::ReceiverConfig receiver;  // template of publisher hops and pulls
  CookieSecret cookie_secret{};
  uint64_t seed = 1;
};

// Where the core's datagrams go.
class RelayIo {
 public:
  virtual ~RelayIo() = default;
  // To `peer` (opaque source bytes, as given to OnDatagram) from the
  // listening socket.
  virtual void SendTo(std::span<const uint8_t> datagram, std::span<const uint8_t> peer) = 0;
  // From upstream `index`'s socket to its relay.
  virtual void SendUpstream(size_t index, std::span<const uint8_t> datagram) = 0;
  // To `peer`, one datagram in two parts: a hop's header and a payload of a
  // stream ring, which stays valid until FlushSends (or the end of the
  // call into the core). The default joins them (SendTo).
  virtual void SendToParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                           std::span<const uint8_t> peer) {
    std::array<uint8_t, kMaxDatagramSize> joined;
    const auto datagram = session::DatagramSink::JoinParts(head, body, joined);
    if (!datagram.empty()) SendTo(datagram, peer);
  }
  // Sends what is queued now: a stream ring is about to move (or a payload
  // not in a ring was lent). Nothing to do for an I/O that sends at once.
  virtual void FlushSends() {}
};

// A local leg that reads a stream (the daemon's SRT callers): every packet
// the stream accepts, in the order it does (cut-through: reordered originals
// and repairs included), with the stream's origin-to-relay transit.
class LocalSubscriber {
 public:
  virtual ~LocalSubscriber() = default;
  virtual void OnStreamPacket(const session::StreamPacket& packet, Duration origin_transit,
                              Time now) = 0;
};

// Why a session left the relay.
enum class EvictReason : uint8_t {
  kTimeout,    // silent for peer_timeout
  kShutdown,   // it said SHUTDOWN
  kRestart,    // the same caller started a new session
  kTakeover,   // a new publisher replaced a silent one
  kReload,     // its stream left the configuration (SIGHUP)
  kRelayStop,  // the relay stops
  kCount,
};
std::string_view EvictReasonName(EvictReason r);

// Why a handshake was refused.
enum class RefuseReason : uint8_t {
  kUnknownStream,
  kUnauthorized,
  kPublisherBusy,   // the stream has a live publisher
  kSubscriberFull,  // max_subscribers
  kStreamsFull,     // max_streams
  kMemory,          // max_stream_memory_bytes
  kRateLimited,     // handshakes_per_second (dropped, not answered)
  kCount,
};
std::string_view RefuseReasonName(RefuseReason r);

struct SubscriberView {
  uint32_t session_id = 0;
  std::string peer;  // filled by the daemon's formatter (address text)
  std::span<const uint8_t> address;
  Time joined;
  uint64_t forwarded = 0;  // DATA handed to the session (originals and late fills)
  uint64_t forwarded_bytes = 0;
  uint64_t late_forwarded = 0;
  const session::SenderSession* session = nullptr;
};

struct StreamStats {
  uint64_t packets_in = 0;  // accepted from every source, first copies
  uint64_t bytes_in = 0;
  uint64_t duplicates = 0;    // a second copy (two sources, or a repair after the original)
  uint64_t too_old = 0;       // below the merge window
  uint64_t late_in = 0;       // first copies that were repairs (ARQ or FEC upstream)
  uint64_t reordered_in = 0;  // originals below the highest (reordered on the way)
  uint64_t forwarded = 0;     // packets handed to subscriber sessions
  uint64_t forwarded_bytes = 0;
  uint64_t remaps = 0;      // a new publisher process mapped onto the stream's sequence
  uint64_t publishers = 0;  // publisher sessions accepted
  uint64_t subscribers_joined = 0;
  // Packets the stream ring could not keep (at its cap, or a late fill whose
  // slot was taken): sent, but no hop can resend them.
  uint64_t ring_rejected = 0;
  // The origin's input to the relay: the source session's estimate (us).
  int64_t upstream_transit_us = 0;
};

struct RelayStats {
  uint64_t datagrams_in = 0;
  uint64_t bytes_in = 0;
  uint64_t sessions_accepted = 0;
  std::array<uint64_t, static_cast<size_t>(EvictReason::kCount)> evicted{};
  std::array<uint64_t, static_cast<size_t>(RefuseReason::kCount)> refused{};
  uint64_t publishers_held = 0;  // CONCLUSIONs held unanswered (kPublisherHold)
  uint64_t address_changes = 0;  // a session's packets from a new source (NAT)
  uint64_t reloads = 0;
  DropCounters drops;  // malformed, unknown session, ...
};

class Relay final : private HandshakeSessionLookup {
 public:
  // A second publisher of a live stream is held unanswered this long (it
  // retries), then refused busy; a silent publisher is replaced at once
  // after kTakeoverSilence.
  static constexpr Duration kPublisherHold = Duration::Seconds(3);
  static constexpr Duration kTakeoverSilence = Duration::Seconds(1);
  static constexpr int64_t kMergeWindow = 1 << 15;  // sequences remembered per stream

  // Errors: an invalid configuration (latency, limits, duplicate stream id).
  static absl::StatusOr<std::unique_ptr<Relay>> Create(const RelayConfig& config, Time now,
                                                       RelayIo* io);
  ~Relay() override;
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // A datagram that reached the listening socket from `source`.
  void OnDatagram(std::span<const uint8_t> datagram, std::span<const uint8_t> source, Time now);
  // A datagram that reached upstream `index`'s socket.
  void OnUpstreamDatagram(size_t index, std::span<const uint8_t> datagram,
                          std::span<const uint8_t> source, Time now);
  void OnTimer(Time now);
  std::optional<Time> NextWakeup() const;

  // SIGHUP: new streams, secrets and limits. Streams whose configuration
  // did not change keep running untouched; a removed stream's sessions are
  // told SHUTDOWN and evicted (kReload); a changed secret or latency evicts
  // nobody (sessions already proved the old one) but binds every new
  // handshake. Upstreams are the daemon's: AddUpstream / RemoveUpstream.
  // Errors: as Create (nothing changed then).
  absl::Status Reload(const RelayConfig& config, Time now);
  // Starts pulling `upstream`; returns its index (stable until a Reload
  // removes it).
  absl::StatusOr<size_t> AddUpstream(const UpstreamConfig& upstream, Time now);
  // Stops upstream `index` (SHUTDOWN to its relay); the index stays unused.
  void RemoveUpstream(size_t index, Time now);
  // Sends SHUTDOWN to every session and upstream; the relay is then empty.
  void Shutdown(Time now);

  // Local legs: the daemon's SRT callers (relay_local.cc), whose access the
  // daemon checks (their secret is the SRT passphrase). A local publisher
  // feeds payloads; the relay numbers and stamps them as hitless-send does
  // (the origin is their arrival here) and fans them out like a session
  // publisher's. Errors: FailedPrecondition (a closed relay that does not
  // configure the stream), ResourceExhausted (the stream has a live
  // publisher, or max_streams is reached).
  absl::StatusOr<uint32_t> AttachLocalPublisher(std::string_view stream_id, Time now);
  // One payload of 1..kMaxDataPayload bytes; others, and unknown or
  // reader handles, are ignored.
  void OnLocalMedia(uint32_t handle, std::span<const uint8_t> payload, Time now);
  // A local reader of the stream (`subscriber` must outlive the handle).
  // Errors: as AttachLocalPublisher (max_subscribers for a full stream).
  absl::StatusOr<uint32_t> AttachLocalSubscriber(std::string_view stream_id,
                                                 LocalSubscriber* subscriber);
  // Ends a local publisher or reader; unknown handles are ignored.
  void DetachLocal(uint32_t handle);
  // The budget a stream's sessions run at least: its configured latency or
  // the relay's.
  Duration StreamLatency(std::string_view stream_id) const;
  // Whether a handshake for `stream_id` could be admitted by name: a closed
  // relay serves configured streams only. Its secrets (empty: none).
  const StreamConfig* FindStreamConfig(std::string_view stream_id) const {
    return ConfigFor(stream_id);
  }
  bool open() const { return config_.open; }

  // For metrics and status.
  const RelayStats& stats() const { return stats_; }
  const HandshakeResponderStats& handshake_stats() const { return responder_->stats(); }
  const UnknownSessionResponderStats& unknown_session_stats() const { return unknown_.stats(); }
  size_t session_count() const { return peers_.size(); }
  size_t stream_count() const { return streams_.size(); }
  size_t upstream_count() const { return upstreams_.size(); }
  bool upstream_active(size_t index) const {
    return index < upstreams_.size() && upstreams_[index];
  }
  const session::Connection* upstream(size_t index) const;
  const UpstreamConfig* upstream_config(size_t index) const;

  struct StreamView {
    std::string_view id;
    bool configured = false;
    bool has_publisher = false;
    const session::ReceiverSession* publisher = nullptr;
    std::span<const uint8_t> publisher_address;
    Time publisher_since;
    const StreamStats* stats = nullptr;
    std::vector<SubscriberView> subscribers;
    Duration latency;
    // What the stream holds now (ring, publisher buffer, hops' bookkeeping)
    // and its shared ring's slots.
    size_t memory_bytes = 0;
    size_t ring_slots = 0;
    // Local legs (SRT callers): a publisher feeding the stream, readers.
    bool local_publisher = false;
    size_t local_subscribers = 0;
  };
  // Every stream, sorted by id.
  std::vector<StreamView> Streams() const;
  // A stream's subscriber sessions (tests).
  std::vector<const session::SenderSession*> Subscribers(std::string_view stream_id) const;
  const session::ReceiverSession* Publisher(std::string_view stream_id) const;
  const StreamStats* StreamStatsOf(std::string_view stream_id) const;

 private:
  struct Peer;
  struct Stream;
  struct Upstream;
  struct Source;
  class SourceTap;
  struct Wake {
    Time at;
    uint32_t session_id;
    friend bool operator<(const Wake& a, const Wake& b) {
      return a.at != b.at ? a.at < b.at : a.session_id < b.session_id;
    }
    friend bool operator>(const Wake& a, const Wake& b) { return b < a; }
  };

  Relay(const RelayConfig& config, Time now, RelayIo* io);
  void OnHandshake(const PacketView& view, std::span<const uint8_t> source, Time now,
                   size_t datagram_size);
  void Accept(NegotiatedSession session, std::span<const uint8_t> source, Time now);
  Stream& StreamFor(std::string_view id);
  const StreamConfig* ConfigFor(std::string_view id) const;
  void Evict(uint32_t session_id, EvictReason reason, Time now, bool tell_peer);
  void RemoveStreamIfIdle(const std::string& id);
  void Reschedule(Peer& peer);
  // A packet one of the stream's sources accepted: merge and fan out.
  void OnSourcePacket(Source& source, const session::StreamPacket& packet, Time now);
  bool TakeHandshakeToken(Time now);
  // A local leg may join `stream_id`: configured (or an open relay) and
  // within max_streams. Counts a refusal.
  absl::Status AdmitLocal(std::string_view stream_id);
  size_t StreamMemory(const Stream& stream) const;
  // HandshakeSessionLookup
  Known FindById(uint32_t session_id) const override;
  const NegotiatedSession* FindByPeerAndStream(std::span<const uint8_t> peer,
                                               std::string_view stream_id) const override;
  uint8_t Admit(std::span<const uint8_t> peer, const HandshakeBody& request,
                NegotiatedSession& session) const override;

  RelayConfig config_;
  RelayIo* io_;
  Random rng_;
  std::unique_ptr<HandshakeResponder> responder_;
  UnknownSessionResponder unknown_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<Peer>> peers_;
  absl::flat_hash_map<std::string, std::unique_ptr<Stream>> streams_;
  absl::flat_hash_map<uint32_t, std::string> local_legs_;  // handle -> stream id
  uint32_t next_local_ = 1;
  std::vector<std::unique_ptr<Upstream>> upstreams_;  // null: removed by a reload
  MinHeap<Wake> wakes_;
  // Second publishers being held: initiator session id -> first attempt.
  mutable absl::flat_hash_map<uint32_t, Time> held_publishers_;
  mutable std::optional<RefuseReason> last_refusal_;  // set by Admit
  Time now_;                                          // of the call in progress (Admit needs it)
  double handshake_tokens_;
  Time tokens_at_;
  std::vector<uint8_t> reply_;
  RelayStats stats_;
};

}  // namespace hitless::relay
