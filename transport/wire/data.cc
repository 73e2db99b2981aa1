// DATA body parsing and serialization.
#include "transport/wire/data.h"

#include <algorithm>

#include "transport/wire/wire_error.h"

namespace hitless {

bool operator==(const DataBody& a, const DataBody& b) {
  return std::ranges::equal(a.payload, b.payload);
}

absl::StatusOr<DataBody> ParseData(std::span<const uint8_t> body) {
  if (body.empty()) return WireError(DropReason::kBadField);
  if (body.size() > kMaxDataPayload) return WireError(DropReason::kOversized);
  return DataBody{body};
}

size_t Serialize(const Header& header, const DataBody& body, std::span<uint8_t> out) {
  if (body.payload.empty() || body.payload.size() > kMaxDataPayload) return 0;
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kData)) return 0;
  writer.WriteBytes(body.payload);
  return FinishPacket(writer, header);
}

size_t SerializeDataHeader(const Header& header, size_t payload_size, std::span<uint8_t> out) {
  if (payload_size == 0 || payload_size > kMaxDataPayload || header.encrypted) return 0;
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kData) || !writer.ok()) return 0;
  return writer.written();
}

}  // namespace hitless
