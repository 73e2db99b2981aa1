#include "transport/base/byte_io.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace hitless {
namespace {

TEST(ByteIoTest, RoundTripBigEndian) {
  std::array<uint8_t, 15> buf{};
  ByteWriter w(buf);
  w.WriteU8(0xAB);
  w.WriteU16(0x1234);
  w.WriteU32(0xDEADBEEF);
  w.WriteU64(0x0102030405060708ull);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.written(), 15u);
  EXPECT_EQ(buf[1], 0x12);
  EXPECT_EQ(buf[3], 0xDE);

  ByteReader r(buf);
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  ASSERT_TRUE(r.ReadU8(a) && r.ReadU16(b) && r.ReadU32(c) && r.ReadU64(d));
  EXPECT_EQ(a, 0xAB);
  EXPECT_EQ(b, 0x1234);
  EXPECT_EQ(c, 0xDEADBEEFu);
  EXPECT_EQ(d, 0x0102030405060708ull);
  EXPECT_TRUE(r.empty());
}

TEST(ByteIoTest, ReaderRefusesToReadPastTheEnd) {
  const std::array<uint8_t, 3> buf = {1, 2, 3};
  ByteReader r(buf);
  uint32_t v = 77;
  EXPECT_FALSE(r.ReadU32(v));
  EXPECT_EQ(v, 77u);             // untouched
  EXPECT_EQ(r.remaining(), 3u);  // nothing consumed
  std::span<const uint8_t> view;
  EXPECT_FALSE(r.ReadBytes(4, view));
  EXPECT_TRUE(r.ReadBytes(3, view));
  EXPECT_EQ(view.size(), 3u);
  EXPECT_FALSE(r.Skip(1));
}

TEST(ByteIoTest, WriterFailureIsSticky) {
  std::array<uint8_t, 4> buf{};
  ByteWriter w(buf);
  w.WriteU16(1);
  w.WriteU32(2);  // does not fit
  EXPECT_FALSE(w.ok());
  w.WriteU8(3);  // would fit, but the writer has failed
  EXPECT_EQ(w.written(), 2u);
  EXPECT_EQ(buf[2], 0);
}

}  // namespace
}  // namespace hitless
