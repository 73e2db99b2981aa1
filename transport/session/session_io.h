// The small interfaces through which the I/O-free sessions talk to their
// owner: datagrams out to the peer, media out to the application.
#pragma once

#include <cstdint>
#include <span>

#include "transport/base/time.h"

namespace hitless::session {

// Where a session's datagrams go. The owner sends them on the session's
// socket/path; the span is valid only during the call.
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void SendDatagram(std::span<const uint8_t> datagram, uint8_t path_id) = 0;
};

// Where a receiver's media goes, in order, each payload at its release time.
class MediaSink {
 public:
  virtual ~MediaSink() = default;
  virtual void DeliverMedia(std::span<const uint8_t> payload, Time now) = 0;
};

// The sender clock on the wire: microseconds since the session's epoch,
// modulo 2^32 (docs/wire-format.md, "timestamp").
inline uint32_t WireTimestamp(Time now, Time epoch) {
  return static_cast<uint32_t>(static_cast<uint64_t>((now - epoch).ToMicroseconds()));
}

}  // namespace hitless::session
