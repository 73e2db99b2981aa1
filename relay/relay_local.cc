// Relay's local legs (relay.h): a publisher that feeds payloads (an SRT
// caller publishing into the relay) and readers of a stream (SRT callers
// requesting it). The daemon owns the SRT side and has checked access.
//
// A local publisher is a Source without a session: its packets are numbered
// on from the stream's highest and stamped with their arrival time here (the
// origin). Numbered from 0 instead, a second local publisher of a stream
// with fewer than kMergeWindow / 2 packets would look like a continuation
// (the same clock) and its first packets would be taken for duplicates. A
// stream whose clock was another's (a hitless publisher's) is remapped onto
// the stream's clock as a restarted publisher process is (OnSourcePacket).
#include <algorithm>

#include "absl/strings/str_format.h"
#include "relay/relay.h"
#include "relay/relay_parts.h"
#include "transport/base/status_macros.h"
#include "transport/wire/data.h"

namespace hitless::relay {

absl::Status Relay::AdmitLocal(std::string_view stream_id) {
  if (!config_.open && ConfigFor(stream_id) == nullptr) {
    ++stats_.refused[static_cast<size_t>(RefuseReason::kUnknownStream)];
    return absl::FailedPreconditionError(
        absl::StrFormat("no stream \"%s\" is configured", stream_id));
  }
  if (!streams_.contains(std::string(stream_id)) && streams_.size() >= config_.limits.max_streams) {
    ++stats_.refused[static_cast<size_t>(RefuseReason::kStreamsFull)];
    return absl::ResourceExhaustedError("the relay serves its most streams");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> Relay::AttachLocalPublisher(std::string_view stream_id, Time now) {
  RETURN_IF_ERROR(AdmitLocal(stream_id));
  const auto it = streams_.find(std::string(stream_id));
  if (it != streams_.end()) {
    const Stream& s = *it->second;
    const bool live_session =
        s.publisher != 0 && now - peers_.at(s.publisher)->last_heard < kTakeoverSilence;
    if (s.local_publisher != 0 || live_session) {
      ++stats_.refused[static_cast<size_t>(RefuseReason::kPublisherBusy)];
      return absl::ResourceExhaustedError(
          absl::StrFormat("stream \"%s\" already has a publisher", stream_id));
    }
  }
  Stream& s = StreamFor(stream_id);
  const uint32_t handle = next_local_++;
  // Ours before the silent predecessor goes: its eviction would otherwise
  // remove an idle stream (RemoveStreamIfIdle) from under `s`.
  s.local_publisher = handle;
  if (s.publisher != 0) Evict(s.publisher, EvictReason::kTakeover, now, true);
  s.local_source = std::make_unique<Source>();
  s.local_source->stream = &s;
  s.local_seq = s.highest + 1;
  ++s.stats.publishers;
  local_legs_[handle] = s.id;
  return handle;
}

void Relay::OnLocalMedia(uint32_t handle, std::span<const uint8_t> payload, Time now) {
  now_ = now;
  const auto leg = local_legs_.find(handle);
  // Larger than a DATA payload: no hop could send or keep it.
  if (leg == local_legs_.end() || payload.empty() || payload.size() > kMaxDataPayload) return;
  Stream& s = *streams_.at(leg->second);
  if (s.local_publisher != handle) return;
  const int64_t ts_us = (now - Time::Zero()).ToMicroseconds();
  const session::StreamPacket packet{.seq = s.local_seq++,
                                     .ts_us = ts_us,
                                     .timestamp_us = static_cast<uint32_t>(ts_us),
                                     .payload = payload,
                                     .late = false};
  OnSourcePacket(*s.local_source, packet, now);
}

absl::StatusOr<uint32_t> Relay::AttachLocalSubscriber(std::string_view stream_id,
                                                      LocalSubscriber* subscriber) {
  RETURN_IF_ERROR(AdmitLocal(stream_id));
  Stream& s = StreamFor(stream_id);
  if (s.subscribers.size() + s.local_subscribers.size() >= config_.limits.max_subscribers) {
    ++stats_.refused[static_cast<size_t>(RefuseReason::kSubscriberFull)];
    RemoveStreamIfIdle(s.id);
    return absl::ResourceExhaustedError(
        absl::StrFormat("stream \"%s\" has its most subscribers", stream_id));
  }
  const uint32_t handle = next_local_++;
  s.local_subscribers.emplace_back(handle, subscriber);
  ++s.stats.subscribers_joined;
  local_legs_[handle] = s.id;
  return handle;
}

void Relay::DetachLocal(uint32_t handle) {
  const auto leg = local_legs_.find(handle);
  if (leg == local_legs_.end()) return;
  const std::string id = leg->second;
  local_legs_.erase(leg);
  const auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (s.local_publisher == handle) {
    s.local_publisher = 0;
    s.local_source.reset();
  }
  std::erase_if(s.local_subscribers, [handle](const auto& l) { return l.first == handle; });
  RemoveStreamIfIdle(id);
}

Duration Relay::StreamLatency(std::string_view stream_id) const {
  const StreamConfig* c = ConfigFor(stream_id);
  return c != nullptr && c->latency ? std::max(*c->latency, config_.latency) : config_.latency;
}

}  // namespace hitless::relay
