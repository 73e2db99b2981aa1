// The small interfaces through which the I/O-free sessions talk to their
// owner: datagrams out to the peer, media out to the application.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/base/drop_reason.h"
#include "transport/base/time.h"
#include "transport/wire/control.h"
#include "transport/wire/header.h"
#include "transport/wire/wire_error.h"

namespace hitless::session {

// Where a session's datagrams go. The owner sends them on the session's
// socket/path; the span is valid only during the call.
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void SendDatagram(std::span<const uint8_t> datagram, uint8_t path_id) = 0;
  // One datagram in two parts, `head` then `body` (a relay hop's header and
  // a payload of the stream's shared ring). The default joins them and
  // calls SendDatagram; a sink that can send both parts as they are (a
  // gather send) avoids that copy. `body` stays valid until the owner's
  // I/O flush (PayloadStore's contract); `head` only during the call.
  virtual void SendDatagramParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                                 uint8_t path_id) {
    std::array<uint8_t, kMaxDatagramSize> joined;
    const std::span<const uint8_t> datagram = JoinParts(head, body, joined);
    if (!datagram.empty()) SendDatagram(datagram, path_id);
  }

  // `head` then `body` in `out`; empty if they do not fit a datagram.
  static std::span<const uint8_t> JoinParts(std::span<const uint8_t> head,
                                            std::span<const uint8_t> body,
                                            std::array<uint8_t, kMaxDatagramSize>& out) {
    if (head.size() + body.size() > out.size()) return {};
    std::copy(head.begin(), head.end(), out.begin());
    std::copy(body.begin(), body.end(), out.begin() + static_cast<ptrdiff_t>(head.size()));
    return std::span<const uint8_t>(out).first(head.size() + body.size());
  }
};

// A stream's packets kept once for every hop that sends them (a relay's
// shared ring): a relay hop's SenderSession keeps only its own bookkeeping
// and finds the payload here to send or resend it.
struct SharedPayload {
  uint32_t timestamp_us = 0;  // the origin's, as on the wire
  Time origin_time;           // the origin's input on our clock
  std::span<const uint8_t> payload;
};
class PayloadStore {
 public:
  virtual ~PayloadStore() = default;
  // Packet `seq` (the stream's sequence), or nullopt if not (or no longer)
  // held. The payload stays valid until the store's owner stores again
  // after an I/O flush.
  virtual std::optional<SharedPayload> Find(int64_t seq) const = 0;
};

// Where a receiver's media goes, in order, each payload at its release time.
class MediaSink {
 public:
  virtual ~MediaSink() = default;
  virtual void DeliverMedia(std::span<const uint8_t> payload, Time now) = 0;
};

// One DATA packet of a stream as a receiving session first accepts it
// (original, retransmission or FEC rebuild), in arrival order: what a relay
// forwards cut-through. The payload is valid only during the call.
struct StreamPacket {
  int64_t seq = 0;            // the stream's sequence, widened
  int64_t ts_us = 0;          // the sender's timestamp, widened
  uint32_t timestamp_us = 0;  // the same, as on the wire
  std::span<const uint8_t> payload;
  bool late = false;  // repaired (ARQ or FEC), not an original
};

// Where a receiving session taps its accepted DATA (a relay's fan-out).
class StreamTap {
 public:
  virtual ~StreamTap() = default;
  virtual void OnStreamPacket(const StreamPacket& packet, Time now) = 0;
};

// The sender clock on the wire: microseconds since the session's epoch,
// modulo 2^32 (docs/wire-format.md, "timestamp").
inline uint32_t WireTimestamp(Time now, Time epoch) {
  return static_cast<uint32_t>(static_cast<uint64_t>((now - epoch).ToMicroseconds()));
}

// The common header of a session packet sent at `now`.
inline Header SessionHeader(PacketType type, uint32_t session_id, uint8_t path_id,
                            uint32_t sequence, Time now, Time epoch) {
  Header h;
  h.type = type;
  h.path_id = path_id;
  h.session_id = session_id;
  h.sequence = sequence;
  h.timestamp_us = WireTimestamp(now, epoch);
  return h;
}

// True for a well-formed SHUTDOWN body; otherwise counts why in `drops`.
inline bool IsValidShutdown(std::span<const uint8_t> body, DropCounters& drops) {
  auto shutdown = ParseShutdown(body);
  if (!shutdown.ok()) drops.Count(DropReasonOf(shutdown.status()));
  return shutdown.ok();
}

}  // namespace hitless::session
