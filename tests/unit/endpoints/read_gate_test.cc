// ReadGate and RecvBatch arrival times on real loopback sockets: a gated
// socket wakes the loop only while a wait is pending; datagrams read late
// keep the time they arrived; UdpInput hands those times on.
#include "transport/io/read_gate.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <thread>
#include <vector>

#include "tests/unit/endpoints/test_util.h"
#include "transport/base/clock.h"
#include "transport/endpoints/udp_input.h"
#include "transport/io/batch_io.h"

namespace hitless::io {
namespace {

namespace asio = boost::asio;
using endpoints::testing::RunUntil;

struct Pair {
  explicit Pair(asio::io_context& io) : receiver(io), sender(io) {
    receiver.open(asio::ip::udp::v4());
    receiver.non_blocking(true);
    receiver.bind(UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
    to = receiver.local_endpoint();
    sender.open(asio::ip::udp::v4());
  }
  void Send(uint8_t byte) {
    const uint8_t data[4] = {byte, 0, 0, 0};
    sender.send_to(asio::buffer(data), to);
  }
  asio::ip::udp::socket receiver;
  asio::ip::udp::socket sender;
  UdpEndpoint to;
};

TEST(ReadGateTest, WakesOnlyWhileAWaitIsPending) {
  asio::io_context io;
  Pair p(io);
  auto gate = ReadGate::Take(io, p.receiver);
  ASSERT_TRUE(gate.ok()) << gate.status();
  EXPECT_FALSE(p.receiver.is_open());  // the descriptor moved to the gate
  EXPECT_EQ((*gate)->local_endpoint(), p.to);
  int calls = 0;
  (*gate)->Wait([&] { ++calls; });
  p.Send(1);
  ASSERT_TRUE(RunUntil(io, [&] { return calls == 1; }));
  // Not re-armed: a second datagram calls nothing.
  p.Send(2);
  RunUntil(
      io, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1);
  // Re-armed with both datagrams still queued: called at once, and both read.
  (*gate)->Wait([&] { ++calls; });
  ASSERT_TRUE(RunUntil(io, [&] { return calls == 2; }));
  RecvBatch batch(8, 64);
  EXPECT_EQ(batch.Receive((*gate)->fd()), 2);
  // Close cancels a pending wait: its handler never runs.
  (*gate)->Wait([&] { ++calls; });
  (*gate)->Close();
  EXPECT_EQ((*gate)->fd(), -1);
  p.Send(3);
  RunUntil(
      io, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 2);
}

TEST(RecvBatchTest, ArrivalTimeIsWhenTheDatagramCameNotWhenItWasRead) {
  asio::io_context io;
  Pair p(io);
  RecvBatch batch(8, 64);
  ASSERT_TRUE(batch.EnableArrivalTimes(p.receiver.native_handle()));
  // The first SO_TIMESTAMPNS socket on a host switches receive stamping on
  // through deferred work: until it has run, a datagram is stamped when it
  // is read. A real input enables it at start; here, wait for it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  SteadyClock clock;
  p.Send(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  p.Send(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(batch.Receive(p.receiver.native_handle()), 2);
  const RecvBatch::Clocks clocks = RecvBatch::ReadClocks(clock.Now());
  const Time first = batch.arrival(0, clocks);
  const Time second = batch.arrival(1, clocks);
  EXPECT_LE(second, clocks.now);
  EXPECT_LE(first, clocks.now - Duration::Milliseconds(30));
  // Sleeps last at least as long as asked: the gap is at least 30 ms (the
  // stamps come from one clock), and far less than a second.
  EXPECT_GE(second - first, Duration::Milliseconds(29));
  EXPECT_LT(second - first, Duration::Seconds(1));
}

TEST(RecvBatchTest, WithoutArrivalTimesArrivalIsNow) {
  asio::io_context io;
  Pair p(io);
  RecvBatch batch(8, 64);
  p.Send(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(batch.Receive(p.receiver.native_handle()), 1);
  SteadyClock clock;
  const RecvBatch::Clocks clocks = RecvBatch::ReadClocks(clock.Now());
  EXPECT_EQ(batch.arrival(0, clocks), clocks.now);
}

// UdpInput reads a flowing input every `hold` but hands each datagram the
// time it arrived: two datagrams 40 ms apart, read in one batch after a
// 100 ms hold, keep their 40 ms.
TEST(UdpInputHoldTest, HeldDatagramsKeepTheirArrivalTimes) {
  asio::io_context io;
  endpoints::UdpInput::Options options;
  options.local = UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0);
  options.hold = Duration::Milliseconds(100);
  endpoints::UdpInput input(options);
  std::vector<Time> times;
  ASSERT_TRUE(input
                  .Start(
                      io, [&](std::span<const uint8_t>, Time t) { times.push_back(t); }, nullptr)
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // see the test above
  asio::ip::udp::socket sender(io);
  sender.open(asio::ip::udp::v4());
  const auto to = *input.local_endpoint();
  const uint8_t data[4] = {1, 2, 3, 4};
  sender.send_to(asio::buffer(data), to);
  ASSERT_TRUE(RunUntil(io, [&] { return times.size() == 1; }));  // read at once: idle input
  // Now held for 100 ms: two more, 40 ms apart, wait in the socket.
  sender.send_to(asio::buffer(data), to);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  sender.send_to(asio::buffer(data), to);
  ASSERT_TRUE(RunUntil(io, [&] { return times.size() == 3; }));
  EXPECT_GE(times[2] - times[1], Duration::Milliseconds(39));
  EXPECT_LT(times[2] - times[1], Duration::Seconds(1));
  EXPECT_EQ(input.stats().datagrams, 3u);
  input.Stop();
}

// A slow stream's hold stretches (up to max_hold) so that a read finds
// several datagrams: one every 2 ms with a 2 ms hold would be read one or
// two at a time; with max_hold 40 ms the reads find about kHoldBatch.
TEST(UdpInputHoldTest, ASlowStreamIsHeldLongerToBatchItsReads) {
  asio::io_context io;
  endpoints::UdpInput::Options options;
  options.local = UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0);
  options.hold = Duration::Milliseconds(2);
  options.max_hold = Duration::Milliseconds(40);
  endpoints::UdpInput input(options);
  std::vector<Time> read_at;  // the clock when each datagram was handed over
  std::vector<Time> arrived;
  SteadyClock clock;
  ASSERT_TRUE(input
                  .Start(
                      io,
                      [&](std::span<const uint8_t>, Time t) {
                        read_at.push_back(clock.Now());
                        arrived.push_back(t);
                      },
                      nullptr)
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // see the test above
  const auto to = *input.local_endpoint();
  std::thread sender_thread([to] {
    asio::io_context sender_io;
    asio::ip::udp::socket sender(sender_io);
    sender.open(asio::ip::udp::v4());
    const uint8_t data[4] = {1, 2, 3, 4};
    for (int i = 0; i < 200; ++i) {
      sender.send_to(asio::buffer(data), to);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const bool all = RunUntil(
      io, [&] { return read_at.size() == 200; }, std::chrono::seconds(10));
  sender_thread.join();
  ASSERT_TRUE(all) << read_at.size();
  // Reads: groups handed over at one instant (within 0.5 ms).
  int reads = 1;
  for (size_t i = 1; i < read_at.size(); ++i) {
    if (read_at[i] - read_at[i - 1] > Duration::Microseconds(500)) ++reads;
  }
  // Unstretched: ~100-200 reads. Stretched: ~200 / kHoldBatch; a loaded
  // machine only makes the batches larger.
  EXPECT_LT(reads, 70) << "reads " << reads;
  // Each datagram still carries its own arrival time: spread, not batched.
  EXPECT_GT(arrived.back() - arrived.front(), Duration::Milliseconds(300));
  input.Stop();
}

}  // namespace
}  // namespace hitless::io
