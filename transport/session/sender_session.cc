#include "transport/session/sender_session.h"

#include <algorithm>
#include <cmath>

#include "transport/base/bug.h"
#include "transport/base/serial.h"
#include "transport/wire/control.h"
#include "transport/wire/data.h"
#include "transport/wire/fec_repair.h"
#include "transport/wire/nack.h"
#include "transport/wire/wire_error.h"

namespace hitless::session {
namespace {

// Packets a loss-rate sample covers (a 1% step resolves to within ~0.3%).
constexpr double kLossWindowPackets = 1000;
// FEC room before the path's capacity is known, where FEC is the only
// repair: 50% of the media (the adaptive policy's cap is 10 of 20).
constexpr double kFecOnlyHeadroom = 0.5;

arq::RetransmitPolicyConfig PolicyConfig(const SenderConfig& config) {
  arq::RetransmitPolicyConfig policy = config.policy;
  policy.latency = config.latency;
  if (config.paths && config.paths->path_count > 1) {
    // A path that fails takes with it everything sent on it until the
    // failure is noticed (down_after plus a report interval or two): that
    // burst must go again at once on the other paths, not trickle out at the
    // cap rate past its deadline.
    policy.bucket_depth = std::max(policy.bucket_depth, Duration::Milliseconds(400));
  }
  return policy;
}

// A relay hop whose payloads live in the stream's shared ring (one path:
// the header part carries the path id).
bool SharesPayloads(const SenderConfig& config) {
  return config.shared_payloads != nullptr && config.relayed &&
         !(config.paths && config.paths->path_count > 1);
}

arq::RetransmitBufferConfig BufferConfig(const SenderConfig& config) {
  // Kept for the latency window: a retransmission sent later than send time +
  // latency cannot arrive before the receiver releases the packet.
  return arq::RetransmitBufferConfig{.capacity = config.buffer_capacity,
                                     .max_capacity = config.max_buffer_capacity,
                                     .slot_bytes = SharesPayloads(config) ? 0 : kMaxDatagramSize,
                                     .retention = config.latency};
}

}  // namespace

SenderSession::SenderSession(const SenderConfig& config, Time now, DatagramSink* out)
    : config_(config),
      out_(out),
      // Timestamp 0 means "no echo": the clock starts 1 ms in.
      epoch_(config.epoch.value_or(now - Duration::Milliseconds(1))),
      next_seq_(config.initial_sequence),
      buffer_(BufferConfig(config)),
      policy_(PolicyConfig(config), &buffer_),
      loss_rate_(config.loss_prior),
      last_sent_(now),
      scratch_(kMaxDatagramSize) {
  wire_ranges_.reserve(kMaxNackRanges);
  ranges_.reserve(kMaxNackRanges);
  due_.reserve(1024);  // retransmissions due at one wake-up; grows only past it
  if (config.paths) {
    if (path::ValidSenderPathsConfig(*config.paths)) {
      paths_.emplace(*config.paths, now);
      path_list_.reserve(kMaxPaths);
      probes_.reserve(kMaxPaths);
    } else {
      HITLESS_BUG("SenderSession: invalid multipath configuration (validate it before)");
    }
  }
  if (config.send_budget && !paths_) budget_.emplace(config.budget);
  if (config.initial_rtt) rtt_.OnSample(*config.initial_rtt, now);
  rate_last_at_ = now;
  fec_tokens_at_ = now;
  UpdateLinkEstimate();
  if (config.fec && config.fec_adaptive) {
    fec_policy_.emplace(*config.fec_adaptive, now);
    fec_decision_pending_ = true;
    MaybeApplyFecDecision();
  } else if (config.fec) {
    auto encoder = CreateFecEncoder(*config.fec);
    if (encoder.ok()) {
      fec_ = *std::move(encoder);
      const bool rs = config.fec->mode == FecCodec::kReedSolomon;
      stats_.fec_k = rs ? config.fec->k : config.fec->columns;
      stats_.fec_m = rs ? config.fec->m : 1;
      stats_.fec_interleave = config.fec->interleave;
    } else {
      HITLESS_BUG("SenderSession: invalid FEC configuration (validate it before)");
    }
  }
}

int SenderSession::ArqRounds() const {
  // Round trips left once a loss is detected (half an RTT after sending):
  // ceil((latency - RTT/2) / RTT) - 1; 0 until an RTT is measured.
  if (!config_.arq) return -1;
  if (!rtt_.has_sample()) return 0;
  const double rtt = std::max(rtt_.srtt().ToMillisecondsF(), 0.001);
  const double rounds = (config_.latency.ToMillisecondsF() - rtt / 2) / rtt;
  return std::max(0, static_cast<int>(std::ceil(rounds - 1e-9)) - 1);
}

void SenderSession::MaybeApplyFecDecision() {
  // A new encoder only between blocks: repairs always cover whole blocks
  // coded one way, and the receiver's decoder takes each block's k, m and
  // stride from its repairs.
  if (!fec_decision_pending_ || (fec_ && fec_->NextWakeup())) return;
  fec_decision_pending_ = false;
  const FecDecision& d = fec_policy_->decision();
  if (d.k == stats_.fec_k && d.m == stats_.fec_m && d.interleave == stats_.fec_interleave &&
      (fec_ || d.m == 0)) {
    return;
  }
  ++stats_.fec_reconfigurations;
  stats_.fec_k = d.k;
  stats_.fec_m = d.m;
  stats_.fec_interleave = d.interleave;
  if (d.m == 0) {
    fec_.reset();
    return;
  }
  FecEncoderConfig c = *config_.fec;
  c.mode = FecCodec::kReedSolomon;
  c.k = d.k;
  c.m = d.m;
  c.interleave = d.interleave;
  auto encoder = CreateFecEncoder(c);
  if (!encoder.ok()) {
    HITLESS_BUG("SenderSession: adaptive FEC chose an invalid configuration");
    return;
  }
  fec_ = *std::move(encoder);
}

Header SenderSession::MakeHeader(PacketType type, Time now) {
  const uint32_t sequence = type == PacketType::kData        ? static_cast<uint32_t>(next_seq_)
                            : type == PacketType::kFecRepair ? repair_seq_++
                                                             : control_seq_++;
  return SessionHeader(type, config_.session_id, config_.path_id, sequence, now, epoch_);
}

void SenderSession::Send(std::span<const uint8_t> datagram, Time now) {
  if (budget_) budget_->OnSent(datagram.size());
  out_->SendDatagram(datagram, config_.path_id);
  last_sent_ = now;
}

void SenderSession::SendParts(size_t head_size, std::span<const uint8_t> payload, Time now) {
  const std::span<const uint8_t> head = std::span<const uint8_t>(head_).first(head_size);
  if (budget_) budget_->OnSent(head.size() + payload.size());
  out_->SendDatagramParts(head, payload, config_.path_id);
  last_sent_ = now;
}

bool SenderSession::ResendShared(int64_t seq, Time now) {
  const std::optional<SharedPayload> p = config_.shared_payloads->Find(seq);
  if (!p) return false;
  Header header = SessionHeader(PacketType::kData, config_.session_id, config_.path_id,
                                static_cast<uint32_t>(seq), now, epoch_);
  header.timestamp_us = p->timestamp_us;
  header.retransmission = true;
  const size_t head = SerializeDataHeader(header, p->payload.size(), head_);
  if (head == 0) return false;
  ++stats_.retransmitted;
  stats_.retransmitted_bytes += head + p->payload.size();
  SendParts(head, p->payload, now);
  return true;
}

void SenderSession::SendOnPaths(std::span<uint8_t> datagram, const path::PathList& paths,
                                Time now) {
  for (const uint8_t path : paths) {
    datagram[3] = path;  // header byte 3: path id
    out_->SendDatagram(datagram, path);
  }
  last_sent_ = now;
}

void SenderSession::SendRepair(std::span<uint8_t> datagram, Time now) {
  if (!paths_) {
    Send(datagram, now);
    return;
  }
  paths_->SelectForRepair(datagram.size(), now, path_list_);
  SendOnPaths(datagram, path_list_, now);
}

void SenderSession::SendProbes(Time now) {
  paths_->CollectProbes(now, probes_);
  for (const auto& [path, probe_id] : probes_) {
    Header header = MakeHeader(PacketType::kKeepalive, now);
    header.path_id = path;
    const KeepaliveBody probe = Keepalive(header, probe_id, 0);
    if (const size_t size = Serialize(header, probe, scratch_)) {
      ++stats_.keepalives_sent;
      out_->SendDatagram(std::span<const uint8_t>(scratch_).first(size), path);
    }
  }
}

void SenderSession::OnMedia(std::span<const uint8_t> payload, Time now,
                            std::optional<Time> arrived) {
  const Time stamp = arrived ? std::clamp(*arrived, std::min(last_media_stamp_, now), now) : now;
  last_media_stamp_ = stamp;
  SendData(MakeHeader(PacketType::kData, stamp), next_seq_, payload, now, now, true);
}

void SenderSession::OnForward(const ForwardedPacket& packet, Time now) {
  Header header = SessionHeader(PacketType::kData, config_.session_id, config_.path_id,
                                static_cast<uint32_t>(packet.seq), now, epoch_);
  header.timestamp_us = packet.timestamp_us;
  header.retransmission = packet.late;
  const bool in_order = packet.seq >= next_seq_;
  // Kept until the origin's time + latency, the receiver's deadline.
  SendData(header, packet.seq, packet.payload, std::min(packet.origin_time, now), now,
           in_order && !packet.late);
}

void SenderSession::SendData(const Header& header, int64_t seq, std::span<const uint8_t> payload,
                             Time send_time, Time now, bool fec) {
  buffer_.Expire(now);
  if (SharesPayloads(config_)) {
    // The payload is the stream ring's: only the header is ours, and only
    // the bookkeeping is kept (a NACK finds the payload in the ring again).
    const size_t head = SerializeDataHeader(header, payload.size(), head_);
    if (head == 0) {
      ++stats_.media_rejected;
      return;
    }
    ++stats_.media_in;
    buffer_.StoreMeta(seq, send_time, head + payload.size());
    if (seq >= next_seq_) last_data_at_ = now;
    next_seq_ = std::max(next_seq_, seq + 1);
    if (!first_seq_) {
      first_seq_ = seq;
      first_data_at_ = now;
    }
    ++stats_.data_sent;
    stats_.data_bytes += head + payload.size();
    SendParts(head, payload, now);
    if (fec_ && fec) {
      fec_now_ = now;
      fec_->OnSource(FecSource{seq, header.timestamp_us, payload}, now, *this);
    }
    if (fec_decision_pending_) MaybeApplyFecDecision();
    return;
  }
  // Serialized straight into the retransmit buffer's slot, and sent from
  // there: the payload's one copy in user space. (Into scratch_ only if the
  // buffer cannot keep it: then it goes out but cannot be repaired.)
  const std::span<uint8_t> slot = buffer_.NextSlot(seq, send_time);
  const std::span<uint8_t> out = slot.empty() ? std::span<uint8_t>(scratch_) : slot;
  const size_t size = Serialize(header, DataBody{payload}, out);
  if (size == 0) {
    ++stats_.media_rejected;
    return;
  }
  ++stats_.media_in;
  if (!slot.empty()) buffer_.Commit(seq, send_time, size);
  const std::span<uint8_t> datagram = out.first(size);
  if (seq >= next_seq_) last_data_at_ = now;
  next_seq_ = std::max(next_seq_, seq + 1);
  if (!first_seq_) {
    first_seq_ = seq;
    first_data_at_ = now;
  }
  ++stats_.data_sent;
  stats_.data_bytes += size;
  if (paths_) {
    paths_->SelectForData(size, now, path_list_);
    SendOnPaths(datagram, path_list_, now);  // rewrites the path id byte per path
  } else {
    Send(datagram, now);
  }
  if (fec_ && fec) {
    fec_now_ = now;
    fec_->OnSource(FecSource{seq, header.timestamp_us, payload}, now, *this);
  }
  if (fec_decision_pending_) MaybeApplyFecDecision();
}

KeepaliveBody SenderSession::Keepalive(const Header& header, uint32_t probe_id, uint32_t echo_ts) {
  KeepaliveBody k{probe_id, echo_ts, 0};
  if (config_.relayed) {
    keepalive_stamps_[keepalive_stamp_next_++ % keepalive_stamps_.size()] = header.timestamp_us;
    k.relayed = true;
    k.upstream_transit_us = static_cast<uint32_t>(
        std::clamp<int64_t>(upstream_transit_.ToMicroseconds(), 0, 60'000'000));
  }
  return k;
}

bool SenderSession::RttEchoIsOurs(uint32_t echo_ts) const {
  if (!config_.relayed) return true;
  return echo_ts != 0 && std::find(keepalive_stamps_.begin(), keepalive_stamps_.end(), echo_ts) !=
                             keepalive_stamps_.end();
}

void SenderSession::OnRepair(const FecRepair& repair) {
  const Header header = MakeHeader(PacketType::kFecRepair, fec_now_);
  const size_t size = Serialize(header, repair.body, scratch_);
  if (size == 0) {
    HITLESS_BUG("SenderSession: FEC repair does not serialize");
    return;
  }
  if (!FecRoomFor(size, fec_now_)) {
    ++stats_.fec_repairs_withheld;  // FEC comes last in a short budget
    return;
  }
  ++stats_.fec_repairs_sent;
  stats_.fec_bytes += size;
  SendRepair(std::span<uint8_t>(scratch_).first(size), fec_now_);
}

void SenderSession::ResendLeading(const ReportBody& report, Time now) {
  if (!first_seq_ || leading_checked_ || report.received == 0) return;
  // Only a report sent after the first packets had time to arrive, however
  // reordered: until then "not yet arrived" looks like "lost".
  const Duration settle = rtt_.srtt() + std::max(rtt_.rttvar() * 4, Duration::Milliseconds(10));
  if (now - first_data_at_ < settle) return;
  leading_checked_ = true;
  // The receiver counts from the first packet it got: every later sequence
  // up to its highest is either received or counted lost (repairs count in
  // both). Fewer than we sent from our first: the first ones never reached
  // it, and it cannot know they exist. Resend them (as if NACKed: the policy
  // still checks deadline and budget).
  const int64_t sent = UnwrapOwn(report.highest_sequence) - *first_seq_ + 1;
  const int64_t known = int64_t{report.received} + int64_t{report.lost};
  const int64_t unknown = sent - known;
  if (unknown <= 0 || unknown > kMaxLeadingResend || sent <= 0) return;
  ranges_.clear();
  ranges_.push_back({*first_seq_, unknown});
  stats_.leading_resent += static_cast<uint64_t>(unknown);
  policy_.OnNack(ranges_, now, arq::NackKind::kUnaskable);
}

void SenderSession::ResendTrailing(const ReportBody& report, Time now) {
  // A loss is revealed to the receiver by a later packet; the last ones
  // before the input paused or ended have none. A REPORT whose highest is
  // below what we sent, well over a round trip after we sent it, means
  // they never arrived: resend them as if NACKed (the policy checks the
  // deadline and the budget, and does not repeat within a round trip).
  if (!first_seq_ || report.received == 0) return;
  const int64_t missing = (next_seq_ - 1) - UnwrapOwn(report.highest_sequence);
  if (missing <= 0 || missing > kMaxTrailingResend) return;
  const Duration in_flight = rtt_.srtt() + rtt_.srtt() / 2 + Duration::Milliseconds(10);
  if (now - last_data_at_ < in_flight) return;
  ranges_.clear();
  ranges_.push_back({next_seq_ - missing, missing});
  stats_.trailing_resent += static_cast<uint64_t>(missing);
  policy_.OnNack(ranges_, now);
}

int64_t SenderSession::UnwrapOwn(uint32_t seq) const {
  // Our own sequence space: the closest 64-bit index to the last one sent.
  const int64_t last = next_seq_ - 1;
  return last + SerialDiff(seq, static_cast<uint32_t>(last));
}

void SenderSession::OnNack(std::span<const uint8_t> body, Time now) {
  if (absl::Status status = ParseNackInto(body, wire_ranges_); !status.ok()) {
    stats_.drops.Count(DropReasonOf(status));
    return;
  }
  ++stats_.nacks_received;
  ranges_.clear();
  for (const NackRange& r : wire_ranges_) ranges_.push_back({UnwrapOwn(r.first), r.count});
  policy_.OnNack(ranges_, now);
  OnTimer(now);
}

void SenderSession::OnReport(const PacketView& packet, Time now) {
  auto report = ParseReport(packet.body);
  if (!report.ok()) {
    stats_.drops.Count(DropReasonOf(report.status()));
    return;
  }
  ++stats_.reports_received;
  // RTT: the report echoes one of our DATA timestamps and how long the
  // receiver held it. 32-bit wrap-around arithmetic on our own clock.
  std::optional<Duration> rtt_sample;
  if ((report->echo_timestamp_us != 0 || report->echo_delay_us != 0) &&
      RttEchoIsOurs(report->echo_timestamp_us)) {
    const uint32_t now_us = WireTimestamp(now, epoch_);
    const int64_t rtt_us =
        static_cast<int64_t>(static_cast<uint32_t>(now_us - report->echo_timestamp_us)) -
        static_cast<int64_t>(report->echo_delay_us);
    if (rtt_us >= 0 && rtt_us < 60'000'000) rtt_sample = Duration::Microseconds(rtt_us);
  }
  if (paths_) {
    // Per-path health; the session's RTT (ARQ deadlines, pacing) follows the
    // path repairs go on.
    const uint8_t path = packet.header.path_id;
    paths_->OnReport(path, *report, rtt_sample, now, packet.header.timestamp_us);
    if (rtt_sample && path == paths_->BestPath(now)) rtt_.OnSample(*rtt_sample, now);
  } else if (rtt_sample) {
    rtt_.OnSample(*rtt_sample, now);
  }
  // Reports can arrive reordered (jitter on the return path): an older one
  // carries no news, and its differences would wrap around.
  if (previous_report_ && SerialLess(report->received, previous_report_->received)) {
    ++stats_.stale_reports;
  } else {
    // Forward loss rate. The receiver's cumulative `lost` counts gaps minus
    // those later filled by reordered originals, so it can step back between
    // reports: accumulate signed differences over a window of at least
    // kLossWindowPackets before taking a sample, then smooth the samples.
    if (previous_report_) {
      loss_window_lost_ += SerialDiff(report->lost, previous_report_->lost);
      loss_window_received_ += SerialDiff(report->received, previous_report_->received);
      if (fec_policy_) {
        fec_policy_->SetArqRounds(ArqRounds());
      }
      // DATA that arrived after its release time is lost to the
      // application: each late packet counts as a lost one (its own event).
      const int64_t late = std::max<int64_t>(0, SerialDiff(report->late, previous_report_->late));
      if (late > 0) ++stats_.late_reported;
      if (fec_policy_ &&
          fec_policy_->OnReport(
              SerialDiff(report->received, previous_report_->received),
              SerialDiff(report->lost, previous_report_->lost) + late,
              SerialDiff(report->loss_events, previous_report_->loss_events) + late, now)) {
        fec_decision_pending_ = true;
        MaybeApplyFecDecision();
      }
      const double lost = std::max<double>(0, static_cast<double>(loss_window_lost_));
      const double expected =
          lost + static_cast<double>(std::max<int64_t>(0, loss_window_received_));
      loss_window_events_ +=
          std::max<int64_t>(0, SerialDiff(report->loss_events, previous_report_->loss_events));
      if (expected >= kLossWindowPackets) {
        loss_rate_ += 0.25 * (lost / expected - loss_rate_);
        if (loss_window_events_ > 0) {
          const double burst = std::max(1.0, lost / static_cast<double>(loss_window_events_));
          burst_packets_ += 0.25 * (burst - burst_packets_);
        }
        loss_window_events_ = 0;
        loss_window_lost_ = 0;
        loss_window_received_ = 0;
      }
    }
    if (budget_) {
      budget_->OnReport(packet.header.timestamp_us, report->received_bytes, rtt_sample, now);
      ApplyBudget(now);
    }
    ResendLeading(*report, now);
    ResendTrailing(*report, now);
    previous_report_ = *report;
    stats_.last_report = *std::move(report);
  }
  UpdateLinkEstimate();

  // Echo the report's timestamp back so the receiver measures the RTT too
  // (on the path the report came on: per-path RTT).
  Header header = MakeHeader(PacketType::kKeepalive, now);
  if (paths_) header.path_id = packet.header.path_id;
  const KeepaliveBody echo = Keepalive(header, 0, packet.header.timestamp_us);
  if (const size_t size = Serialize(header, echo, scratch_)) {
    ++stats_.keepalives_sent;
    out_->SendDatagram(std::span<const uint8_t>(scratch_).first(size), header.path_id);
    last_sent_ = now;
  }
}

void SenderSession::ApplyBudget(Time now) {
  const Duration dt = now - rate_last_at_;
  if (dt > Duration::Zero()) {
    const double sample =
        static_cast<double>(stats_.retransmitted_bytes - rate_last_retransmitted_) /
        dt.ToSecondsF();
    const double keep = std::exp(-dt.ToSecondsF() / 0.5);
    retransmit_rate_ = keep * retransmit_rate_ + (1 - keep) * sample;
    rate_last_retransmitted_ = stats_.retransmitted_bytes;
    rate_last_at_ = now;
  }
  // Media first; then repairs that can still make their deadline (the
  // retransmit policy's room); FEC gets what is left after both, under its
  // own stricter ceiling (send_budget.h), from the first report on.
  const double media = buffer_.StreamRateBytesPerSecond(now);
  if (media <= 0) return;
  if (const std::optional<double> budget = budget_->budget()) {
    policy_.SetBudgetRoom(std::max(0.0, *budget - media));
  }
  const bool first = !fec_room_;
  // Where FEC is the only repair that can arrive in time (no ARQ, or no
  // round trip left for one), it starts with room for a protective overhead
  // instead of ramping up from 10%.
  const double min_headroom = ArqRounds() <= 0 ? kFecOnlyHeadroom : 0.0;
  fec_room_ =
      std::max(0.0, budget_->fec_budget(media, now, min_headroom) - media - retransmit_rate_);
  if (first) {
    fec_tokens_ = FecBucketDepth();  // start full: the first blocks are not starved
    fec_tokens_at_ = now;
  }
  if (fec_policy_) fec_policy_->SetBudgetOverheadCap(*fec_room_ / media);
}

double SenderSession::FecBucketDepth() const {
  // One block group deep (20 ms of the room, at least 4 repairs), so a
  // block's repairs can leave together.
  return std::max(fec_room_.value_or(0) * 0.02, 4.0 * kMaxDatagramSize);
}

bool SenderSession::FecRoomFor(size_t bytes, Time now) {
  if (!fec_room_) return true;
  const double depth = FecBucketDepth();
  if (now > fec_tokens_at_) {
    fec_tokens_ = std::min(depth, fec_tokens_ + *fec_room_ * (now - fec_tokens_at_).ToSecondsF());
    fec_tokens_at_ = now;
  }
  fec_tokens_ = std::min(fec_tokens_, depth);
  if (fec_tokens_ < static_cast<double>(bytes)) return false;
  fec_tokens_ -= static_cast<double>(bytes);
  return true;
}

void SenderSession::UpdateLinkEstimate() {
  arq::LinkEstimate estimate;
  estimate.srtt = rtt_.srtt();
  estimate.one_way = rtt_.min_rtt() / 2;
  estimate.loss_rate = loss_rate_;
  // Mean burst length (lost / loss events over the recent reports) times
  // the packet interval: how far apart last-chance copies must go.
  const double rate = buffer_.StreamRateBytesPerSecond(last_sent_);
  if (burst_packets_ > 1.5 && rate > 0 && stats_.data_sent > 0) {
    const double packet_bytes =
        static_cast<double>(stats_.data_bytes) / static_cast<double>(stats_.data_sent);
    estimate.burst_span = Duration::SecondsF(std::min(burst_packets_ * packet_bytes / rate, 0.1));
  }
  policy_.SetLinkEstimate(estimate);
}

void SenderSession::OnPacket(const PacketView& packet, Time now) {
  if (paths_) paths_->OnHeard(packet.header.path_id, now);
  switch (packet.header.type) {
    case PacketType::kNack:
      OnNack(packet.body, now);
      return;
    case PacketType::kReport:
      OnReport(packet, now);
      return;
    case PacketType::kKeepalive: {
      auto keepalive = ParseKeepalive(packet.body);
      if (!keepalive.ok()) stats_.drops.Count(DropReasonOf(keepalive.status()));
      return;
    }
    case PacketType::kShutdown:
      if (IsValidShutdown(packet.body, stats_.drops)) stats_.shutdown_received = true;
      return;
    default:
      // DATA / FEC_REPAIR flow the other way; HANDSHAKE is the owner's.
      stats_.drops.Count(DropReason::kBadField);
      return;
  }
}

void SenderSession::OnTimer(Time now) {
  if (fec_) {
    // Time-bounded blocks: close what has waited max_block_delay.
    if (const auto due = fec_->NextWakeup(); due && *due <= now) {
      fec_now_ = now;
      fec_->OnTimer(now, *this);
    }
  }
  if (fec_decision_pending_) MaybeApplyFecDecision();
  policy_.PopDue(now, due_);
  for (const arq::Retransmission& r : due_) {
    if (r.bytes.empty()) {
      // Shared store: the payload is found by its sequence.
      if (SharesPayloads(config_) && !ResendShared(r.seq, now)) ++stats_.shared_missing;
      continue;
    }
    // The stored datagram with the RETRANSMISSION flag set; sequence and
    // timestamp stay the original's (the receiver releases it on time).
    const size_t size = std::min(r.bytes.size(), scratch_.size());
    std::copy_n(r.bytes.begin(), size, scratch_.begin());
    scratch_[2] |= kFlagRetransmission;
    scratch_[3] = config_.path_id;
    ++stats_.retransmitted;
    stats_.retransmitted_bytes += size;
    SendRepair(std::span<uint8_t>(scratch_).first(size), now);
  }
  if (paths_) {
    paths_->OnTimer(now);
    SendProbes(now);
  }
  if (now - last_sent_ >= config_.keepalive_interval) {
    const Header header = MakeHeader(PacketType::kKeepalive, now);
    const KeepaliveBody keepalive = Keepalive(header, 0, 0);
    if (const size_t size = Serialize(header, keepalive, scratch_)) {
      ++stats_.keepalives_sent;
      Send(std::span<const uint8_t>(scratch_).first(size), now);
    }
  }
}

std::optional<Time> SenderSession::NextWakeup() const {
  Time next = last_sent_ + config_.keepalive_interval;
  if (const auto policy = policy_.NextWakeup()) next = std::min(next, *policy);
  if (fec_) {
    if (const auto block = fec_->NextWakeup()) next = std::min(next, *block);
  }
  if (paths_) {
    if (const auto probe = paths_->NextWakeup()) next = std::min(next, *probe);
  }
  return next;
}

void SenderSession::SendShutdown(uint8_t reason, Time now) {
  if (const size_t size =
          Serialize(MakeHeader(PacketType::kShutdown, now), ShutdownBody{reason}, scratch_)) {
    if (paths_) {
      // Every path: the receiver must hear it even if some path is down.
      path_list_.clear();
      for (int p = 0; p < paths_->path_count(); ++p) path_list_.push_back(static_cast<uint8_t>(p));
      SendOnPaths(std::span<uint8_t>(scratch_).first(size), path_list_, now);
    } else {
      Send(std::span<const uint8_t>(scratch_).first(size), now);
    }
  }
}

}  // namespace hitless::session
