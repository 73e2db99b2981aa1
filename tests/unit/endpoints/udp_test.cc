// UdpInput -> UdpOutput over loopback with real sockets (port 0): a gen://
// stream arrives complete in VerifyOutput; oversized datagrams are counted
// and dropped; multicast when the host allows it.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/unit/endpoints/test_util.h"
#include "transport/endpoints/factory.h"
#include "transport/endpoints/gen_input.h"
#include "transport/endpoints/udp_input.h"
#include "transport/endpoints/udp_output.h"
#include "transport/endpoints/verify_output.h"

namespace hitless::endpoints {
namespace {

using testing::RunUntil;

UdpInput::Options LoopbackInput() {
  UdpInput::Options options;
  options.local = io::UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
  return options;
}

TEST(UdpTest, GenThroughLoopbackIntoVerifyWithoutLoss) {
  boost::asio::io_context io;
  UdpInput input(LoopbackInput());
  VerifyOutput verify("");
  ASSERT_TRUE(verify.Start(io, nullptr).ok());
  ASSERT_TRUE(
      input
          .Start(
              io, [&](std::span<const uint8_t> d, Time now) { verify.Write(d, now); }, nullptr)
          .ok());
  const auto local = input.local_endpoint();
  ASSERT_TRUE(local.has_value());
  ASSERT_NE(local->port(), 0);
  EXPECT_GT(input.effective_rcvbuf(), 0u);

  UdpOutput::Options out_options;
  out_options.destination = *local;
  UdpOutput output(out_options);
  ASSERT_TRUE(output.Start(io, nullptr).ok());

  GenSpec spec;
  spec.bitrate_bps = 20'000'000;
  spec.duration = Duration::Milliseconds(300);
  GenInput gen(spec);
  const uint64_t planned = *gen.planned();
  bool gen_done = false;
  ASSERT_TRUE(gen.Start(
                     io, [&](std::span<const uint8_t> d, Time now) { output.Write(d, now); },
                     [&](absl::Status) { gen_done = true; })
                  .ok());
  ASSERT_TRUE(RunUntil(io, [&] { return gen_done && verify.checker().unique() == planned; }))
      << "received " << verify.checker().unique() << " of " << planned;
  const VerifyReport report = verify.report();
  EXPECT_EQ(report.missing, 0u);
  EXPECT_EQ(report.duplicates, 0u);
  EXPECT_EQ(report.reordered, 0u);
  EXPECT_EQ(report.malformed, 0u);
  // Loopback adds no queueing: the gen's timestamps, carried through the
  // datagrams and read back by verify, put the median well under 100 ms on a
  // loaded machine (a wrong stamp or unit would not).
  EXPECT_LT(report.latency_p50_ms, 100.0);
  EXPECT_GT(report.latency_max_ms, 0.0);
  EXPECT_EQ(output.stats().datagrams, planned);
  EXPECT_EQ(output.stats().errors, 0u);
  EXPECT_EQ(input.stats().datagrams, planned);
  EXPECT_EQ(input.stats().bytes, planned * 1316);
  EXPECT_EQ(input.stats().drops.Total(), 0u);
  EXPECT_TRUE(output.Close().ok());
  input.Stop();
}

TEST(UdpTest, OversizedDatagramsAreCountedAndDropped) {
  boost::asio::io_context io;
  UdpInput::Options options = LoopbackInput();
  options.max_datagram = 100;
  UdpInput input(options);
  std::vector<size_t> sizes;
  ASSERT_TRUE(
      input
          .Start(
              io, [&](std::span<const uint8_t> d, Time) { sizes.push_back(d.size()); }, nullptr)
          .ok());
  UdpOutput::Options out_options;
  out_options.destination = *input.local_endpoint();
  UdpOutput output(out_options);
  ASSERT_TRUE(output.Start(io, nullptr).ok());
  const std::vector<uint8_t> big(200, 1), small(50, 2);
  output.Write(big, Time());
  output.Write(small, Time());
  output.Flush();
  ASSERT_TRUE(RunUntil(io, [&] { return !sizes.empty(); }));
  EXPECT_EQ(sizes, std::vector<size_t>{50});
  EXPECT_EQ(input.stats().drops.Get(DropReason::kOversized), 1u);
  EXPECT_EQ(input.stats().datagrams, 1u);
}

TEST(UdpTest, FactoryBuildsUdpEndpointsAndReportsBindErrors) {
  boost::asio::io_context io;  // outlives the endpoints
  auto in_spec = ParseEndpointUrl("udp://127.0.0.1:0?rcvbuf=1M", Role::kInput);
  ASSERT_TRUE(in_spec.ok());
  auto input = MakeInput(*in_spec);
  ASSERT_TRUE(input.ok()) << input.status();
  ASSERT_TRUE((*input)
                  ->Start(
                      io, [](std::span<const uint8_t>, Time) {}, nullptr)
                  .ok());
  const auto port = static_cast<UdpInput&>(**input).local_endpoint()->port();

  // A second socket on the same unicast port cannot bind.
  auto clash = MakeInput(*ParseEndpointUrl(absl::StrCat("udp://127.0.0.1:", port), Role::kInput));
  ASSERT_TRUE(clash.ok());
  const absl::Status status = (*clash)->Start(io, nullptr, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("cannot bind"), absl::string_view::npos) << status;

  auto bad = MakeOutput(*ParseEndpointUrl("udp://no-such-host.invalid:5000", Role::kOutput));
  EXPECT_FALSE(bad.ok());
  auto bad_iface =
      MakeOutput(*ParseEndpointUrl("udp://127.0.0.1:5000?iface=127.0.0.1", Role::kOutput));
  EXPECT_EQ(bad_iface.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UdpTest, MulticastOnLoopbackWhenAvailable) {
  boost::asio::io_context io;
  UdpInput::Options in_options;
  in_options.local = io::UdpEndpoint(boost::asio::ip::make_address("239.255.42.99"), 0);
  in_options.iface = boost::asio::ip::make_address("127.0.0.1");
  UdpInput input(in_options);
  int received = 0;
  if (!input
           .Start(
               io, [&](std::span<const uint8_t>, Time) { ++received; }, nullptr)
           .ok()) {
    GTEST_SKIP() << "cannot join a multicast group here";
  }
  UdpOutput::Options out_options;
  out_options.destination =
      io::UdpEndpoint(in_options.local.address(), input.local_endpoint()->port());
  out_options.iface = in_options.iface;
  out_options.ttl = 0;
  UdpOutput output(out_options);
  ASSERT_TRUE(output.Start(io, nullptr).ok());
  const std::vector<uint8_t> datagram(188, 0x47);
  output.Write(datagram, Time());
  output.Flush();
  if (!RunUntil(
          io, [&] { return received > 0; }, std::chrono::seconds(2))) {
    GTEST_SKIP() << "no multicast route on loopback here";
  }
  EXPECT_EQ(received, 1);
}

}  // namespace
}  // namespace hitless::endpoints
