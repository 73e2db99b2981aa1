// SenderSession: the publishing side of an established session, I/O-free.
//
// Media payloads become DATA packets (64-bit sequence, wire timestamp = the
// time the payload entered), a copy of each kept in the RetransmitBuffer for
// the latency window. NACKs from the receiver feed the RetransmitPolicy
// (deadline, once-per-RTT, bandwidth cap, last-chance copies: see
// transport/arq/retransmit_policy.h); REPORTs give the RTT (echo of a DATA
// timestamp), the receiver's loss figures and the loss rate the policy sizes
// its copies with; every REPORT is answered with a KEEPALIVE echo so the
// receiver learns the RTT too.
// State: next sequence, retransmit buffer + policy, RTT estimator, the
// latest receiver figures, stats. Timers: due retransmissions (policy),
// buffer expiry, and a keepalive after `keepalive_interval` of silence.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "fec/adaptive_policy.h"
#include "fec/fec.h"
#include "transport/arq/retransmit_buffer.h"
#include "transport/arq/retransmit_policy.h"
#include "transport/arq/rtt_estimator.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"
#include "transport/path/send_budget.h"
#include "transport/path/sender_paths.h"
#include "transport/session/session_io.h"
#include "transport/wire/header.h"
#include "transport/wire/nack.h"
#include "transport/wire/report.h"

