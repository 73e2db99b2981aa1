#include "transport/session/route_merge.h"

#include <algorithm>

#include "transport/wire/data.h"

namespace hitless::session {
namespace {

jitter::TsbpdConfig BufferConfig(const RouteMergeConfig& config) {
  jitter::TsbpdConfig buffer;
  buffer.latency = config.latency;
  buffer.capacity = config.buffer_capacity;
  buffer.max_capacity = config.max_buffer_capacity;
  buffer.max_payload = kMaxDataPayload;
  return buffer;
}

}  // namespace

RouteMerge::RouteMerge(const RouteMergeConfig& config, MediaSink* media)
    : config_(config), media_(media), buffer_(BufferConfig(config)) {
  stats_.routes.resize(config.routes);
  clocks_.resize(config.routes);
}

void RouteMerge::OnRoutePacket(size_t route, const StreamPacket& packet, Duration route_transit,
                               Time now) {
  if (route >= stats_.routes.size()) return;
  RouteStats& r = stats_.routes[route];
  ++r.packets;
  if (packet.late) ++r.repaired;
  // The session widened from its own first packet; ours may differ (the
  // routes started at different times): widen the wire values again.
  const auto wire_seq = static_cast<uint32_t>(static_cast<uint64_t>(packet.seq));
  if (highest_) {
    const int64_t distance = seq_unwrapper_.PeekUnwrap(wire_seq) - *highest_;
    if (distance > kWindow || distance < -kWindow) {
      if (now - in_window_at_ < kResyncAfter) {
        ++r.out_of_window;
        return;
      }
      // Nothing of the old numbering for a while: the stream moved.
      ++stats_.resyncs;
      seq_unwrapper_.Reset();
      ts_unwrapper_.Reset();
      buffer_.Reset();
      highest_.reset();
    }
  }
  in_window_at_ = now;
  const int64_t seq = seq_unwrapper_.Unwrap(wire_seq);
  highest_ = std::max(highest_.value_or(seq), seq);
  const int64_t ts_us = ts_unwrapper_.Unwrap(packet.timestamp_us);
  // The clock mapping follows one route, the quickest heard lately: each
  // route's transit is an estimate (min RTT / 2 and what its relays
  // announce), and the smallest of several errors would pull every release
  // early. A repair never feeds it either.
  RouteClock& rc = clocks_[route];
  rc.transit = route_transit;
  rc.heard = now;
  if (!reference_ || *reference_ == route || now - clocks_[*reference_].heard > kReferenceSilence ||
      route_transit + kReferenceHysteresis < clocks_[*reference_].transit) {
    reference_ = route;
  }
  const bool clock_sample = !packet.late && *reference_ == route;
  const uint8_t flags = clock_sample ? uint8_t{0} : jitter::kFlagRetransmitted;
  // The arrival taken back to the origin: every route is then one clock
  // (transit estimate 0), whichever route a packet came by.
  const jitter::InsertResult result = buffer_.Insert(seq, ts_us, packet.payload, now, flags,
                                                     std::max(route_transit, Duration::Zero()));
  switch (result) {
    case jitter::InsertResult::kAccepted:
      ++r.first;
      if (packet.late) ++r.repaired_first;
      break;
    case jitter::InsertResult::kDuplicate:
      ++r.duplicates;
      ++stats_.duplicates;
      break;
    case jitter::InsertResult::kTooLate:
      ++r.late;
      ++stats_.late;
      break;
    case jitter::InsertResult::kBufferFull:
      ++stats_.buffer_full;
      break;
    case jitter::InsertResult::kOversized:
      ++stats_.oversized;
      break;
  }
}

void RouteMerge::OnTimer(Time now) {
  release_now_ = now;
  buffer_.PopReady(now + config_.release_window / 2, *this);
}

std::optional<Time> RouteMerge::NextWakeup() const {
  const std::optional<Time> release = buffer_.NextRelease();
  if (!release) return std::nullopt;
  return *release + config_.release_window / 2;
}

void RouteMerge::OnRelease(const jitter::ReleasedPacket& packet) {
  ++stats_.delivered;
  stats_.delivered_bytes += packet.payload.size();
  media_->DeliverMedia(packet.payload, release_now_);
}

void RouteMerge::OnSkip(int64_t, int64_t count) { stats_.lost += static_cast<uint64_t>(count); }

}  // namespace hitless::session
