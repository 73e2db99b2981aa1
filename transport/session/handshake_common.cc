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
  h.timestamp_us = HandshakeTimestamp(now);
  return h;
}

uint32_t HandshakeTimestamp(Time now) {
  // The low 32 bits of the microsecond clock.
  return static_cast<uint32_t>(static_cast<uint64_t>(now.SinceEpoch().ToMicroseconds()));
}

std::optional<Duration> HandshakeEchoRtt(const HandshakeBody& body, Time now) {
  if (body.echo_timestamp_us == 0 && body.echo_delay_us == 0) return std::nullopt;
  const int64_t rtt_us = static_cast<int64_t>(static_cast<uint32_t>(HandshakeTimestamp(now) -
                                                                    body.echo_timestamp_us)) -
                         static_cast<int64_t>(body.echo_delay_us);
  if (rtt_us < 0 || rtt_us >= 60'000'000) return std::nullopt;
  return Duration::Microseconds(rtt_us);
}

size_t HandshakeDatagramSize(const Header& header, const HandshakeBody& body) {
  return kHeaderSize + kHandshakeFixedSize + body.stream_id.size() +
         (body.stream_proof ? kStreamProofExtensionSize : 0) + body.padding +
         (header.encrypted ? kAeadTagSize : 0);
}

uint8_t HighestCommonVersion(uint8_t min_a, uint8_t max_a, uint8_t min_b, uint8_t max_b) {
  const uint8_t lo = std::max(min_a, min_b);
  const uint8_t hi = std::min(max_a, max_b);
  return lo <= hi ? hi : 0;
}

}  // namespace hitless