namespace hitless::session {

struct SenderConfig {
  uint32_t session_id = 1;
  Duration latency = Duration::Milliseconds(120);  // negotiated end-to-end budget
  uint32_t initial_sequence = 0;                   // first DATA sequence (wire)
  uint8_t path_id = 0;
  Duration keepalive_interval = Duration::Seconds(1);
  // Loss rate assumed until the receiver reports one (sizes last-chance copies).
  double loss_prior = 0.05;
  arq::RetransmitPolicyConfig policy;  // latency is overridden by `latency`
  // Retransmit buffer slots (kMaxDatagramSize bytes each): starts at
  // buffer_capacity and doubles while the stream needs more to keep one
  // latency of packets, up to max_buffer_capacity (the memory cap: 2^17
  // slots = 197 MB holds 1 s of latency at 1.3 Gbit/s, 10 s at 130 Mbit/s).
  size_t buffer_capacity = 1024;
  size_t max_buffer_capacity = size_t{1} << 17;
  // Forward error correction (negotiated); nullopt = none.
  std::optional<FecEncoderConfig> fec;
  // Adaptive FEC (needs `fec`, Reed-Solomon): the policy sets fec's m and
  // interleave from the receiver's reports; its k and caps are the policy's.
  std::optional<AdaptiveFecConfig> fec_adaptive;
  // The receiver asks for retransmissions (negotiated ARQ): adaptive FEC
  // counts on ARQ rounds only then.
  bool arq = true;
  // Several paths (path ids 0..path_count-1): the scheduler picks each
  // packet's path(s) and probes every path (transport/path/sender_paths.h).
  // nullopt: one path, `path_id`.
  std::optional<path::SenderPathsConfig> paths;
  // The send budget of a single-path session (transport/path/send_budget.h):
  // retransmissions may use what the path carries beyond the media, FEC what
  // is left after both. Off: the fixed retransmission cap, FEC unbounded.
  bool send_budget = true;
  path::SendBudgetConfig budget;
  // An RTT measured before the session (the handshake's), if any.
  std::optional<Duration> initial_rtt;
  // Zero of the wire clock; nullopt: the session's start. A caller keeps
  // one per stream across session restarts (with initial_sequence following
  // on), so a relay sees one continuous stream through them.
  std::optional<Time> epoch;
  // A relay hop: DATA comes from OnForward with the origin's sequence
  // numbers and timestamps; KEEPALIVEs are the relayed form (the upstream
  // transit, docs/wire-format.md "Relayed streams") and the receiver echoes
  // them in its REPORTs, which gives this hop's RTT.
  bool relayed = false;
  // A relay hop's stream ring (relayed, one path): the payloads live there,
  // once for every hop; the session keeps only each packet's bookkeeping
  // and sends header and payload as two parts (DatagramSink::
  // SendDatagramParts), no copy of its own. nullptr: the session keeps a
  // copy of every datagram it sends.
  const PayloadStore* shared_payloads = nullptr;
};

// One packet of a relayed stream, as a relay hop sends it on.
struct ForwardedPacket {
  int64_t seq = 0;            // the stream's sequence (64-bit)
  uint32_t timestamp_us = 0;  // the origin's timestamp, as on the wire
  std::span<const uint8_t> payload;
  Time origin_time;  // the origin's input time on our clock (ARQ deadlines)
  // Filled late (upstream FEC or retransmission): sent flagged as a
  // retransmission, and not FEC-coded on this hop.
  bool late = false;
};

struct SenderStats {
  uint64_t media_in = 0;        // payloads accepted
  uint64_t media_rejected = 0;  // empty or larger than kMaxDataPayload
  uint64_t data_sent = 0;       // original DATA packets
  uint64_t data_bytes = 0;      // their datagram bytes
  uint64_t retransmitted = 0;   // retransmitted datagrams, copies included
  uint64_t retransmitted_bytes = 0;
  uint64_t nacks_received = 0;
  uint64_t reports_received = 0;
  uint64_t stale_reports = 0;  // older than one already seen (reordered)
  uint64_t keepalives_sent = 0;
  uint64_t fec_repairs_sent = 0;      // FEC_REPAIR packets
  uint64_t fec_bytes = 0;             // their datagram bytes
  uint64_t fec_reconfigurations = 0;  // adaptive FEC: (m, interleave) changes applied
  int fec_k = 0;                      // sources per block in use
  int fec_m = 0;                      // repairs per block in use (0: none)
  int fec_interleave = 0;
  // FEC repairs not sent because the send budget had no room for them.
  uint64_t fec_repairs_withheld = 0;
  // Shared store: a retransmission asked for a packet the stream's ring no
  // longer holds (not sent).
  uint64_t shared_missing = 0;
  // The session's first packets resent because the first REPORT showed the
  // receiver never got them (it cannot NACK what came before its first).
  uint64_t leading_resent = 0;
  // The last packets before the input paused (or ended), resent because a
  // REPORT an RTT later still did not count them (no later packet could
  // reveal them to the receiver).
  uint64_t trailing_resent = 0;
  // REPORTs counting DATA that reached the receiver after its release time.
  uint64_t late_reported = 0;
  bool shutdown_received = false;
  DropCounters drops;  // bad control packets, by reason
  // The receiver's latest REPORT (cumulative figures).
  std::optional<ReportBody> last_report;
};

class SenderSession : private FecRepairSink {
 public:
  SenderSession(const SenderConfig& config, Time now, DatagramSink* out);
  SenderSession(const SenderSession&) = delete;
  SenderSession& operator=(const SenderSession&) = delete;

  // Sends one media payload (1..kMaxDataPayload bytes; others are counted
  // and dropped) as a DATA packet now. `arrived`: when the payload reached
  // the input, if earlier than `now` (an input that batches its reads): the
  // packet is stamped with it, so the receiver plays it at arrival +
  // latency. Stamps never go backwards (clamped to the previous one).
  void OnMedia(std::span<const uint8_t> payload, Time now, std::optional<Time> arrived = {});
  // Relay hop (config.relayed): sends one packet of the relayed stream now,
  // keeping its sequence and timestamp. Sequences may skip (what the relay
  // never got) and a late one may fill a gap below the highest sent; one
  // already sent, or too far below to be kept, goes out but cannot be
  // repaired (counted rejected by the retransmit buffer).
  void OnForward(const ForwardedPacket& packet, Time now);
  // Relay hop: the origin-to-relay transit announced in KEEPALIVEs.
  void SetUpstreamTransit(Duration transit) { upstream_transit_ = transit; }
  // The DATA sequence the next OnMedia takes (a restarted session of the same
  // stream follows on from it).
  int64_t next_sequence() const { return next_seq_; }
  Time epoch() const { return epoch_; }
  // A datagram of this session from the receiver, header already parsed and
  // its session id checked. Handles NACK, REPORT, KEEPALIVE and SHUTDOWN;
  // anything else is counted as a drop.
  void OnPacket(const PacketView& packet, Time now);
  // Sends what is due: retransmissions, a keepalive.
  void OnTimer(Time now);
  std::optional<Time> NextWakeup() const;
  // Sends a SHUTDOWN to the receiver.
  void SendShutdown(uint8_t reason, Time now);

