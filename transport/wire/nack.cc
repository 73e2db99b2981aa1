// NACK body parsing and serialization.
#include "transport/wire/nack.h"

#include "transport/wire/wire_error.h"

namespace hitless {

absl::StatusOr<NackBody> ParseNack(std::span<const uint8_t> body) {
  NackBody nack;
  if (absl::Status status = ParseNackInto(body, nack.ranges); !status.ok()) return status;
  return nack;
}

absl::Status ParseNackInto(std::span<const uint8_t> body, std::vector<NackRange>& ranges) {
  ranges.clear();
  if (body.size() > kMaxBodySize) return WireError(DropReason::kOversized);
  ByteReader reader(body);
  uint16_t count = 0;
  if (!reader.ReadU16(count)) return WireError(DropReason::kTruncated);
  if (count == 0 || count > kMaxNackRanges) return WireError(DropReason::kBadField);
  const size_t need = size_t{count} * kNackRangeSize;
  if (reader.remaining() < need) return WireError(DropReason::kTruncated);
  if (reader.remaining() > need) return WireError(DropReason::kTrailingBytes);

  ranges.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    NackRange range;
    // Cannot fail: the remaining size was checked above.
    (void)(reader.ReadU32(range.first) && reader.ReadU16(range.count));
    if (range.count == 0) {
      ranges.clear();
      return WireError(DropReason::kBadField);
    }
    ranges.push_back(range);
  }
  return absl::OkStatus();
}

size_t Serialize(const Header& header, const NackBody& body, std::span<uint8_t> out) {
  return SerializeNack(header, body.ranges, out);
}

size_t SerializeNack(const Header& header, std::span<const NackRange> ranges,
                     std::span<uint8_t> out) {
  if (ranges.empty() || ranges.size() > kMaxNackRanges) return 0;
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kNack)) return 0;
  writer.WriteU16(static_cast<uint16_t>(ranges.size()));
  for (const NackRange& range : ranges) {
    if (range.count == 0) return 0;
    writer.WriteU32(range.first);
    writer.WriteU16(range.count);
  }
  return FinishPacket(writer, header);
}

}  // namespace hitless
