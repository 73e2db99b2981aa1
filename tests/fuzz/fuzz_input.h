// What the fuzz targets share: a reader that takes little-endian values and
// byte runs from libFuzzer's input (zeros once it runs out), and a check
// that aborts (a finding) when an invariant breaks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace hitless::fuzzing {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

class Input {
 public:
  explicit Input(std::span<const uint8_t> data) : data_(data) {}
  bool empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }
  template <typename T>
  T Take() {
    T v{};
    for (size_t i = 0; i < sizeof(T) && !data_.empty(); ++i) {
      v = static_cast<T>(v | static_cast<T>(static_cast<uint64_t>(data_[0]) << (8 * i)));
      data_ = data_.subspan(1);
    }
    return v;
  }
  // Up to `n` bytes (fewer at the end of the input).
  std::span<const uint8_t> TakeBytes(size_t n) {
    const auto out = data_.first(std::min(n, data_.size()));
    data_ = data_.subspan(out.size());
    return out;
  }

 private:
  std::span<const uint8_t> data_;
};

}  // namespace hitless::fuzzing
