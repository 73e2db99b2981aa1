// ReceiverSession: the receiving side of an established session, I/O-free.
//
// DATA from the sender is widened to 64-bit sequence and timestamp
// (SerialUnwrapper), recorded by the LossTracker (gaps, reorder tolerance,
// NACK schedule, deadlines) and held by the TsbpdBuffer, which releases each
// payload at its sender timestamp + latency on the local clock (drift
// tracked) and abandons what never arrived by then — the only true loss.
// Gaps get their deadline from the buffer's estimated release time. A REPORT
// goes to the sender every `report_interval` (highest sequence, cumulative
// loss figures, jitter, buffer level, echo of the latest DATA timestamp for
// the sender's RTT); the sender's KEEPALIVE echo of it gives our RTT, which
// paces re-NACKs and sets the buffer's transit estimate (min RTT / 2).
// State: the two unwrappers, loss tracker, jitter buffer, RTT estimator,
// interarrival jitter (RFC 3550 style), stats. Timers: NACKs (tracker),
// releases (buffer), reports.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "fec/decoder.h"
#include "fec/fec.h"
#include "jitter/tsbpd_buffer.h"
#include "transport/arq/loss_tracker.h"
#include "transport/arq/rtt_estimator.h"
#include "transport/base/drop_reason.h"
#include "transport/base/serial.h"
#include "transport/base/time.h"
#include "transport/path/receiver_paths.h"
#include "transport/session/session_io.h"
#include "transport/wire/header.h"
#include "transport/wire/nack.h"

namespace hitless::session {

struct ReceiverConfig {
  uint32_t session_id = 1;
  Duration latency = Duration::Milliseconds(120);  // negotiated end-to-end budget
  uint8_t path_id = 0;
  Duration report_interval = Duration::Milliseconds(20);
  arq::LossTrackerConfig loss;
  // Jitter buffer slots (1452 bytes each): starts small, doubles on demand
  // up to the maximum, the memory cap (rate x latency must fit: 2^17 slots =
  // 190 MB holds 1 s at 1.3 Gbit/s, 10 s at 130 Mbit/s; beyond, packets are
  // refused and counted buffer_full, and the apps say so), and halves after
  // 10 s of using under a quarter.
  size_t buffer_capacity = 8192;
  size_t max_buffer_capacity = size_t{1} << 17;
  // Play the stream out (MediaSink). False: a relay's source hop, whose
  // packets go on from the tap the moment they are accepted: the jitter
  // buffer keeps only timing (deadlines for NACKs), no payloads, and
  // releases go nowhere.
  bool playout = true;
  // Decode FEC_REPAIR packets (negotiated FEC); without it they are dropped.
  bool fec = false;
  // Ask for retransmissions (negotiated ARQ). Without, losses are still
  // tracked and reported but left to FEC: no NACK is sent.
  bool arq = true;
  // Per-path bookkeeping (multipath sessions: the packets' header path id).
  path::ReceiverPathsConfig paths;
  // An RTT measured before the session (the handshake's), if any: NACK
  // pacing and "is there time to repair this?" start from it.
  std::optional<Duration> initial_rtt;
  // Release window: one wake-up releases every packet due within it (the
  // wake comes window/2 after the first is due and releases those due up to
  // window/2 ahead), so each packet leaves within +-window/2 of its time and
  // a 100 Mbit/s stream costs one wake per window, not one per packet. A
  // gap's deadline moves up to window/2 earlier. Zero: each packet at its
  // time exactly (the simulator's default).
  Duration release_window = Duration::Zero();
};

struct ReceiverStats {
  uint64_t data_received = 0;  // DATA datagrams, every copy
  uint64_t data_bytes = 0;
  uint64_t bytes_received = 0;  // every datagram of the session (REPORT received_bytes)
  uint64_t late = 0;            // DATA that arrived after its release time
  uint64_t retransmissions_received = 0;
  uint64_t delivered = 0;  // payloads released to the application
  uint64_t delivered_bytes = 0;
  uint64_t lost = 0;        // abandoned at the deadline: residual loss
  uint64_t nacks_sent = 0;  // NACK packets
  uint64_t reports_sent = 0;
  uint64_t keepalives_received = 0;
  uint64_t fec_repairs_received = 0;
  uint64_t fec_recovered = 0;  // DATA rebuilt from FEC and accepted
  // Multipath: copies of a DATA packet already received on another path
  // (expected in duplicate mode; not counted as duplicate drops).
  uint64_t path_duplicates = 0;
  bool shutdown_received = false;
  Duration jitter;     // interarrival jitter estimate
  DropCounters drops;  // duplicates, too late, malformed...
};

class ReceiverSession : private jitter::TsbpdSink, private FecDecoderSink {
 public:
  ReceiverSession(const ReceiverConfig& config, Time now, DatagramSink* out, MediaSink* media);
  ReceiverSession(const ReceiverSession&) = delete;
  ReceiverSession& operator=(const ReceiverSession&) = delete;