  const SenderStats& stats() const { return stats_; }
  const arq::RttEstimator& rtt() const { return rtt_; }
  const arq::RetransmitPolicyStats& policy_stats() const { return policy_.stats(); }
  // Retransmission requests waiting to be sent (the hop's repair queue).
  size_t retransmit_pending() const { return policy_.pending(); }
  double loss_rate() const { return loss_rate_; }
  const FecEncoder* fec_encoder() const { return fec_.get(); }
  const AdaptiveFecPolicy* fec_policy() const { return fec_policy_ ? &*fec_policy_ : nullptr; }
  const path::SenderPaths* paths() const { return paths_ ? &*paths_ : nullptr; }
  const path::SendBudget* budget() const { return budget_ ? &*budget_ : nullptr; }
  // Media rate (DATA bytes/s over the retransmit buffer's window).
  double media_rate(Time now) const { return buffer_.StreamRateBytesPerSecond(now); }
  const arq::RetransmitBufferStats& buffer_stats() const { return buffer_.stats(); }
  size_t buffer_slots() const { return buffer_.capacity(); }
  // Bytes of datagrams the retransmit buffer holds room for (0 with a
  // shared payload store: bookkeeping only).
  size_t buffer_memory_bytes() const { return buffer_.memory_bytes(); }
  size_t max_buffer_slots() const { return config_.max_buffer_capacity; }
  // Room for FEC (bytes/s) under the budget; nullopt: no budget yet.
  std::optional<double> fec_room() const { return fec_room_; }

 private:
  Header MakeHeader(PacketType type, Time now);
  void Send(std::span<const uint8_t> datagram, Time now);
  // A DATA header (in head_) and its payload from the shared store.
  void SendParts(size_t head_size, std::span<const uint8_t> payload, Time now);
  // Shared store: resends packet `seq` (flagged a retransmission); false if
  // the store no longer holds it.
  bool ResendShared(int64_t seq, Time now);
  // Sends `datagram` (in scratch_) on each path of `paths`, patching the
  // header's path id.
  void SendOnPaths(std::span<uint8_t> datagram, const path::PathList& paths, Time now);
  // A repair (retransmission, FEC) in scratch_: on the best path(s).
  void SendRepair(std::span<uint8_t> datagram, Time now);
  void SendProbes(Time now);
  void OnNack(std::span<const uint8_t> body, Time now);
  void OnReport(const PacketView& packet, Time now);
  void UpdateLinkEstimate();
  // Re-derives the repair and FEC rooms from the budget after a REPORT.
  void ApplyBudget(Time now);
  // Takes tokens for one FEC repair of `bytes`; false: no room (withhold).
  bool FecRoomFor(size_t bytes, Time now);
  double FecBucketDepth() const;
  // Adaptive FEC: installs the policy's decision when no block is open.
  void MaybeApplyFecDecision();
  // Retransmission rounds before the deadline for the FEC policy; -1: no ARQ.
  int ArqRounds() const;
  int64_t UnwrapOwn(uint32_t seq) const;
  // The first REPORT with data: resends the session's first packets if the
  // receiver's counts show it never got them (a receiver cannot know about
  // packets before the first it receives, so it never NACKs them).
  void ResendLeading(const ReportBody& report, Time now);
  // Every REPORT: resends the newest packets (at most kMaxTrailingResend)
  // when the receiver's highest is still below them 1.5 RTT + 10 ms after
  // they were sent (the input paused or ended: no later packet reveals
  // their loss). The policy checks deadline, budget and repeats.
  void ResendTrailing(const ReportBody& report, Time now);
  static constexpr int64_t kMaxLeadingResend = 64;
  static constexpr int64_t kMaxTrailingResend = 64;
  // Stores and sends a DATA datagram for `seq` (payload under `header`),
  // then codes it for FEC when `fec`.
  void SendData(const Header& header, int64_t seq, std::span<const uint8_t> payload, Time send_time,
                Time now, bool fec);
  // The body of a KEEPALIVE sent under `header` (relayed form on a relay
  // hop, whose timestamp is then remembered for RttEchoIsOurs).
  KeepaliveBody Keepalive(const Header& header, uint32_t probe_id, uint32_t echo_ts);
  // Relay hop: a REPORT's echo counts only if it is one of our recent
  // KEEPALIVE timestamps (until the receiver has seen one it echoes DATA
  // timestamps, which are the origin's clock, not ours).
  bool RttEchoIsOurs(uint32_t echo_ts) const;
  // FecRepairSink: a repair from the encoder goes out as FEC_REPAIR.
  void OnRepair(const FecRepair& repair) override;

