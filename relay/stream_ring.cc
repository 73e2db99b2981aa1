// A stream's shared packet ring at a relay; see stream_ring.h.
#include "relay/stream_ring.h"

#include <algorithm>
#include <cstring>

#include "transport/wire/data.h"

namespace hitless::relay {
namespace {

constexpr size_t kStampBytes = 4;

}  // namespace

StreamRing::StreamRing(Duration retention, size_t max_slots)
    : buffer_(arq::RetransmitBufferConfig{.capacity = kInitialSlots,
                                          .max_capacity = std::max(max_slots, kInitialSlots),
                                          .slot_bytes = kStampBytes + kMaxDataPayload,
                                          .retention = retention}),
      retention_(retention) {}

void StreamRing::RaiseRetention(Duration retention) {
  if (retention <= retention_) return;
  retention_ = retention;
  buffer_.SetRetention(retention);
}

std::optional<session::SharedPayload> StreamRing::Store(int64_t seq, uint32_t timestamp_us,
                                                        Time origin_time,
                                                        std::span<const uint8_t> payload,
                                                        Time now) {
  if (payload.empty() || payload.size() > kMaxDataPayload) return std::nullopt;
  buffer_.Expire(now);
  const std::span<uint8_t> slot = buffer_.NextSlot(seq, origin_time);
  if (slot.empty()) return std::nullopt;
  std::memcpy(slot.data(), &timestamp_us, kStampBytes);
  std::memcpy(slot.data() + kStampBytes, payload.data(), payload.size());
  if (!buffer_.Commit(seq, origin_time, kStampBytes + payload.size())) return std::nullopt;
  return session::SharedPayload{.timestamp_us = timestamp_us,
                                .origin_time = origin_time,
                                .payload = slot.subspan(kStampBytes, payload.size())};
}

std::optional<session::SharedPayload> StreamRing::Find(int64_t seq) const {
  const arq::StoredPacket* p = buffer_.Find(seq);
  if (p == nullptr || p->bytes.size() <= kStampBytes) return std::nullopt;
  session::SharedPayload out;
  std::memcpy(&out.timestamp_us, p->bytes.data(), kStampBytes);
  out.origin_time = p->send_time;
  out.payload = p->bytes.subspan(kStampBytes);
  return out;
}

}  // namespace hitless::relay
