#include "transport/session/receiver_session.h"

#include <algorithm>
#include <cmath>

#include "transport/wire/control.h"
#include "transport/wire/data.h"
#include "transport/wire/fec_repair.h"
#include "transport/wire/nack.h"
#include "transport/wire/report.h"
#include "transport/wire/wire_error.h"

namespace hitless::session {
namespace {

jitter::TsbpdConfig BufferConfig(const ReceiverConfig& config) {
  jitter::TsbpdConfig buffer;
  buffer.latency = config.latency;
  buffer.capacity = config.buffer_capacity;
  buffer.max_capacity = config.max_buffer_capacity;
  buffer.max_payload = kMaxDataPayload;
  buffer.keep_payloads = config.playout;
  return buffer;
}

uint32_t ClampU32(int64_t v) {
  return static_cast<uint32_t>(std::clamp<int64_t>(v, 0, UINT32_MAX));
}

// The loss tracker as the negotiated session wants it: NACKs only with ARQ;
// with FEC and ARQ, the first NACK waits (a little) for FEC to rebuild the
// packet: up to a quarter of the latency, at most 60 ms.
arq::LossTrackerConfig TrackerConfig(const ReceiverConfig& config) {
  arq::LossTrackerConfig loss = config.loss;
  loss.nack = loss.nack && config.arq;
  if (loss.latency <= Duration::Zero()) loss.latency = config.latency;
  if (config.fec && loss.nack && loss.fec_hold_cap <= Duration::Zero()) {
    loss.fec_hold_cap = std::min(config.latency / 4, Duration::Milliseconds(60));
  }
  return loss;
}

// Gaps longer than this get one deadline estimate per chunk instead of per
// sequence.
constexpr int64_t kDeadlineChunk = 16;

}  // namespace

ReceiverSession::ReceiverSession(const ReceiverConfig& config, Time now, DatagramSink* out,
                                 MediaSink* media)
    : config_(config),
      out_(out),
      media_(media),
      epoch_(now - Duration::Milliseconds(1)),  // timestamp 0 means "no echo"
      tracker_(TrackerConfig(config)),
      buffer_(BufferConfig(config)),
      paths_(config.paths),
      next_report_(now + config.report_interval),
      scratch_(kMaxDatagramSize) {
  nacks_.reserve(kMaxNackRanges);
  wire_nacks_.reserve(kMaxNackRanges);
  if (config.fec) fec_ = std::make_unique<FecDecoder>();
  if (config.initial_rtt) SetRttSample(*config.initial_rtt, now);
}

Header ReceiverSession::MakeHeader(PacketType type, Time now, uint8_t path_id) {
  return SessionHeader(type, config_.session_id, path_id, control_seq_++, now, epoch_);
}

void ReceiverSession::OnPacket(const PacketView& packet, Time now) {
  // Per-path bookkeeping by the header's path id. Transit is arrival minus
  // the sender's timestamp on 32-bit microsecond clocks: the two epochs'
  // offset is the same for every path, so it cancels in the skew.
  const auto transit = Duration::Microseconds(
      static_cast<int32_t>(WireTimestamp(now, epoch_) - packet.header.timestamp_us));
  paths_.OnPacket(packet.header.path_id, packet.header.type,
                  packet.header_bytes.size() + packet.body.size(), packet.header.timestamp_us,
                  transit, now, /*timed=*/!packet.header.retransmission);
  stats_.bytes_received += packet.header_bytes.size() + packet.body.size();
  switch (packet.header.type) {
    case PacketType::kData:
      OnData(packet, now);
      return;
    case PacketType::kKeepalive:
      OnKeepalive(packet, now);
      return;
    case PacketType::kFecRepair:
      OnFecRepair(packet, now);
      return;
    case PacketType::kShutdown:
      if (IsValidShutdown(packet.body, stats_.drops)) stats_.shutdown_received = true;
      return;
    default:
      stats_.drops.Count(DropReason::kBadField);
      return;
  }
}

void ReceiverSession::OnData(const PacketView& packet, Time now) {
  auto data = ParseData(packet.body);
  if (!data.ok()) {
    stats_.drops.Count(DropReasonOf(data.status()));
    return;
  }
  const bool retransmission = packet.header.retransmission;
  ++stats_.data_received;
  stats_.data_bytes += packet.header_bytes.size() + packet.body.size();
  if (retransmission) ++stats_.retransmissions_received;

  const int64_t seq = seq_unwrapper_.Unwrap(packet.header.sequence);
  const int64_t ts_us = ts_unwrapper_.Unwrap(packet.header.timestamp_us);
  Accept(seq, ts_us, data->payload, now,
         retransmission ? arq::ArrivalOrigin::kRetransmission : arq::ArrivalOrigin::kOriginal,
         PathExcess(packet.header.path_id));

  if (!retransmission && !paths_.multipath()) {
    // Echo candidate for the sender's RTT (a relay hop's DATA carries the
    // origin's clock: its KEEPALIVEs are echoed instead), and RFC 3550
    // interarrival jitter (per path in ReceiverPaths when there are several).
    if (!relayed_) {
      echo_timestamp_ = packet.header.timestamp_us;
      echo_received_ = now;
    }
    const int64_t transit = now.ToNanoseconds() - ts_us * 1000;
    if (last_transit_ && seq > last_transit_->second) {
      const double d =
          std::abs(static_cast<double>(transit - last_transit_->first.ToNanoseconds()));
      jitter_ns_ += (d - jitter_ns_) / 16.0;
    }
    if (!last_transit_ || seq > last_transit_->second) {
      last_transit_.emplace(Time::FromNanoseconds(transit), seq);
    }
  }
  if (fec_ && seq >= 0) {
    fec_now_ = now;
    fec_->OnSource(FecSource{seq, packet.header.timestamp_us, data->payload}, now, *this);
  }
}

Duration ReceiverSession::PathExcess(uint8_t path) const {
  if (!paths_.multipath() || path >= kMaxPaths) return Duration::Zero();
  const auto& own = paths_.figures(path).min_transit;
  if (!own) return Duration::Zero();
  Duration fastest = *own;
  for (int p = 0; p < static_cast<int>(kMaxPaths); ++p) {
    if (const auto& t = paths_.figures(p).min_transit) fastest = std::min(fastest, *t);
  }
  return *own - fastest;
}

void ReceiverSession::Accept(int64_t seq, int64_t ts_us, std::span<const uint8_t> payload, Time now,
                             arq::ArrivalOrigin origin, Duration path_excess) {
  const arq::ArrivalResult arrival = tracker_.OnPacket(seq, now, origin);
  if (arrival.kind == arq::ArrivalKind::kDuplicate && origin == arq::ArrivalOrigin::kOriginal &&
      paths_.multipath()) {
    ++stats_.path_duplicates;  // the copy from another path: expected
    return;
  }
  if (arrival.kind == arq::ArrivalKind::kDuplicate || arrival.kind == arq::ArrivalKind::kTooOld ||
      arrival.kind == arq::ArrivalKind::kInvalid) {
    stats_.drops.Count(arrival.kind == arq::ArrivalKind::kDuplicate ? DropReason::kDuplicate
                                                                    : DropReason::kTooLate);
    return;
  }
  uint8_t flags = 0;
  if (origin == arq::ArrivalOrigin::kRetransmission) flags = jitter::kFlagRetransmitted;
  if (origin == arq::ArrivalOrigin::kFec) flags = jitter::kFlagRecovered;
  const jitter::InsertResult inserted =
      buffer_.Insert(seq, ts_us, payload, now, flags, path_excess);
  if (const auto drop = jitter::ToDropReason(inserted)) {
    stats_.drops.Count(*drop);
    if (*drop == DropReason::kTooLate) ++stats_.late;
  } else {
    if (origin == arq::ArrivalOrigin::kFec) ++stats_.fec_recovered;
    if (tap_) {
      tap_->OnStreamPacket(StreamPacket{.seq = seq,
                                        .ts_us = ts_us,
                                        .timestamp_us = static_cast<uint32_t>(ts_us),
                                        .payload = payload,
                                        .late = origin != arq::ArrivalOrigin::kOriginal},
                           now);
    }
  }
  if (arrival.gap_count > 0) {
    SetGapDeadlines(arrival.gap_first, arrival.gap_count);
  }
}

void ReceiverSession::OnFecRepair(const PacketView& packet, Time now) {
  auto repair = ParseFecRepair(packet.body);
  if (!repair.ok()) {
    stats_.drops.Count(DropReasonOf(repair.status()));
    return;
  }
  ++stats_.fec_repairs_received;
  if (!fec_) {
    stats_.drops.Count(DropReason::kBadField);  // FEC was not negotiated
    return;
  }
  // The most consecutive losses one block group can rebuild: m per block,
  // interleaved over `stride` blocks (XOR column: one per column).
  tracker_.SetFecRepairSpan(int64_t{repair->repair_count} * std::max<int64_t>(1, repair->stride));
  // The block's base is a DATA sequence: widen it like DATA (no state change).
  const int64_t base = seq_unwrapper_.PeekUnwrap(repair->base_sequence);
  fec_now_ = now;
  if (const auto drop = fec_->OnRepair(*repair, base, now, *this)) stats_.drops.Count(*drop);
}

void ReceiverSession::OnRecovered(const FecSource& packet) {
  Accept(packet.seq, ts_unwrapper_.PeekUnwrap(packet.timestamp), packet.payload, fec_now_,
         arq::ArrivalOrigin::kFec);
}

void ReceiverSession::SetGapDeadlines(int64_t first, int64_t count) {
  // The chunk's first sequence is released first: its deadline is the
  // conservative one for the chunk.
  buffer_.EstimateGapReleaseTimes(first, count, kDeadlineChunk,
                                  [this](int64_t chunk, int64_t n, Time deadline) {
                                    tracker_.SetDeadline(chunk, n, deadline);
                                  });
}

void ReceiverSession::OnKeepalive(const PacketView& packet, Time now) {
  auto keepalive = ParseKeepalive(packet.body);
  if (!keepalive.ok()) {
    stats_.drops.Count(DropReasonOf(keepalive.status()));
    return;
  }
  ++stats_.keepalives_received;
  const uint8_t path = packet.header.path_id;
  if (keepalive->relayed) {
    // A relay hop: its DATA timestamps are the origin's, so its own clock
    // comes from KEEPALIVEs (our REPORTs echo them for its RTT), and the
    // hops before it add to the transit our release times allow for.
    const Duration upstream = Duration::Microseconds(keepalive->upstream_transit_us);
    if (!relayed_ || upstream != upstream_transit_) {
      relayed_ = true;
      upstream_transit_ = upstream;
      buffer_.SetTransitEstimate(origin_transit());
    }
    echo_timestamp_ = packet.header.timestamp_us;
    echo_received_ = now;
  }
  if (keepalive->probe_id != 0) paths_.OnProbe(path, keepalive->probe_id, now);
  if (keepalive->echo_timestamp_us == 0) return;
  const uint32_t now_us = WireTimestamp(now, epoch_);
  const int64_t rtt_us =
      static_cast<int64_t>(static_cast<uint32_t>(now_us - keepalive->echo_timestamp_us)) -
      static_cast<int64_t>(keepalive->echo_delay_us);
  if (rtt_us < 0 || rtt_us >= 60'000'000) return;
  const Duration rtt = Duration::Microseconds(rtt_us);
  paths_.OnRttSample(path, rtt, now);
  // Several paths: our RTT (NACK pacing, the buffer's transit estimate)
  // follows the fastest one; the sender repairs on its best path.
  if (!paths_.multipath() || FastestPath(now) == path) SetRttSample(rtt, now);
}

std::optional<uint8_t> ReceiverSession::FastestPath(Time now) const {
  std::optional<uint8_t> best;
  std::optional<Duration> best_transit;
  for (int p = 0; p < static_cast<int>(kMaxPaths); ++p) {
    const path::ReceiverPathFigures& f = paths_.figures(p);
    if (!f.seen || !f.min_transit || now - f.last_heard > config_.paths.live_within) continue;
    if (!best_transit || *f.min_transit < *best_transit) {
      best = static_cast<uint8_t>(p);
      best_transit = f.min_transit;
    }
  }
  return best;
}

void ReceiverSession::SetRttSample(Duration rtt, Time now) {
  rtt_.OnSample(rtt, now);
  tracker_.SetRtt(rtt_.srtt());
  tracker_.SetMinRtt(rtt_.min_rtt());
  buffer_.SetTransitEstimate(origin_transit());
}

Duration ReceiverSession::origin_transit() const {
  return (rtt_.has_sample() ? rtt_.min_rtt() / 2 : Duration::Zero()) + upstream_transit_;
}

void ReceiverSession::OnTimer(Time now) {
  release_now_ = now;
  buffer_.PopReady(now + config_.release_window / 2, *this);
  if (fec_) {
    // Blocks whose sources have all been released (or skipped) are done.
    if (const auto next = buffer_.next_seq()) {
      fec_now_ = now;
      fec_->Expire(*next, *this);
    }
    if (const auto due = fec_->NextWakeup(); due && *due <= now) fec_->OnTimer(now, *this);
  }
  if (paths_.multipath()) {
    // Copies and bonded packets arrive up to the paths' skew apart: wait
    // that out before NACKing (at most half the latency).
    tracker_.SetPathSkew(std::min(paths_.Skew(now), config_.latency / 2));
  }
  SendNacks(now);
  if (now >= next_report_) {
    SendReport(now);
    // Fixed cadence; after a long stall, restart it rather than burst.
    next_report_ = std::max(next_report_ + config_.report_interval, now);
  }
}

void ReceiverSession::OnRelease(const jitter::ReleasedPacket& packet) {
  ++stats_.delivered;
  stats_.delivered_bytes += packet.payload.size();
  if (config_.playout) media_->DeliverMedia(packet.payload, release_now_);
}

void ReceiverSession::OnSkip(int64_t first_seq, int64_t count) {
  stats_.lost += static_cast<uint64_t>(count);
  for (int64_t s = first_seq; s < first_seq + count; ++s) tracker_.Abandon(s);
}

void ReceiverSession::SendNacks(Time now) {
  const Duration rtt = rtt_.has_sample() ? rtt_.srtt() : Duration::Zero();
  for (int packets = 0; packets < 8; ++packets) {
    const auto due = tracker_.NextWakeup();
    if (!due || *due > now) return;
    if (tracker_.CollectNacks(now, rtt, nacks_) == 0) return;
    wire_nacks_.clear();
    for (const arq::NackRange& r : nacks_) {
      wire_nacks_.push_back({static_cast<uint32_t>(r.first), static_cast<uint16_t>(r.count)});
    }
    if (const size_t size =
            SerializeNack(MakeHeader(PacketType::kNack, now), wire_nacks_, scratch_)) {
      ++stats_.nacks_sent;
      SendControl(std::span<const uint8_t>(scratch_).first(size), now);
    }
  }
}

void ReceiverSession::SendReport(Time now) {
  const arq::LossReport loss = tracker_.Report();
  const jitter::TsbpdStats buffer = buffer_.stats();
  ReportBody report;
  report.highest_sequence = loss.highest ? static_cast<uint32_t>(*loss.highest) : 0;
  report.received = static_cast<uint32_t>(loss.received);
  report.lost = static_cast<uint32_t>(loss.lost);
  report.recovered = static_cast<uint32_t>(loss.recovered);
  report.abandoned = static_cast<uint32_t>(stats_.lost);
  report.loss_events = static_cast<uint32_t>(loss.loss_events);
  report.received_bytes = static_cast<uint32_t>(stats_.bytes_received);
  report.late = static_cast<uint32_t>(stats_.late);
  report.buffer_level_ms = ClampU32(buffer.level_span.ToMilliseconds());
  if (paths_.multipath()) {
    // One REPORT per live path, on that path: each echoes the newest packet
    // received on it (the sender's per-path RTT) and carries every path's
    // figures. Interarrival jitter is per path (paths differ in delay).
    paths_.FillReport(now, report.paths);
    Duration jitter = Duration::Zero();
    for (const PathReport& p : report.paths) {
      jitter = std::max(jitter, Duration::Microseconds(p.jitter_us));
    }
    stats_.jitter = jitter;
    report.jitter_us = ClampU32(jitter.ToMicroseconds());
    paths_.LivePaths(now, live_paths_);
    for (const uint8_t path : live_paths_) {
      report.echo_timestamp_us = 0;
      report.echo_delay_us = 0;
      if (const auto echo = paths_.Echo(path, now)) {
        report.echo_timestamp_us = echo->first;
        report.echo_delay_us = ClampU32(echo->second.ToMicroseconds());
      }
      if (const size_t size =
              Serialize(MakeHeader(PacketType::kReport, now, path), report, scratch_)) {
        ++stats_.reports_sent;
        out_->SendDatagram(std::span<const uint8_t>(scratch_).first(size), path);
      }
    }
    return;
  }
  report.jitter_us = ClampU32(static_cast<int64_t>(jitter_ns_ / 1000));
  if (echo_timestamp_) {
    report.echo_timestamp_us = *echo_timestamp_;
    report.echo_delay_us = ClampU32((now - echo_received_).ToMicroseconds());
  }
  const uint8_t path = SinglePath();
  if (const size_t size = Serialize(MakeHeader(PacketType::kReport, now, path), report, scratch_)) {
    ++stats_.reports_sent;
    out_->SendDatagram(std::span<const uint8_t>(scratch_).first(size), path);
  }
  stats_.jitter = Duration::Nanoseconds(static_cast<int64_t>(jitter_ns_));
}

uint8_t ReceiverSession::SinglePath() const {
  // The one path the sender has used (a multipath sender whose other paths
  // are dead from the start looks like this), else our configured one.
  for (int p = 0; p < static_cast<int>(kMaxPaths); ++p) {
    if (paths_.figures(p).seen) return static_cast<uint8_t>(p);
  }
  return config_.path_id;
}

void ReceiverSession::SendControl(std::span<const uint8_t> datagram, Time now) {
  if (!paths_.multipath()) {
    const uint8_t path = SinglePath();
    if (datagram.data() != scratch_.data()) {
      std::copy(datagram.begin(), datagram.end(), scratch_.begin());
    }
    scratch_[3] = path;
    out_->SendDatagram(std::span<const uint8_t>(scratch_).first(datagram.size()), path);
    return;
  }
  // The same datagram on every live path (header byte 3 is the path id).
  paths_.LivePaths(now, live_paths_);
  if (datagram.data() != scratch_.data()) {
    std::copy(datagram.begin(), datagram.end(), scratch_.begin());
  }
  for (const uint8_t path : live_paths_) {
    scratch_[3] = path;
    out_->SendDatagram(std::span<const uint8_t>(scratch_).first(datagram.size()), path);
  }
}

std::optional<Time> ReceiverSession::NextWakeup() const {
  Time next = next_report_;
  if (const auto release = buffer_.NextRelease()) {
    next = std::min(next, *release + config_.release_window / 2);
  }
  if (const auto nack = tracker_.NextWakeup()) next = std::min(next, *nack);
  return next;
}

void ReceiverSession::SendShutdown(uint8_t reason, Time now) {
  if (const size_t size =
          Serialize(MakeHeader(PacketType::kShutdown, now), ShutdownBody{reason}, scratch_)) {
    SendControl(std::span<const uint8_t>(scratch_).first(size), now);
  }
}

}  // namespace hitless::session
