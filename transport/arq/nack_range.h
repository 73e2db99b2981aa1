// NackRange: a run of consecutive missing DATA sequences, in 64-bit unwrapped
// indices. The loss tracker emits them, the retransmit policy consumes them;
// the session converts to and from the wire's {u32 first, u16 count}
// (docs/wire-format.md, "NACK"), whose limits are mirrored here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hitless::arq {

struct NackRange {
  int64_t first = 0;
  int64_t count = 0;  // >= 1
  bool operator==(const NackRange&) const = default;
};

// Most ranges one NACK packet carries (wire: range count 1..244).
inline constexpr size_t kMaxNackRangesPerPacket = 244;
// Largest count of one range (wire: u16).
inline constexpr int64_t kMaxNackRangeCount = 65535;

// Sequence indices accepted by the ARQ parts: |seq| < 2^62, so differences
// never overflow int64. A SerialUnwrapper stays far inside this range.
inline constexpr int64_t kMaxSeq = (int64_t{1} << 62) - 1;
constexpr bool SeqInRange(int64_t seq) { return seq >= -kMaxSeq && seq <= kMaxSeq; }

}  // namespace hitless::arq
