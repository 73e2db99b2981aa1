// Serial-number arithmetic (RFC 1982) for the 32-bit counters the wire
// carries (sequence numbers, microsecond timestamps), and the unwrapper that
// widens them once, at the parser's edge, to a 64-bit index used everywhere
// inside (maps, rings, loss trackers). Modelled on libwebrtc's SeqNumUnwrapper.
//
// Comparison of a and b is defined when they are less than 2^31 apart; the
// unwrapper assumes consecutive inputs are less than 2^31 apart (at 200 Mbit/s
// of 1316-byte packets that is 29 hours of sequence space).
#pragma once

#include <cstdint>
#include <optional>

namespace hitless {

// Signed distance a - b in serial arithmetic: positive when a is after b.
constexpr int32_t SerialDiff(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b);  // two's complement wrap is the definition
}
constexpr bool SerialLess(uint32_t a, uint32_t b) { return SerialDiff(a, b) < 0; }
constexpr bool SerialLessOrEqual(uint32_t a, uint32_t b) { return SerialDiff(a, b) <= 0; }
constexpr bool SerialGreater(uint32_t a, uint32_t b) { return SerialDiff(a, b) > 0; }

// Widens a stream of 32-bit serial numbers to 64-bit indices. The first value
// maps to itself (as an int64); each later value maps to the index closest to
// the previous one, so reordered and duplicate inputs unwrap correctly and a
// wrap from 0xFFFFFFFF to 0 continues at 2^32. Indices may go below zero if the
// stream starts near 0 and an older (reordered) value arrives.
class SerialUnwrapper {
 public:
  // Returns the 64-bit index for `value` and remembers it when it is newer
  // than every value seen so far.
  int64_t Unwrap(uint32_t value) {
    if (!last_) {
      last_ = value;
      return *last_;
    }
    const int64_t index = PeekUnwrap(value);
    if (index > *last_) last_ = index;
    return index;
  }
  // Same mapping without updating state.
  int64_t PeekUnwrap(uint32_t value) const {
    if (!last_) return value;
    const auto last32 = static_cast<uint32_t>(static_cast<uint64_t>(*last_));
    return *last_ + SerialDiff(value, last32);
  }
  std::optional<int64_t> last() const { return last_; }
  void Reset() { last_.reset(); }

 private:
  std::optional<int64_t> last_;
};

}  // namespace hitless
