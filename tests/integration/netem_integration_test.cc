// Integration tests of hitless-netem: the real binary over loopback (and, as
// root, across two network namespaces joined by a veth pair).
//
// Every emulator is started with --listen IP:0 and stopped by PID (SIGTERM,
// waitpid with a deadline); receivers bind port 0; waits poll conditions.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/netem_harness.h"

namespace hitless::testing {
namespace {

constexpr char kEmulator[] = HITLESS_NETEM_BINARY;
constexpr size_t kPayload = 1316;

struct Emulator {
  Process process;
  uint16_t port = 0;
};

// Starts the emulator on 127.0.0.1:0 forwarding to 127.0.0.1:target_port.
void StartLocal(Emulator& emulator, uint16_t target_port, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--forward",
                                   "127.0.0.1:" + std::to_string(target_port), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string error;
  const std::optional<uint16_t> port = StartEmulator(emulator.process, kEmulator, args, &error);
  ASSERT_TRUE(port.has_value()) << error;
  emulator.port = *port;
}

TEST(NetemIntegration, ZeroImpairmentThroughputAndDelay) {
  UdpSocket receiver;
  ASSERT_TRUE(receiver.Bind("127.0.0.1", 0, 32 << 20));
  Emulator emulator;
  ASSERT_NO_FATAL_FAILURE(StartLocal(emulator, receiver.port(), {}));
  Collector collector(receiver.fd());
  UdpSocket sender;
  ASSERT_TRUE(sender.Bind("127.0.0.1", 0));

  // 30 Mbit/s of 1316-byte datagrams: ~2,850 pkt/s for 3 s, bursts of 8 (a
  // rate a loaded 2-core machine keeps; the emulator's ceiling is measured
  // by the benchmarks).
  const double pps = 30e6 / (kPayload * 8);
  const uint64_t count = static_cast<uint64_t>(pps * 3);
  const uint64_t sent =
      SendPaced(sender, MakeAddress("127.0.0.1", emulator.port), 0, count, pps, kPayload, 8);
  ASSERT_EQ(sent, count);
  EXPECT_TRUE(WaitFor([&] { return collector.count() >= sent; }, Millis(5000)));
  collector.Stop();
  std::vector<Collector::Record> records = collector.Take();
  EXPECT_EQ(records.size(), sent) << "loss or duplication with zero impairment";
  std::vector<int64_t> delays;
  uint64_t out_of_order = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].seq != i) ++out_of_order;
    delays.push_back(records[i].delay_ns);
  }
  EXPECT_EQ(out_of_order, 0u);
  const int64_t p50 = Percentile(delays, 50);
  const int64_t p99 = Percentile(delays, 99);
  const int64_t max = delays.empty() ? 0 : delays.back();
  printf("added delay over %zu packets: p50 %.1f us, p99 %.1f us, max %.1f us\n", delays.size(),
         p50 / 1e3, p99 / 1e3, max / 1e3);
  // No impairment adds no delay: the median stays far below the smallest
  // delay a scenario configures (a timer-driven forward would not).
  EXPECT_LT(p50, 5'000'000) << "median added delay must stay under 5 ms";
  EXPECT_EQ(emulator.process.Stop(Millis(5000)), 0);
}

