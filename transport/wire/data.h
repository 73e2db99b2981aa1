// DATA packets: one media payload (usually 7 MPEG-TS packets, 1316 bytes).
// The header carries the packet sequence number and the sender timestamp the
// jitter buffer releases on; the body is the payload and nothing else.
// Layout: docs/wire-format.md ("DATA").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "transport/wire/header.h"

namespace hitless {

// Largest DATA payload. Smaller than kMaxBodySize by the FEC_REPAIR fixed
// fields, so a repair packet can always carry the XOR/RS of full payloads.
inline constexpr size_t kMaxDataPayload = 1452;

struct DataBody {
  std::span<const uint8_t> payload;  // a view; not owned

  friend bool operator==(const DataBody& a, const DataBody& b);
};

// Parses a plaintext DATA body. Errors: kBadField if empty; kOversized if
// longer than kMaxDataPayload.
absl::StatusOr<DataBody> ParseData(std::span<const uint8_t> body);

// Writes a DATA packet (header.type is ignored) into `out`. Returns the
// datagram size, or 0 if the payload is empty or longer than kMaxDataPayload,
// the header is invalid (see WriteHeader) or it does not fit in `out`.
size_t Serialize(const Header& header, const DataBody& body, std::span<uint8_t> out);

// Writes only the header of a DATA packet whose `payload_size`-byte payload
// is sent after it as a separate part (a gather send). Returns kHeaderSize,
// or 0 if the payload size is 0 or over kMaxDataPayload, the header is
// invalid or encrypted (a sealed packet is one piece), or `out` is short.
size_t SerializeDataHeader(const Header& header, size_t payload_size, std::span<uint8_t> out);

}  // namespace hitless