  SenderConfig config_;
  DatagramSink* out_;
  Time epoch_;
  int64_t next_seq_;
  std::optional<int64_t> first_seq_;  // the first DATA of this session
  Time first_data_at_;                // when it was sent
  bool leading_checked_ = false;
  Time last_data_at_;      // when the newest sequence (next_seq_ - 1) was first sent
  Time last_media_stamp_;  // the newest DATA stamp (OnMedia's `arrived` never goes below it)
  Duration upstream_transit_;
  std::array<uint32_t, 16> keepalive_stamps_{};  // relay hop: recent KEEPALIVE timestamps
  size_t keepalive_stamp_next_ = 0;
  uint32_t control_seq_ = 0;
  uint32_t repair_seq_ = 0;
  std::unique_ptr<FecEncoder> fec_;
  std::optional<AdaptiveFecPolicy> fec_policy_;
  bool fec_decision_pending_ = false;
  Time fec_now_;  // `now` of the encoder call in progress
  arq::RetransmitBuffer buffer_;
  arq::RetransmitPolicy policy_;
  arq::RttEstimator rtt_;
  double loss_rate_;
  std::optional<ReportBody> previous_report_;
  int64_t loss_window_lost_ = 0;  // signed: reordering corrections
  int64_t loss_window_received_ = 0;
  int64_t loss_window_events_ = 0;
  double burst_packets_ = 1;  // smoothed mean loss-burst length
  Time last_sent_;
  std::vector<uint8_t> scratch_;
  std::array<uint8_t, kHeaderSize> head_{};  // shared store: the header part
  std::vector<arq::Retransmission> due_;
  std::vector<NackRange> wire_ranges_;  // a NACK as parsed (capacity reused)
  std::vector<arq::NackRange> ranges_;
  std::optional<path::SenderPaths> paths_;
  path::PathList path_list_;
  std::vector<std::pair<uint8_t, uint32_t>> probes_;
  std::optional<path::SendBudget> budget_;
  // Repair rates (bytes/s, smoothed between reports) and the FEC bucket.
  double retransmit_rate_ = 0;
  uint64_t rate_last_retransmitted_ = 0;
  Time rate_last_at_;
  std::optional<double> fec_room_;
  double fec_tokens_ = 0;
  Time fec_tokens_at_;
  SenderStats stats_;
};

}  // namespace hitless::session
