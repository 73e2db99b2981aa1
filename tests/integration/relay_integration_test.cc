// hitless-relay as a real process between hitless-send and three
// hitless-recv, each hop through hitless-netem over loopback UDP; access
// refusals; configuration errors; the metrics endpoint checked by promtool.
// Two relays on two routes, either killed (-9) mid-stream. Every process is
// stopped by PID.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/netem_harness.h"

namespace hitless::testing {
namespace {

std::string TempPath(const std::string& name, const std::string& ext = ".json") {
  return ::testing::TempDir() + "/" + name + "." + std::to_string(getpid()) + ext;
}

std::optional<uint16_t> StartNetem(Process& p, uint16_t to, const std::string& seed) {
  std::string error;
  auto port = StartEmulator(
      p, HITLESS_NETEM_BINARY,
      {"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:" + std::to_string(to), "--loss", "5%",
       "--delay", "20ms", "--jitter", "3ms", "--seed", seed, "--quiet"},
      &error);
  EXPECT_TRUE(port) << error;
  return port;
}

// Reads the relay's "metrics IP:PORT" line (after "listening").
std::optional<uint16_t> MetricsPort(Process& relay) {
  const auto line = relay.ReadStdoutLine(Millis(5000));
  if (!line || line->rfind("metrics ", 0) != 0) return std::nullopt;
  return static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
}

// gen -> hitless-send -> netem -> hitless-relay -> 3 x (netem -> hitless-recv
// -> verify), 5% loss and 20 ms +- 3 ms on every hop, latency 300 ms: every
// receiver gets every packet at the budget. The metrics page passes promtool.
TEST(RelayIntegration, ThreeSubscribersThroughLossyHopsLoseNothing) {
  const std::string relay_stats = TempPath("relay-stats");
  std::string error;
  Process relay;
  const auto relay_port = StartEmulator(
      relay, HITLESS_RELAY_BINARY,
      {"--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--stats-json", relay_stats}, &error);
  ASSERT_TRUE(relay_port) << error;
  const auto metrics_port = MetricsPort(relay);
  ASSERT_TRUE(metrics_port);

  // Downstream: each receiver calls the relay through its own emulator
  // (both directions impaired: hitless-netem forwards replies back).
  std::vector<std::unique_ptr<Process>> nets, recvs;
  std::vector<std::string> reports, recv_stats;
  for (int i = 0; i < 3; ++i) {
    nets.push_back(std::make_unique<Process>());
    const auto port = StartNetem(*nets.back(), *relay_port, std::to_string(10 + i));
    ASSERT_TRUE(port);
    reports.push_back(TempPath("relay-verify-" + std::to_string(i)));
    recv_stats.push_back(TempPath("relay-recv-" + std::to_string(i)));
    recvs.push_back(std::make_unique<Process>());
    ASSERT_TRUE(recvs.back()->Start(
        {HITLESS_RECV_BINARY, "--stats-json", recv_stats.back(),
         "hitless://127.0.0.1:" + std::to_string(*port) + "?stream=match1&latency=300ms",
         "verify://?report=" + reports.back()},
        &error))
        << error;
  }
  Process up_net;
  const auto up_port = StartNetem(up_net, *relay_port, "3");
  ASSERT_TRUE(up_port);
  Process send;
  ASSERT_TRUE(send.Start(
      {HITLESS_SEND_BINARY, "gen://?bitrate=8M&duration=8s",
       "hitless://127.0.0.1:" + std::to_string(*up_port) + "?stream=match1&latency=300ms"},
      &error))
      << error;
  // Mid-stream: the metrics page is valid exposition text.
  std::this_thread::sleep_for(Millis(4000));
  const std::string metrics = TempPath("relay-metrics", ".txt");
  const std::string fetch =
      "curl -sf http://127.0.0.1:" + std::to_string(*metrics_port) + "/metrics -o " + metrics;
  if (std::system("command -v curl >/dev/null && command -v promtool >/dev/null") == 0) {
    ASSERT_EQ(std::system(fetch.c_str()), 0);
    const std::string text = ReadFile(metrics);
    EXPECT_NE(text.find("hitless_relay_stream_subscribers{stream=\"match1\"} 3"), std::string::npos)
        << text.substr(0, 2000);
    EXPECT_EQ(std::system(("promtool check metrics < " + metrics).c_str()), 0) << text;
    std::remove(metrics.c_str());
  } else {
    std::printf(
        "curl or promtool missing (scripts/install-deps.sh installs them): "
        "metrics not checked\n");
  }
  const auto send_exit = send.Wait(Millis(30000));
  EXPECT_EQ(send_exit, 0) << send.ReadStderr();
  // The receivers play out the last latency window, then stop by SIGTERM.
  std::this_thread::sleep_for(Millis(1500));
  // The relay first: its stats at exit still hold the subscriber hops.
  EXPECT_EQ(relay.Stop(Millis(5000)), 0) << relay.ReadStderr();
  for (auto& r : recvs) EXPECT_EQ(r->Stop(Millis(5000)), 0) << r->ReadStderr();
  for (auto& n : nets) n->Stop(Millis(5000));
  up_net.Stop(Millis(5000));

  const double expected = 8 * 8e6 / (1316 * 8);
  const std::string stats = ReadFile(relay_stats);
  for (size_t i = 0; i < reports.size(); ++i) {
    const std::string& report = reports[i];
    const std::string verify = ReadFile(report);
    ASSERT_FALSE(verify.empty()) << report;
    std::printf("verify: %s", verify.c_str());
    // What a loss would be told by: the receiver's own figures, the relay's.
    const std::string recv = ReadFile(recv_stats[i]);
    const size_t r = recv.find("\"receiver\":");
    EXPECT_EQ(JsonNumber(verify, "missing"), 0)
        << verify << "receiver: " << recv.substr(r == std::string::npos ? 0 : r, 1500)
        << "\nrelay: " << stats;
    std::remove(recv_stats[i].c_str());
    EXPECT_NEAR(JsonNumber(verify, "unique"), expected, 2) << verify;
    EXPECT_NEAR(JsonNumber(verify, "p50"), 300.0, 5.0) << verify;
    std::remove(report.c_str());
  }
  // Repairs on the subscriber hops (the relay's JSON is compact).
  const size_t at = stats.find("\"retransmitted\":");
  ASSERT_NE(at, std::string::npos) << stats;
  EXPECT_GT(std::atof(stats.c_str() + at + 16), 0) << stats;
  std::remove(relay_stats.c_str());
}

// Two relays on two routes: hitless-send publishes to both
// (multipath=routes), hitless-recv subscribes at both and merges them; each
// of the four hops through its own hitless-netem (2% loss, 20 ms +- 3 ms).
// Relay A is killed with SIGKILL at 4 s and started again at 6 s (its routes
// reconnect by themselves), relay B is killed at 13 s: the receiver loses
// nothing at 500 ms.
TEST(RelayIntegration, TwoRelaysOnTwoRoutesEitherKilledLosesNothing) {
  std::string error;
  const std::vector<std::string> relay_args = {"--listen", "127.0.0.1:0", "--quiet"};
  Process relay_a, relay_b;
  const auto port_a = StartEmulator(relay_a, HITLESS_RELAY_BINARY, relay_args, &error);
  ASSERT_TRUE(port_a) << error;
  const auto port_b = StartEmulator(relay_b, HITLESS_RELAY_BINARY, relay_args, &error);
  ASSERT_TRUE(port_b) << error;
  const auto netem = [&](Process& p, uint16_t to, const char* seed) {
    auto port = StartEmulator(
        p, HITLESS_NETEM_BINARY,
        {"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:" + std::to_string(to), "--loss", "2%",
         "--delay", "20ms", "--jitter", "3ms", "--seed", seed, "--quiet"},
        &error);
    EXPECT_TRUE(port) << error;
    return port.value_or(0);
  };
  Process up_a, up_b, down_a, down_b;
  const uint16_t via_up_a = netem(up_a, *port_a, "41");
  const uint16_t via_up_b = netem(up_b, *port_b, "42");
  const uint16_t via_down_a = netem(down_a, *port_a, "43");
  const uint16_t via_down_b = netem(down_b, *port_b, "44");
  ASSERT_TRUE(via_up_a && via_up_b && via_down_a && via_down_b);
  const auto url = [](uint16_t port, const std::string& query) {
    return "hitless://127.0.0.1:" + std::to_string(port) + query;
  };

  const std::string report = TempPath("routes-verify");
  const std::string recv_stats = TempPath("routes-recv");
  Process recv;
  ASSERT_TRUE(recv.Start({HITLESS_RECV_BINARY, "--stats-json", recv_stats,
                          url(via_down_a, "?stream=match1&latency=500ms"), url(via_down_b, ""),
                          "verify://?report=" + report},
                         &error))
      << error;
  std::this_thread::sleep_for(Millis(500));
  Process send;
  ASSERT_TRUE(send.Start(
      {HITLESS_SEND_BINARY, "gen://?bitrate=4M&duration=18s",
       url(via_up_a, "?stream=match1&latency=500ms&multipath=routes"), url(via_up_b, "")},
      &error))
      << error;
  std::this_thread::sleep_for(Millis(4000));
  ASSERT_EQ(kill(relay_a.pid(), SIGKILL), 0);
  EXPECT_EQ(relay_a.Wait(Millis(5000)), 128 + SIGKILL);
  std::this_thread::sleep_for(Millis(2000));
  Process relay_a2;
  ASSERT_TRUE(relay_a2.Start(
      {HITLESS_RELAY_BINARY, "--listen", "127.0.0.1:" + std::to_string(*port_a), "--quiet"},
      &error))
      << error;
  std::this_thread::sleep_for(Millis(7000));
  ASSERT_EQ(kill(relay_b.pid(), SIGKILL), 0);
  EXPECT_EQ(relay_b.Wait(Millis(5000)), 128 + SIGKILL);

  EXPECT_EQ(send.Wait(Millis(30000)), 0) << send.ReadStderr();
  std::this_thread::sleep_for(Millis(1500));
  EXPECT_EQ(recv.Stop(Millis(5000)), 0) << recv.ReadStderr();
  EXPECT_EQ(relay_a2.Stop(Millis(5000)), 0) << relay_a2.ReadStderr();
  for (Process* p : {&up_a, &up_b, &down_a, &down_b}) p->Stop(Millis(5000));

  const std::string verify = ReadFile(report);
  ASSERT_FALSE(verify.empty()) << recv.ReadStderr();
  std::printf("verify: %s", verify.c_str());
  const double expected = 18 * 4e6 / (1316 * 8);
  EXPECT_EQ(JsonNumber(verify, "missing"), 0) << verify;
  EXPECT_NEAR(JsonNumber(verify, "unique"), expected, 2) << verify;
  EXPECT_EQ(JsonNumber(verify, "duplicates"), 0) << verify;
  EXPECT_NEAR(JsonNumber(verify, "p50"), 500.0, 5.0) << verify;
  const std::string stats = ReadFile(recv_stats);
  const size_t merge = stats.find("\"merge\":");
  ASSERT_NE(merge, std::string::npos) << stats;
  std::printf("merge: %s\n", stats.substr(merge, stats.find('\n', merge) - merge).c_str());
  EXPECT_EQ(JsonNumber(stats, "lost_at_deadline", merge), 0) << stats;
  // Route A reconnected to the restarted relay (a second session).
  EXPECT_EQ(JsonNumber(stats, "sessions"), 2) << stats;
  std::remove(report.c_str());
  std::remove(recv_stats.c_str());
}

// A configured relay: a wrong subscribe secret and an unknown stream are
// refused; the client says why and exits 4.
TEST(RelayIntegration, WrongSecretAndUnknownStreamAreRefusedWithExitCode4) {
  const std::string config = TempPath("relay", ".toml");
  {
    std::ofstream f(config);
    f << "[[stream]]\nid = \"match1\"\nsubscribe_secret = \"right\"\n";
  }
  std::string error;
  Process relay;
  const auto port = StartEmulator(relay, HITLESS_RELAY_BINARY,
                                  {"--listen", "127.0.0.1:0", "--config", config}, &error);
  ASSERT_TRUE(port) << error;
  for (const std::string query : {"stream=match1&secret=wrong", "stream=other"}) {
    Process recv;
    ASSERT_TRUE(recv.Start({HITLESS_RECV_BINARY,
                            "hitless://127.0.0.1:" + std::to_string(*port) + "?" + query, "verify"},
                           &error));
    EXPECT_EQ(recv.Wait(Millis(10000)), 4) << query;
    const std::string err = recv.ReadStderr();
    EXPECT_NE(err.find("refused stream"), std::string::npos) << err;
  }
  EXPECT_EQ(relay.Stop(Millis(5000)), 0);
  std::remove(config.c_str());
}

// A bad configuration names the file and line, exit 2.
TEST(RelayIntegration, BadConfigNamesFileAndLine) {
  const std::string config = TempPath("bad", ".toml");
  {
    std::ofstream f(config);
    f << "[[stream]]\nid = \"match1\"\nlatnecy = \"500ms\"\n";
  }
  std::string error;
  Process relay;
  ASSERT_TRUE(relay.Start({HITLESS_RELAY_BINARY, "--config", config}, &error));
  EXPECT_EQ(relay.Wait(Millis(5000)), 2);
  const std::string err = relay.ReadStderr();
  EXPECT_NE(err.find(config + ":3:"), std::string::npos) << err;
  EXPECT_NE(err.find("latnecy"), std::string::npos) << err;
  std::remove(config.c_str());
}

}  // namespace
}  // namespace hitless::testing
