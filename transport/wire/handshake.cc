// HANDSHAKE body parsing, validation, UTF-8 checking and serialization.
#include "transport/wire/handshake.h"

#include <algorithm>

#include "transport/wire/wire_error.h"

namespace hitless {
namespace {

bool SessionZeroAllowed(HandshakePhase phase) {
  return phase == HandshakePhase::kInductionRequest ||
         phase == HandshakePhase::kInductionResponse || phase == HandshakePhase::kReject;
}

// Every field rule except sizes, shared by the parser and the serializer.
bool ValidFields(const Header& header, const HandshakeBody& b) {
  const auto phase = static_cast<uint8_t>(b.phase);
  if (phase < static_cast<uint8_t>(HandshakePhase::kInductionRequest) ||
      phase > static_cast<uint8_t>(HandshakePhase::kReject)) {
    return false;
  }
  if (b.min_version == 0 || b.min_version > b.max_version) return false;
  if (b.initiator_session_id == 0) return false;
  if (b.latency_ms > kMaxLatencyMs) return false;
  if (!ValidFecConfig(b.fec)) return false;
  if (b.path_count > kMaxPaths) return false;
  if ((b.reject_reason != 0) != (b.phase == HandshakePhase::kReject)) return false;
  if (b.stream_id.size() > kMaxStreamIdSize || !IsValidUtf8(b.stream_id)) return false;
  if (header.session_id == 0 && !SessionZeroAllowed(b.phase)) return false;
  return true;
}

}  // namespace

bool ValidFecConfig(const FecConfig& f) {
  switch (f.mode) {
    case FecMode::kNone:
      return f.k == 0 && f.m == 0 && f.l == 0 && f.d == 0 && f.interleave == 0;
    case FecMode::kXorRow:
      return f.k == 0 && f.m == 0 && f.l != 0 && f.d == 0 && f.interleave == 0;
    case FecMode::kXorColumn:
    case FecMode::kXorRowColumn:
      return f.k == 0 && f.m == 0 && f.l != 0 && f.d != 0 && f.interleave == 0;
    case FecMode::kReedSolomon:
    case FecMode::kReedSolomonAdaptive:
      return f.k != 0 && f.m != 0 && size_t{f.k} + f.m <= 255 && f.l == 0 && f.d == 0 &&
             f.interleave != 0;
  }
  return false;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint8_t lo = 0x80;  // allowed range of the first continuation byte
    uint8_t hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t j = 1; j < len; ++j) {
      const auto cc = static_cast<uint8_t>(s[i + j]);
      const uint8_t min = j == 1 ? lo : 0x80;
      const uint8_t max = j == 1 ? hi : 0xBF;
      if (cc < min || cc > max) return false;
    }
    i += len;
  }
  return true;
}

absl::StatusOr<HandshakeBody> ParseHandshake(const Header& header, std::span<const uint8_t> body) {
  if (body.size() > kMaxBodySize) return WireError(DropReason::kOversized);
  ByteReader reader(body);
  HandshakeBody b;
  uint8_t phase = 0;
  uint8_t fec_mode = 0;
  uint16_t stream_id_size = 0;
  std::span<const uint8_t> cookie;
  if (!(reader.ReadU8(phase) && reader.ReadU8(b.min_version) && reader.ReadU8(b.max_version) &&
        reader.ReadU16(b.capabilities) && reader.ReadBytes(kCookieSize, cookie) &&
        reader.ReadU32(b.initiator_session_id) && reader.ReadU32(b.latency_ms) &&
        reader.ReadU8(fec_mode) && reader.ReadU16(b.fec.k) && reader.ReadU8(b.fec.m) &&
        reader.ReadU8(b.fec.l) && reader.ReadU8(b.fec.d) && reader.ReadU8(b.fec.interleave) &&
        reader.ReadU8(b.path_count) && reader.ReadU8(b.reject_reason) &&
        reader.ReadU32(b.echo_timestamp_us) && reader.ReadU32(b.echo_delay_us) &&
        reader.ReadU16(stream_id_size))) {
    return WireError(DropReason::kTruncated);
  }
  // Bound the length before touching (or allocating for) the stream id.
  if (stream_id_size > kMaxStreamIdSize) return WireError(DropReason::kBadField);
  std::span<const uint8_t> stream_id;
  if (!reader.ReadBytes(stream_id_size, stream_id)) return WireError(DropReason::kTruncated);

  std::ranges::copy(cookie, b.cookie.begin());
  b.phase = static_cast<HandshakePhase>(phase);
  b.fec.mode = static_cast<FecMode>(fec_mode);
  b.stream_id.assign(stream_id.begin(), stream_id.end());
  // Extensions live where version-1 padding was: a receiver that knows none
  // sees padding. An unknown first byte ends the extensions (the rest is
  // padding); zero padding is never mistaken for one.
  if (reader.remaining() >= kStreamProofExtensionSize &&
      body[body.size() - reader.remaining()] == kExtensionStreamProof) {
    uint8_t type = 0;
    uint8_t length = 0;
    std::span<const uint8_t> proof;
    (void)(reader.ReadU8(type) && reader.ReadU8(length));
    if (length != kStreamProofSize || !reader.ReadBytes(kStreamProofSize, proof)) {
      return WireError(DropReason::kBadField);
    }
    b.stream_proof.emplace();
    std::ranges::copy(proof, b.stream_proof->begin());
  }
  b.padding = static_cast<uint16_t>(reader.remaining());
  if (!ValidFields(header, b)) return WireError(DropReason::kBadField);
  if (b.phase == HandshakePhase::kInductionRequest && body.size() < kMinInductionBodySize) {
    return WireError(DropReason::kBadField);
  }
  return b;
}

size_t Serialize(const Header& header, const HandshakeBody& body, std::span<uint8_t> out) {
  if (!ValidFields(header, body)) return 0;
  size_t padding = body.padding;
  const size_t unpadded = kHandshakeFixedSize + body.stream_id.size() +
                          (body.stream_proof ? kStreamProofExtensionSize : 0);
  if (body.phase == HandshakePhase::kInductionRequest &&
      unpadded + padding < kMinInductionBodySize) {
    padding = kMinInductionBodySize - unpadded;
  }
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kHandshake)) return 0;
  writer.WriteU8(static_cast<uint8_t>(body.phase));
  writer.WriteU8(body.min_version);
  writer.WriteU8(body.max_version);
  writer.WriteU16(body.capabilities);
  writer.WriteBytes(body.cookie);
  writer.WriteU32(body.initiator_session_id);
  writer.WriteU32(body.latency_ms);
  writer.WriteU8(static_cast<uint8_t>(body.fec.mode));
  writer.WriteU16(body.fec.k);
  writer.WriteU8(body.fec.m);
  writer.WriteU8(body.fec.l);
  writer.WriteU8(body.fec.d);
  writer.WriteU8(body.fec.interleave);
  writer.WriteU8(body.path_count);
  writer.WriteU8(body.reject_reason);
  writer.WriteU32(body.echo_timestamp_us);
  writer.WriteU32(body.echo_delay_us);
  writer.WriteU16(static_cast<uint16_t>(body.stream_id.size()));
  writer.WriteBytes(
      std::span(reinterpret_cast<const uint8_t*>(body.stream_id.data()), body.stream_id.size()));
  if (body.stream_proof) {
    writer.WriteU8(kExtensionStreamProof);
    writer.WriteU8(static_cast<uint8_t>(kStreamProofSize));
    writer.WriteBytes(*body.stream_proof);
  }
  writer.WriteZeros(padding);
  return FinishPacket(writer, header);
}

}  // namespace hitless
