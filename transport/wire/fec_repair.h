// FEC_REPAIR packets: one repair symbol of an FEC block, enough to rebuild a
// lost DATA packet's payload, length and timestamp. Schemes: XOR row (SMPTE
// 2022-1 style), XOR column (stride L), Reed-Solomon (k source, m repair).
// The header's sequence is the repair sequence (its own counter).
// Layout and ranges: docs/wire-format.md ("FEC_REPAIR").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "transport/wire/data.h"
#include "transport/wire/header.h"

namespace hitless {

enum class FecScheme : uint8_t {
  kXorRow = 1,
  kXorColumn = 2,
  kReedSolomon = 3,
};

// Bytes before the repair payload.
inline constexpr size_t kFecRepairFixedSize = 16;
inline constexpr size_t kMaxFecRepairPayload = kMaxBodySize - kFecRepairFixedSize;
static_assert(kMaxFecRepairPayload >= kMaxDataPayload);
// GF(2^8) Reed-Solomon: k + m symbols per block.
inline constexpr size_t kMaxRsBlockSymbols = 255;
// Largest XOR row length / column depth (k).
inline constexpr size_t kMaxXorSourceCount = 255;

struct FecRepairBody {
  FecScheme scheme = FecScheme::kXorRow;
  uint8_t repair_index = 0;          // < repair_count
  uint16_t source_count = 0;         // k
  uint8_t repair_count = 0;          // m; 1 for XOR
  uint8_t stride = 0;                // L for kXorColumn, interleave depth for RS, else 0
  uint32_t base_sequence = 0;        // DATA sequence of the block's first source
  uint16_t length_recovery = 0;      // XOR (or RS) of source payload lengths
  uint32_t timestamp_recovery = 0;   // XOR (or RS) of source timestamps
  std::span<const uint8_t> payload;  // a view; not owned

  friend bool operator==(const FecRepairBody& a, const FecRepairBody& b);
};

// Parses a plaintext FEC_REPAIR body. Errors: kTruncated if shorter than the
// fixed fields; kOversized if longer than kMaxBodySize; kBadField for an
// unknown scheme, an empty payload, or ranges the scheme forbids (XOR: m == 1,
// index 0, 1 <= k <= 255, stride >= 1 only and always for columns; RS:
// any stride (interleave depth), k >= 1, m >= 1, k + m <= 255; all: index < m).
absl::StatusOr<FecRepairBody> ParseFecRepair(std::span<const uint8_t> body);

// Writes a FEC_REPAIR packet (header.type is ignored). Returns the datagram
// size, or 0 if the body breaks a ParseFecRepair rule, the header is invalid
// or it does not fit in `out`.
size_t Serialize(const Header& header, const FecRepairBody& body, std::span<uint8_t> out);

}  // namespace hitless
