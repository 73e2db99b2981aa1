// The coded symbol of a source packet: [u16 length][u32 timestamp][payload
// zero-padded to the block's longest payload], big-endian metadata. The 6
// metadata bytes are coded exactly like payload bytes, so a repair carries
// them in FEC_REPAIR's length_recovery / timestamp_recovery fields and its
// payload is never longer than the block's longest source.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "transport/wire/data.h"

namespace hitless::fec_internal {

inline constexpr size_t kSymbolMetaSize = 6;
inline constexpr size_t kMaxSymbolSize = kSymbolMetaSize + kMaxDataPayload;

inline void PackMeta(uint16_t length, uint32_t timestamp, uint8_t* out) {
  out[0] = static_cast<uint8_t>(length >> 8);
  out[1] = static_cast<uint8_t>(length);
  out[2] = static_cast<uint8_t>(timestamp >> 24);
  out[3] = static_cast<uint8_t>(timestamp >> 16);
  out[4] = static_cast<uint8_t>(timestamp >> 8);
  out[5] = static_cast<uint8_t>(timestamp);
}

inline uint16_t MetaLength(const uint8_t* sym) {
  return static_cast<uint16_t>((sym[0] << 8) | sym[1]);
}

inline uint32_t MetaTimestamp(const uint8_t* sym) {
  return (uint32_t{sym[2]} << 24) | (uint32_t{sym[3]} << 16) | (uint32_t{sym[4]} << 8) |
         uint32_t{sym[5]};
}

// dst[0..n) ^= src[0..n). Word-wise so the compiler vectorizes it.
inline void XorInto(uint8_t* __restrict dst, const uint8_t* __restrict src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, dst + i, 8);
    std::memcpy(&b, src + i, 8);
    a ^= b;
    std::memcpy(dst + i, &a, 8);
  }
  for (; i < n; ++i) dst[i] ^= src[i];
}

// A kMaxSymbolSize buffer kept zero beyond its used length, so it is always a
// valid zero-padded symbol for any block length. Write() costs the payload
// copy plus zeroing what the previous, longer content left behind.
class SymbolBuffer {
 public:
  SymbolBuffer() : bytes_(new uint8_t[kMaxSymbolSize]()) {}
  SymbolBuffer(SymbolBuffer&&) = default;
  SymbolBuffer& operator=(SymbolBuffer&&) = default;

  uint8_t* data() { return bytes_.get(); }
  const uint8_t* data() const { return bytes_.get(); }

  // Stores a source (meta_length == n) or a repair (meta_length is its
  // length_recovery); n <= kMaxDataPayload (caller checked).
  void Write(uint16_t meta_length, uint32_t timestamp, const uint8_t* data, size_t n) {
    PackMeta(meta_length, timestamp, bytes_.get());
    std::memcpy(bytes_.get() + kSymbolMetaSize, data, n);
    used_ = std::max(used_, kSymbolMetaSize + n);
    ZeroTailFrom(kSymbolMetaSize + n);
  }
  // Marks [0, used) as possibly non-zero after an external write (ISA-L output).
  void MarkUsed(size_t used) {
    if (used > used_) used_ = used;
  }
  // Prepares the first n bytes to be overwritten by the caller (memcpy, XOR
  // target, ISA-L output) and zeroes the rest; returns the buffer.
  uint8_t* Overwrite(size_t n) {
    ZeroTailFrom(n);
    used_ = n;
    return bytes_.get();
  }
  // Zeroes everything from `from` on (keeps the zero-tail invariant).
  void ZeroTailFrom(size_t from) {
    if (used_ > from) std::memset(bytes_.get() + from, 0, used_ - from);
    used_ = from;
  }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t used_ = 0;  // bytes_[used_..) are zero
};

}  // namespace hitless::fec_internal
