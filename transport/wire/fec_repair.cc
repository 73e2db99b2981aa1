// FEC_REPAIR body parsing, range checks and serialization.
#include "transport/wire/fec_repair.h"

#include <algorithm>

#include "transport/wire/wire_error.h"

namespace hitless {
namespace {

// The per-scheme range rules shared by the parser and the serializer.
bool ValidRanges(const FecRepairBody& b) {
  if (b.repair_count == 0 || b.repair_index >= b.repair_count) return false;
  if (b.source_count == 0) return false;
  switch (b.scheme) {
    case FecScheme::kXorRow:
      return b.repair_count == 1 && b.stride == 0 && b.source_count <= kMaxXorSourceCount;
    case FecScheme::kXorColumn:
      return b.repair_count == 1 && b.stride != 0 && b.source_count <= kMaxXorSourceCount;
    case FecScheme::kReedSolomon:
      // RS stride = interleave depth I (sources base, base+I, ...); 0 and 1 are contiguous.
      return size_t{b.source_count} + b.repair_count <= kMaxRsBlockSymbols;
  }
  return false;
}

}  // namespace

bool operator==(const FecRepairBody& a, const FecRepairBody& b) {
  return a.scheme == b.scheme && a.repair_index == b.repair_index &&
         a.source_count == b.source_count && a.repair_count == b.repair_count &&
         a.stride == b.stride && a.base_sequence == b.base_sequence &&
         a.length_recovery == b.length_recovery && a.timestamp_recovery == b.timestamp_recovery &&
         std::ranges::equal(a.payload, b.payload);
}

absl::StatusOr<FecRepairBody> ParseFecRepair(std::span<const uint8_t> body) {
  if (body.size() > kMaxBodySize) return WireError(DropReason::kOversized);
  ByteReader reader(body);
  FecRepairBody b;
  uint8_t scheme = 0;
  if (!(reader.ReadU8(scheme) && reader.ReadU8(b.repair_index) && reader.ReadU16(b.source_count) &&
        reader.ReadU8(b.repair_count) && reader.ReadU8(b.stride) &&
        reader.ReadU32(b.base_sequence) && reader.ReadU16(b.length_recovery) &&
        reader.ReadU32(b.timestamp_recovery))) {
    return WireError(DropReason::kTruncated);
  }
  if (scheme < static_cast<uint8_t>(FecScheme::kXorRow) ||
      scheme > static_cast<uint8_t>(FecScheme::kReedSolomon)) {
    return WireError(DropReason::kBadField);
  }
  b.scheme = static_cast<FecScheme>(scheme);
  if (!ValidRanges(b)) return WireError(DropReason::kBadField);
  b.payload = reader.ReadRemaining();
  if (b.payload.empty()) return WireError(DropReason::kBadField);
  return b;
}

size_t Serialize(const Header& header, const FecRepairBody& body, std::span<uint8_t> out) {
  if (!ValidRanges(body) || body.payload.empty() || body.payload.size() > kMaxFecRepairPayload) {
    return 0;
  }
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kFecRepair)) return 0;
  writer.WriteU8(static_cast<uint8_t>(body.scheme));
  writer.WriteU8(body.repair_index);
  writer.WriteU16(body.source_count);
  writer.WriteU8(body.repair_count);
  writer.WriteU8(body.stride);
  writer.WriteU32(body.base_sequence);
  writer.WriteU16(body.length_recovery);
  writer.WriteU32(body.timestamp_recovery);
  writer.WriteBytes(body.payload);
  return FinishPacket(writer, header);
}

}  // namespace hitless
