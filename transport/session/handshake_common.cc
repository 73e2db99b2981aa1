// Helpers shared by the handshake state machines.
#include "transport/session/handshake_common.h"

#include <algorithm>

namespace hitless {

Header MakeHandshakeHeader(uint32_t session_id, uint32_t sequence, uint8_t path_id, Time now) {
  Header h;
  h.type = PacketType::kHandshake;
  h.path_id = path_id;
  h.session_id = session_id;
  h.sequence = sequence;
  // The wire timestamp is the low 32 bits of the microsecond clock.
  h.timestamp_us = static_cast<uint32_t>(static_cast<uint64_t>(now.SinceEpoch().ToMicroseconds()));
  return h;
}

size_t HandshakeDatagramSize(const Header& header, const HandshakeBody& body) {
  return kHeaderSize + kHandshakeFixedSize + body.stream_id.size() + body.padding +
         (header.encrypted ? kAeadTagSize : 0);
}

uint8_t HighestCommonVersion(uint8_t min_a, uint8_t max_a, uint8_t min_b, uint8_t max_b) {
  const uint8_t lo = std::max(min_a, min_b);
  const uint8_t hi = std::min(max_a, max_b);
  return lo <= hi ? hi : 0;
}

}  // namespace hitless
