// ParseHeader and the serializer helpers for the common header.
#include "transport/wire/header.h"

#include "transport/base/drop_reason.h"
#include "transport/wire/wire_error.h"

namespace hitless {

absl::StatusOr<PacketView> ParseHeader(std::span<const uint8_t> datagram) {
  if (datagram.size() > kMaxDatagramSize) return WireError(DropReason::kOversized);
  if (datagram.size() < kHeaderSize) return WireError(DropReason::kTruncated);

  ByteReader reader(datagram);
  uint8_t version = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  PacketView view;
  Header& h = view.header;
  // Cannot fail: the size was checked above.
  (void)(reader.ReadU8(version) && reader.ReadU8(type) && reader.ReadU8(flags) &&
         reader.ReadU8(h.path_id) && reader.ReadU32(h.session_id) && reader.ReadU32(h.sequence) &&
         reader.ReadU32(h.timestamp_us));

  if (version != kWireVersion) return WireError(DropReason::kBadVersion);
  if (type < static_cast<uint8_t>(PacketType::kData) ||
      type > static_cast<uint8_t>(PacketType::kShutdown)) {
    return WireError(DropReason::kUnknownType);
  }
  h.type = static_cast<PacketType>(type);
  h.retransmission = (flags & kFlagRetransmission) != 0;
  h.encrypted = (flags & kFlagEncrypted) != 0;
  h.key_epoch =
      h.encrypted ? static_cast<uint8_t>((flags & kFlagKeyEpochMask) >> kFlagKeyEpochShift) : 0;
  h.path_probe = (flags & kFlagPathProbe) != 0;
  if (h.session_id == 0 && h.type != PacketType::kHandshake) {
    return WireError(DropReason::kBadField);
  }
  if (h.path_id >= kMaxPaths) return WireError(DropReason::kBadField);

  view.header_bytes = datagram.first(kHeaderSize);
  std::span<const uint8_t> rest = datagram.subspan(kHeaderSize);
  if (h.encrypted) {
    if (rest.size() < kAeadTagSize) return WireError(DropReason::kTruncated);
    view.aead_tag = rest.last(kAeadTagSize);
    rest = rest.first(rest.size() - kAeadTagSize);
  }
  view.body = rest;
  return view;
}

bool WriteHeader(ByteWriter& writer, const Header& header, PacketType type) {
  if (header.key_epoch > kMaxKeyEpoch) return false;
  if (!header.encrypted && header.key_epoch != 0) return false;
  if (header.session_id == 0 && type != PacketType::kHandshake) return false;
  if (header.path_id >= kMaxPaths) return false;
  if (writer.remaining() < kHeaderSize) return false;
  uint8_t flags = 0;
  if (header.retransmission) flags |= kFlagRetransmission;
  if (header.encrypted) {
    flags |= kFlagEncrypted;
    flags |= static_cast<uint8_t>(header.key_epoch << kFlagKeyEpochShift);
  }
  if (header.path_probe) flags |= kFlagPathProbe;
  writer.WriteU8(kWireVersion);
  writer.WriteU8(static_cast<uint8_t>(type));
  writer.WriteU8(flags);
  writer.WriteU8(header.path_id);
  writer.WriteU32(header.session_id);
  writer.WriteU32(header.sequence);
  writer.WriteU32(header.timestamp_us);
  return writer.ok();
}

size_t FinishPacket(ByteWriter& writer, const Header& header) {
  if (!writer.ok() || writer.written() < kHeaderSize) return 0;
  if (writer.written() - kHeaderSize > kMaxBodySize) return 0;
  if (header.encrypted) writer.WriteZeros(kAeadTagSize);
  return writer.ok() ? writer.written() : 0;
}

}  // namespace hitless
