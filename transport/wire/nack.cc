// NACK body parsing and serialization.
#include "transport/wire/nack.h"

#include "transport/wire/wire_error.h"

namespace hitless {

absl::StatusOr<NackBody> ParseNack(std::span<const uint8_t> body) {
  if (body.size() > kMaxBodySize) return WireError(DropReason::kOversized);
  ByteReader reader(body);
  uint16_t count = 0;
  if (!reader.ReadU16(count)) return WireError(DropReason::kTruncated);
  if (count == 0 || count > kMaxNackRanges) return WireError(DropReason::kBadField);
  const size_t need = size_t{count} * kNackRangeSize;
  if (reader.remaining() < need) return WireError(DropReason::kTruncated);
  if (reader.remaining() > need) return WireError(DropReason::kTrailingBytes);

  NackBody nack;
  nack.ranges.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    NackRange range;
    // Cannot fail: the remaining size was checked above.
    (void)(reader.ReadU32(range.first) && reader.ReadU16(range.count));
    if (range.count == 0) return WireError(DropReason::kBadField);
    nack.ranges.push_back(range);
  }
  return nack;
}

size_t Serialize(const Header& header, const NackBody& body, std::span<uint8_t> out) {
  if (body.ranges.empty() || body.ranges.size() > kMaxNackRanges) return 0;
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kNack)) return 0;
  writer.WriteU16(static_cast<uint16_t>(body.ranges.size()));
  for (const NackRange& range : body.ranges) {
    if (range.count == 0) return 0;
    writer.WriteU32(range.first);
    writer.WriteU16(range.count);
  }
  return FinishPacket(writer, header);
}

}  // namespace hitless
