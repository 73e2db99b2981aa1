// NACK packets: the receiver asks for retransmission of lost DATA packets as
// a list of sequence ranges. Ranges are 32-bit serial numbers and may cross
// the 2^32 wrap (first + count - 1 wraps to small values); the session
// unwraps them. Layout: docs/wire-format.md ("NACK").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "transport/wire/header.h"

namespace hitless {

inline constexpr size_t kNackRangeSize = 6;
// As many ranges as fit in kMaxBodySize after the count: 244.
inline constexpr size_t kMaxNackRanges = (kMaxBodySize - 2) / kNackRangeSize;

struct NackRange {
  uint32_t first = 0;  // first missing sequence
  uint16_t count = 0;  // >= 1 consecutive sequences from `first` (mod 2^32)

  friend bool operator==(const NackRange&, const NackRange&) = default;
};

struct NackBody {
  std::vector<NackRange> ranges;  // 1..kMaxNackRanges, in sender's order

  friend bool operator==(const NackBody&, const NackBody&) = default;
};

// Parses a plaintext NACK body. The range count is checked against the limit
// and the remaining bytes before anything is allocated. Errors: kTruncated if
// the count field or the announced ranges are cut short; kOversized if longer
// than kMaxBodySize; kBadField for count 0, count > kMaxNackRanges or a range
// count of 0; kTrailingBytes for bytes after the last range. Ranges are not
// required to be sorted or disjoint.
absl::StatusOr<NackBody> ParseNack(std::span<const uint8_t> body);
// The same rules, into a caller's vector (cleared first; reused capacity:
// no allocation once it has held kMaxNackRanges). On error `ranges` is empty.
absl::Status ParseNackInto(std::span<const uint8_t> body, std::vector<NackRange>& ranges);

// Writes a NACK packet (header.type is ignored). Returns the datagram size, or
// 0 if the range list breaks a ParseNack rule, the header is invalid or it
// does not fit in `out`.
size_t Serialize(const Header& header, const NackBody& body, std::span<uint8_t> out);
size_t SerializeNack(const Header& header, std::span<const NackRange> ranges,
                     std::span<uint8_t> out);

}  // namespace hitless
