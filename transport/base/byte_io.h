// Bounds-checked big-endian reader and writer over caller-owned buffers.
//
// ByteReader never reads past its span: every Read* returns false (and leaves
// the output untouched) when fewer bytes remain than asked for. ByteWriter
// never writes past its span: an overflowing Write* sets a sticky failure flag
// and writes nothing, so a serializer checks ok() once at the end. Neither
// allocates. Modelled on QUICHE's QuicDataReader/Writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace hitless {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  bool ReadU8(uint8_t& out) { return ReadBe(out); }
  bool ReadU16(uint16_t& out) { return ReadBe(out); }
  bool ReadU32(uint32_t& out) { return ReadBe(out); }
  bool ReadU64(uint64_t& out) { return ReadBe(out); }
  // A view of the next n bytes (no copy).
  bool ReadBytes(size_t n, std::span<const uint8_t>& out) {
    if (n > remaining()) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A view of everything left.
  std::span<const uint8_t> ReadRemaining() {
    auto out = data_.subspan(pos_);
    pos_ = data_.size();
    return out;
  }
  bool Skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool ReadBe(T& out) {
    if (sizeof(T) > remaining()) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | data_[pos_ + i]);
    out = v;
    pos_ += sizeof(T);
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> out) : out_(out) {}

  size_t written() const { return pos_; }
  size_t remaining() const { return out_.size() - pos_; }
  // False once any write did not fit.
  bool ok() const { return ok_; }

  void WriteU8(uint8_t v) { WriteBe(v); }
  void WriteU16(uint16_t v) { WriteBe(v); }
  void WriteU32(uint32_t v) { WriteBe(v); }
  void WriteU64(uint64_t v) { WriteBe(v); }
  void WriteBytes(std::span<const uint8_t> bytes) {
    if (!Fits(bytes.size())) return;
    if (!bytes.empty()) std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
  }
  void WriteZeros(size_t n) {
    if (!Fits(n)) return;
    std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
  }

 private:
  bool Fits(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }
  template <typename T>
  void WriteBe(T v) {
    if (!Fits(sizeof(T))) return;
    for (size_t i = 0; i < sizeof(T); ++i) {
      out_[pos_ + i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
    }
    pos_ += sizeof(T);
  }

  std::span<uint8_t> out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace hitless