  // A datagram of this session from the sender (header parsed, session id
  // checked): DATA, KEEPALIVE or SHUTDOWN; anything else is counted as a drop.
  void OnPacket(const PacketView& packet, Time now);
  // Releases due media, sends due NACKs and the periodic REPORT.
  void OnTimer(Time now);
  std::optional<Time> NextWakeup() const;
  // Supplies an RTT measured elsewhere (e.g. by the handshake).
  void SetRttSample(Duration rtt, Time now);
  void SendShutdown(uint8_t reason, Time now);
  // Every DATA the session accepts also goes to `tap` the moment it does
  // (cut-through; nullptr: none). Must outlive the session.
  void SetTap(StreamTap* tap) { tap_ = tap; }
  // When the stream's packet stamped `ts_us` (widened) entered at the
  // origin, on our clock; nullopt before the first packet.
  std::optional<Time> OriginTime(int64_t ts_us) const { return buffer_.drift().LocalTime(ts_us); }
  // The origin's input to our arrival, one way: what our hop and the hops
  // before it take (min RTT / 2 plus the relayed upstream transit).
  Duration origin_transit() const;
  // The sender is a relay hop (it said so in a relayed KEEPALIVE).
  bool relayed() const { return relayed_; }

  const ReceiverStats& stats() const { return stats_; }
  const arq::LossTrackerStats& loss_stats() const { return tracker_.stats(); }
  jitter::TsbpdStats buffer_stats() const { return buffer_.stats(); }
  size_t max_buffer_slots() const { return buffer_.config().max_capacity; }
  const arq::RttEstimator& rtt() const { return rtt_; }
  const FecDecoder* fec_decoder() const { return fec_.get(); }
  const path::ReceiverPaths& paths() const { return paths_; }
  // How long a gap waits for a reordered original before it is NACKed.
  Duration reorder_tolerance(Time now) const { return tracker_.ReorderTolerance(now); }

 private:
  void OnData(const PacketView& packet, Time now);
  void OnFecRepair(const PacketView& packet, Time now);
  // A DATA payload from the network (original or retransmission) or rebuilt
  // by FEC: loss tracking, jitter buffer, gap deadlines.
  void Accept(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload, Time now,
              arq::ArrivalOrigin origin, Duration path_excess = Duration::Zero());
  // Multipath: how much larger `path`'s minimum transit is than the smallest
  // of every path seen (zero with one path).
  Duration PathExcess(uint8_t path) const;
  void OnKeepalive(const PacketView& packet, Time now);
  void SetGapDeadlines(int64_t first, int64_t count);
  void SendNacks(Time now);
  void SendReport(Time now);
  // Sends a control datagram: on every live path in a multipath session
  // (`only_path` if set), else on config_.path_id.
  void SendControl(std::span<const uint8_t> datagram, Time now);
  // With one path seen: that path (config_.path_id before any packet).
  uint8_t SinglePath() const;
  // The live path with the smallest minimum transit (our RTT and NACK pacing
  // follow it); nullopt before any packet.
  std::optional<uint8_t> FastestPath(Time now) const;
  Header MakeHeader(PacketType type, Time now, uint8_t path_id);
  Header MakeHeader(PacketType type, Time now) { return MakeHeader(type, now, config_.path_id); }
  // jitter::TsbpdSink
  void OnRelease(const jitter::ReleasedPacket& packet) override;
  void OnSkip(int64_t first_seq, int64_t count) override;
  // FecDecoderSink
  void OnRecovered(const FecSource& packet) override;
  void OnUnrecoverable(int64_t) override {}  // ARQ goes on repairing it

  ReceiverConfig config_;
  DatagramSink* out_;
  MediaSink* media_;
  Time epoch_;
  Time release_now_;  // `now` of the PopReady in progress
  uint32_t control_seq_ = 0;
  SerialUnwrapper seq_unwrapper_;
  SerialUnwrapper ts_unwrapper_;
  arq::LossTracker tracker_;
  jitter::TsbpdBuffer buffer_;
  std::unique_ptr<FecDecoder> fec_;
  Time fec_now_;  // `now` of the decoder call in progress
  arq::RttEstimator rtt_;
  path::ReceiverPaths paths_;
  std::vector<uint8_t> live_paths_;
  Time next_report_;
  StreamTap* tap_ = nullptr;
  bool relayed_ = false;
  Duration upstream_transit_;  // relayed: the hops before the sender
  // Latest original DATA, echoed in reports for the sender's RTT.
  std::optional<uint32_t> echo_timestamp_;
  Time echo_received_;
  // RFC 3550 interarrival jitter state.
  std::optional<std::pair<Time, int64_t>> last_transit_;
  double jitter_ns_ = 0;
  std::vector<arq::NackRange> nacks_;
  std::vector<NackRange> wire_nacks_;  // nacks_ as sent (capacity reused)
  std::vector<uint8_t> scratch_;
  ReceiverStats stats_;
};

}  // namespace hitless::session
