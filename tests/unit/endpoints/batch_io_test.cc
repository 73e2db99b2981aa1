// SendBatch with UDP GSO on real loopback sockets: runs of one size to one
// destination leave as one message and arrive as the same datagrams, byte
// for byte and in order; a shorter datagram ends a run, another destination
// or a longer datagram starts a new one; without GSO the same bytes arrive.
#include "transport/io/batch_io.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <vector>

namespace hitless::io {
namespace {

namespace asio = boost::asio;

asio::ip::udp::socket Bound(asio::io_context& io) {
  asio::ip::udp::socket s(io);
  s.open(asio::ip::udp::v4());
  s.non_blocking(true);
  s.bind(UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
  return s;
}

std::vector<uint8_t> Datagram(size_t size, uint8_t tag) {
  std::vector<uint8_t> d(size);
  for (size_t i = 0; i < size; ++i) d[i] = static_cast<uint8_t>(tag + i);
  return d;
}

// Everything queued on `s` now (loopback delivers synchronously).
std::vector<std::vector<uint8_t>> Drain(asio::ip::udp::socket& s) {
  std::vector<std::vector<uint8_t>> out;
  RecvBatch batch(64, 2048);
  while (true) {
    const int n = batch.Receive(s.native_handle());
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      EXPECT_FALSE(batch.truncated(static_cast<size_t>(i)));
      const auto d = batch.data(static_cast<size_t>(i));
      out.emplace_back(d.begin(), d.end());
    }
  }
  return out;
}

class SendBatchGsoTest : public ::testing::TestWithParam<bool> {};

TEST_P(SendBatchGsoTest, EveryDatagramArrivesAsSentWhateverTheRuns) {
  const bool gso = GetParam();
  asio::io_context io;
  auto a = Bound(io);
  auto b = Bound(io);
  auto sender = Bound(io);
  const UdpEndpoint to_a = a.local_endpoint();
  const UdpEndpoint to_b = b.local_endpoint();
  SendBatch batch(128);
  if (gso && !batch.EnableGso(sender.native_handle())) GTEST_SKIP() << "no UDP_SEGMENT here";
  EXPECT_EQ(batch.gso(), gso);
  // To a: 70 x 1316 (over the 64-segment limit), one of 500 (ends the run),
  // 3 x 1316; to b: 2 x 1316; to a again: one of 1400 (longer: a new run).
  std::vector<std::vector<uint8_t>> datagrams;
  std::vector<const UdpEndpoint*> where;
  for (int i = 0; i < 70; ++i) datagrams.push_back(Datagram(1316, static_cast<uint8_t>(i)));
  datagrams.push_back(Datagram(500, 200));
  for (int i = 0; i < 3; ++i) datagrams.push_back(Datagram(1316, static_cast<uint8_t>(100 + i)));
  const size_t to_a_first = datagrams.size();
  for (size_t i = 0; i < to_a_first; ++i) where.push_back(&to_a);
  for (int i = 0; i < 2; ++i) {
    datagrams.push_back(Datagram(1316, static_cast<uint8_t>(150 + i)));
    where.push_back(&to_b);
  }
  datagrams.push_back(Datagram(1400, 77));
  where.push_back(&to_a);
  for (size_t i = 0; i < datagrams.size(); ++i) ASSERT_TRUE(batch.Add(datagrams[i], where[i]));
  SendErrorCounters errors;
  const SendBatch::Sent sent = batch.Flush(sender.native_handle(), errors);
  EXPECT_EQ(errors.Total(), 0u);
  EXPECT_EQ(sent.datagrams, datagrams.size());
  size_t bytes = 0;
  for (const auto& d : datagrams) bytes += d.size();
  EXPECT_EQ(sent.bytes, bytes);
  EXPECT_EQ(batch.size(), 0u);

  std::vector<std::vector<uint8_t>> want_a(datagrams.begin(), datagrams.begin() + 74);
  want_a.push_back(datagrams.back());
  const std::vector<std::vector<uint8_t>> want_b(datagrams.begin() + 74, datagrams.begin() + 76);
  EXPECT_EQ(Drain(a), want_a);
  EXPECT_EQ(Drain(b), want_b);
  if (gso) {
    // Runs: 64 + (6 + the 500) to a, 3 to a, 2 to b, the 1400 alone.
    EXPECT_EQ(batch.gso_stats().messages, 4u);
    EXPECT_EQ(batch.gso_stats().segments, 64u + 7u + 3u + 2u);
    EXPECT_EQ(batch.gso_stats().fallbacks, 0u);
  } else {
    EXPECT_EQ(batch.gso_stats().messages, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutGso, SendBatchGsoTest, ::testing::Bool());

// Two-part datagrams (a relay hop's header + a shared payload) arrive whole,
// in order, between single-part runs that GSO would join: never joined into
// a run themselves, and they end the run before them.
TEST_P(SendBatchGsoTest, TwoPartDatagramsArriveJoinedBetweenRuns) {
  const bool gso = GetParam();
  asio::io_context io;
  auto a = Bound(io);
  auto sender = Bound(io);
  const UdpEndpoint to_a = a.local_endpoint();
  SendBatch batch(64);
  if (gso && !batch.EnableGso(sender.native_handle())) GTEST_SKIP() << "no UDP_SEGMENT here";
  const std::vector<uint8_t> head = Datagram(16, 9);
  const std::vector<uint8_t> body = Datagram(1300, 40);
  std::vector<uint8_t> joined = head;
  joined.insert(joined.end(), body.begin(), body.end());
  std::vector<std::vector<uint8_t>> singles;
  for (int i = 0; i < 6; ++i) singles.push_back(Datagram(1316, static_cast<uint8_t>(i)));
  std::vector<std::vector<uint8_t>> want;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(batch.Add(singles[i], &to_a));
    want.push_back(singles[i]);
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(batch.AddParts(head, body, &to_a));
    want.push_back(joined);
  }
  for (int i = 3; i < 6; ++i) {
    ASSERT_TRUE(batch.Add(singles[i], &to_a));
    want.push_back(singles[i]);
  }
  SendErrorCounters errors;
  const SendBatch::Sent sent = batch.Flush(sender.native_handle(), errors);
  EXPECT_EQ(errors.Total(), 0u);
  EXPECT_EQ(sent.datagrams, want.size());
  EXPECT_EQ(sent.bytes, 6 * 1316 + 2 * joined.size());
  EXPECT_EQ(Drain(a), want);
  if (gso) {
    EXPECT_EQ(batch.gso_stats().segments, 6u);  // two runs of 3
  }
}

// A GSO message to a GRO socket over loopback arrives as one message, and
// Receive cuts it back into the datagrams, each with the sender's address.
TEST(RecvBatchGroTest, CoalescedMessageIsCutBackIntoItsDatagrams) {
  asio::io_context io;
  auto receiver = Bound(io);
  auto sender = Bound(io);
  const UdpEndpoint to = receiver.local_endpoint();
  SendBatch out(16);
  if (!out.EnableGso(sender.native_handle())) GTEST_SKIP() << "no UDP_SEGMENT here";
  RecvBatch small(8, 2048);
  EXPECT_FALSE(small.EnableGro(receiver.native_handle()));  // buffers too small
  RecvBatch in(8, 65536);
  if (!in.EnableGro(receiver.native_handle())) GTEST_SKIP() << "no UDP_GRO here";
  ASSERT_TRUE(in.EnableArrivalTimes(receiver.native_handle()));
  std::vector<std::vector<uint8_t>> datagrams;
  for (int i = 0; i < 10; ++i) datagrams.push_back(Datagram(1316, static_cast<uint8_t>(i * 7)));
  datagrams.push_back(Datagram(500, 99));
  for (const auto& d : datagrams) ASSERT_TRUE(out.Add(d, &to));
  SendErrorCounters errors;
  EXPECT_EQ(out.Flush(sender.native_handle(), errors).datagrams, 11u);
  EXPECT_EQ(out.gso_stats().messages, 1u);
  const int n = in.Receive(receiver.native_handle());
  ASSERT_EQ(n, 11);
  EXPECT_EQ(in.gro_messages(), 1u);
  EXPECT_EQ(in.gro_datagrams(), 11u);
  const RecvBatch::Clocks clocks = RecvBatch::ReadClocks(Time::Zero() + Duration::Seconds(10));
  for (size_t i = 0; i < 11; ++i) {
    const auto d = in.data(i);
    EXPECT_EQ(std::vector<uint8_t>(d.begin(), d.end()), datagrams[i]) << i;
    EXPECT_FALSE(in.truncated(i));
    EXPECT_EQ(in.source(i), sender.local_endpoint());
    EXPECT_EQ(in.arrival(i, clocks), in.arrival(0, clocks));  // the message's time
  }
  EXPECT_EQ(in.Receive(receiver.native_handle()), 0);
}

}  // namespace
}  // namespace hitless::io