TEST(NetemIntegration, BidirectionalEchoPerClient) {
  UdpSocket target;
  ASSERT_TRUE(target.Bind("127.0.0.1", 0));
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    uint8_t buffer[2048];
    while (!stop) {
      sockaddr_in from{};
      const ssize_t n = target.Receive(buffer, sizeof(buffer), &from, Millis(20));
      if (n > 0) target.SendTo(from, buffer, static_cast<size_t>(n));
    }
  });
  Emulator emulator;
  StartLocal(emulator, target.port(), {"--delay", "2ms"});
  ASSERT_GT(emulator.port, 0);

  constexpr int kClients = 2;
  constexpr uint64_t kPerClient = 500;
  UdpSocket clients[kClients];
  for (auto& c : clients) ASSERT_TRUE(c.Bind("127.0.0.1", 0));
  const sockaddr_in to = MakeAddress("127.0.0.1", emulator.port);
  for (int c = 0; c < kClients; ++c) {
    // Client c's sequence numbers start at c * 1e6 so echoes are attributable.
    ASSERT_EQ(SendPaced(clients[c], to, c * 1'000'000ull, kPerClient, 20'000, 200, 4), kPerClient);
  }
  for (int c = 0; c < kClients; ++c) {
    uint64_t received = 0;
    uint8_t buffer[2048];
    while (received < kPerClient) {
      sockaddr_in from{};
      const ssize_t n = clients[c].Receive(buffer, sizeof(buffer), &from, Millis(3000));
      if (n < 16) break;
      EXPECT_EQ(ntohs(from.sin_port), emulator.port) << "echo must come from the emulator";
      EXPECT_EQ(PayloadSeq(buffer) / 1'000'000, static_cast<uint64_t>(c));
      ++received;
    }
    EXPECT_EQ(received, kPerClient) << "client " << c;
  }
  stop = true;
  echo.join();
  EXPECT_EQ(emulator.process.Stop(Millis(5000)), 0);
}

TEST(NetemIntegration, SeededLossMatchesSummary) {
  UdpSocket receiver;
  ASSERT_TRUE(receiver.Bind("127.0.0.1", 0, 32 << 20));
  const std::string json_path =
      ::testing::TempDir() + "netem_loss_" + std::to_string(getpid()) + ".json";
  Emulator emulator;
  StartLocal(emulator, receiver.port(),
             {"--loss", "10%", "--seed", "7", "--stats-json", json_path});
  ASSERT_GT(emulator.port, 0);
  Collector collector(receiver.fd());
  UdpSocket sender;
  ASSERT_TRUE(sender.Bind("127.0.0.1", 0));
  const sockaddr_in to = MakeAddress("127.0.0.1", emulator.port);

  constexpr uint64_t kCount = 20'000;
  ASSERT_EQ(SendPaced(sender, to, 0, kCount, 20'000, kPayload, 8), kCount);
  // Zero delay keeps order, so once a marker arrives every data packet has
  // been delivered or lost. Markers may be lost too: send until one arrives.
  constexpr uint64_t kMarker = 1ull << 62;
  uint64_t markers = 0;
  uint64_t data_received = 0;
  uint64_t markers_received = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& r : collector.Take()) {
          (r.seq >= kMarker ? markers_received : data_received) += 1;
        }
        if (markers_received > 0) return true;
        markers += SendPaced(sender, to, kMarker + markers, 1, 1e6, 64, 1);
        return false;
      },
      Millis(5000)));
  collector.Stop();
  for (const auto& r : collector.Take()) (r.seq >= kMarker ? markers_received : data_received)++;

  const double fraction = static_cast<double>(data_received) / kCount;
  printf("delivered %.4f of %llu (markers %llu/%llu)\n", fraction,
         static_cast<unsigned long long>(kCount), static_cast<unsigned long long>(markers_received),
         static_cast<unsigned long long>(markers));
  EXPECT_NEAR(fraction, 0.90, 0.015);

  ASSERT_EQ(emulator.process.Stop(Millis(5000)), 0);
  const std::string json = ReadFile(json_path);
  ASSERT_FALSE(json.empty()) << "no summary at " << json_path;
  const uint64_t sent_total = kCount + markers;
  const uint64_t received_total = data_received + markers_received;
  EXPECT_EQ(JsonCounter(json, "forward", "received"), sent_total) << json;
  EXPECT_EQ(JsonCounter(json, "forward", "loss"), sent_total - received_total) << json;
  EXPECT_EQ(JsonCounter(json, "forward", "sent"), received_total) << json;
  EXPECT_EQ(JsonCounter(json, "config", "seed"), 7u) << json;
  std::remove(json_path.c_str());
}

struct BadUsage {
  std::vector<std::string> args;
  std::string expected;  // a fragment the one-line message must contain
};

TEST(NetemIntegration, BadUsageExitsTwoWithMessage) {
  const std::vector<std::string> ok = {"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = ok;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const BadUsage cases[] = {
      {with({"--loss", "abc"}), "--loss"},
      {with({"--delay", "soon"}), "--delay"},
      {with({"--rate", "fast"}), "--rate"},
      {with({"--netem", "delay 10ms bogus"}), "--netem"},
      {with({"--scenario", "/nonexistent/scenario.toml"}), "/nonexistent/scenario.toml"},
      {with({"--frobnicate"}), "--frobnicate"},
      {with({"--seed"}), "--seed"},
      {with({"--max-flows", "0"}), "--max-flows"},
      {{"--listen", "nonsense", "--forward", "127.0.0.1:9"}, "nonsense"},
      {{"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:99999"}, "99999"},
      {{"--listen", "127.0.0.1:0"}, "--forward"},
      {{"stray"}, "stray"},
  };
  for (const BadUsage& c : cases) {
    Process process;
    std::string error;
    std::vector<std::string> argv = {kEmulator};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ASSERT_TRUE(process.Start(argv, &error)) << error;
    const std::optional<int> status = process.Wait(Millis(5000));
    if (!status.has_value()) process.Stop(Millis(1000));
    const std::string message = process.ReadStderr();
    SCOPED_TRACE(message);
    EXPECT_EQ(status, 2);
    EXPECT_EQ(message.rfind("hitless-netem: ", 0), 0u);
    EXPECT_NE(message.find(c.expected), std::string::npos);
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << "one line";
  }
}

TEST(NetemIntegration, HelpExitsZero) {
  Process process;
  std::string error;
  ASSERT_TRUE(process.Start({kEmulator, "--help"}, &error)) << error;
  const std::optional<std::string> first = process.ReadStdoutLine(Millis(5000));
  EXPECT_EQ(process.Wait(Millis(5000)), 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find("Usage"), std::string::npos);
}

}  // namespace
}  // namespace hitless::testing
