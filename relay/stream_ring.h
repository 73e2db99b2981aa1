// StreamRing: one stream's packets kept once at a relay, for every
// subscriber hop to send and resend from (session::PayloadStore), so a
// payload is never copied per subscriber: each hop keeps only its own
// bookkeeping (sequence, send time, size, ARQ state) and puts its own header
// on at send time.
//
// State: an arq::RetransmitBuffer in arena mode whose slots hold the wire
// timestamp (4 bytes) and the payload; each packet's origin time is the
// buffer's send time. Kept for the retention (the longest latency of the
// stream's hops); the ring grows with rate x retention up to its cap.
// Lending: spans from Find stay valid until a Store grows the ring;
// WouldGrow says so beforehand, so the relay flushes its queued sends (which
// point into the ring) first. A slot is overwritten only once its packet is
// past the retention, and no hop sends a packet past its deadline.
// Timers: none (Expire on each Store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/arq/retransmit_buffer.h"
#include "transport/base/time.h"
#include "transport/session/session_io.h"

namespace hitless::relay {

class StreamRing final : public session::PayloadStore {
 public:
  // Initial slots: more than one wake-up of the relay takes in (16 reads of
  // 64), so nothing stored within one wake-up is overwritten in it.
  static constexpr size_t kInitialSlots = 4096;

  StreamRing(Duration retention, size_t max_slots);

  // Keeps packet `seq` (a late fill below the highest too, while its slot is
  // free) and returns it as kept. nullopt (counted rejected) if it cannot be
  // kept: then hops send it but cannot resend it.
  std::optional<session::SharedPayload> Store(int64_t seq, uint32_t timestamp_us, Time origin_time,
                                              std::span<const uint8_t> payload, Time now);
  // Storing `seq` now would move the ring (flush what points into it first).
  bool WouldGrow(int64_t seq, Time origin_time) const {
    return buffer_.WouldGrow(seq, origin_time);
  }
  // The longest latency of the stream's hops (never shortens).
  void RaiseRetention(Duration retention);

  // session::PayloadStore
  std::optional<session::SharedPayload> Find(int64_t seq) const override;

  size_t memory_bytes() const { return buffer_.memory_bytes(); }
  size_t slots() const { return buffer_.capacity(); }
  const arq::RetransmitBufferStats& stats() const { return buffer_.stats(); }

 private:
  arq::RetransmitBuffer buffer_;
  Duration retention_;
};

}  // namespace hitless::relay
