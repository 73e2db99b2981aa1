// relay_fanout_bench: one stream fanned out by a real hitless-relay process
// to N subscribers on loopback, for each N of a ladder: loss at every
// subscriber, the relay's CPU (per subscriber, and forwarded packets per
// second per core of it), its memory per subscriber, and its own
// relay-in to relay-out delay (from its --stats-json).
//
// The publisher is a hitless-send process (gen://); the N subscribers are
// receiving Connections in this process, one socket each, on one event loop
// (N hitless-recv processes would not fit 2 cores at N = 200). The relay's
// CPU is read from /proc/PID/stat over the stream, its memory as the growth
// of VmRSS from before the first subscriber to the end of the stream. Not run
// in CI.
//   relay_fanout_bench [--subscribers 10,50,100,200] [--seconds 10]
//                      [--bitrate 10M] [--latency-ms 300]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netem-scenarios/teststream/test_stream.h"
#include "tests/integration/netem_harness.h"
#include "transport/io/connection_driver.h"

namespace hitless::testing {
namespace {

// CPU seconds (user + system) of `pid` so far.
double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the command: state is field 3; utime 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = atof(field.c_str());
    if (i == 15) stime = atof(field.c_str());
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() { return CpuSeconds(getpid()); }

// VmRSS of `pid` in bytes.
double RssBytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return atof(line.c_str() + 6) * 1024;
  }
  return 0;
}

class CheckerSink final : public session::MediaSink {
 public:
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }
  teststream::Checker checker;
};

struct Row {
  int subscribers = 0;
  uint64_t sent = 0;
  uint64_t worst_missing = 0;
  uint64_t total_missing = 0;
  double relay_cpu = 0;  // seconds over the stream
  double self_cpu = 0;
  double seconds = 0;
  double rss_per_subscriber = 0;
  double forwarded_per_second = 0;
  std::string delay;  // the relay's forward delay figures
};

void RunOne(int n, double seconds, const std::string& bitrate, int latency_ms, Row& row) {
  row.subscribers = n;
  std::string error;
  const std::string stats = "/tmp/relay_fanout_bench." + std::to_string(getpid()) + ".json";
  Process relay;
  const auto port = StartEmulator(
      relay, HITLESS_RELAY_BINARY,
      {"--listen", "127.0.0.1:0", "--quiet", "--stats-json", stats, "--latency",
       std::to_string(latency_ms) + "ms"},
      &error);
  if (!port) {
    fprintf(stderr, "relay: %s\n", error.c_str());
    exit(1);
  }
  usleep(200'000);
  const double rss_before = RssBytes(relay.pid());

  boost::asio::io_context io;
  std::vector<std::unique_ptr<CheckerSink>> sinks;
  std::vector<std::unique_ptr<io::ConnectionDriver>> subs;
  for (int i = 0; i < n; ++i) {
    io::ConnectionDriverOptions o;
    o.local = io::UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    o.remote = io::UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), *port);
    o.socket_buffer_bytes = 1 << 20;
    session::ConnectionConfig& c = o.connection;
    c.role = session::Role::kCaller;
    c.direction = session::MediaDirection::kReceive;
    c.stream_id = "bench";
    c.latency = Duration::Milliseconds(latency_ms);
    c.seed = 1000 + static_cast<uint64_t>(i);
    c.receiver.release_window = Duration::Microseconds(1500);
    sinks.push_back(std::make_unique<CheckerSink>());
    auto d = io::ConnectionDriver::Create(io, o, sinks.back().get());
    if (!d.ok()) {
      fprintf(stderr, "subscriber %d: %s\n", i, std::string(d.status().message()).c_str());
      exit(1);
    }
    subs.push_back(*std::move(d));
  }
  // Let every subscriber join (the relay's handshake limit is 200/s).
  io.run_for(std::chrono::milliseconds(1500 + 10 * n));
  int joined = 0;
  for (const auto& s : subs) {
    joined += s->connection().state() == session::ConnectionState::kEstablished ? 1 : 0;
  }
  if (joined != n) fprintf(stderr, "only %d of %d subscribers joined\n", joined, n);

  Process send;
  const std::string send_stats = stats + ".send";
  const std::string duration = std::to_string(static_cast<int>(seconds)) + "s";
  if (!send.Start({HITLESS_SEND_BINARY, "--quiet", "--stats-json", send_stats,
                   "gen://?bitrate=" + bitrate + "&duration=" + duration,
                   "hitless://127.0.0.1:" + std::to_string(*port) +
                       "?stream=bench&latency=" + std::to_string(latency_ms) + "ms"},
                  &error)) {
    fprintf(stderr, "send: %s\n", error.c_str());
    exit(1);
  }
  const double relay_cpu0 = CpuSeconds(relay.pid());
  const double self_cpu0 = SelfCpuSeconds();
  const int64_t t0 = MonotonicNs();
  // Until the sender is done (it drains one latency after its input ends),
  // then one more latency for the subscribers to play out.
  boost::asio::steady_timer poll(io);
  std::function<void()> arm = [&] {
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (send.Wait(Millis(0))) {
        io.stop();
        return;
      }
      arm();
    });
  };
  arm();
  io.run();
  io.restart();
  const double relay_cpu1 = CpuSeconds(relay.pid());
  const double self_cpu1 = SelfCpuSeconds();
  const int64_t t1 = MonotonicNs();
  const double rss_after = RssBytes(relay.pid());
  io.run_for(std::chrono::milliseconds(latency_ms + 500));
  for (auto& s : subs) s->Close();
  io.run_for(std::chrono::milliseconds(100));
  relay.Stop(Millis(5000));

  const std::string json = ReadFile(stats);
  std::remove(stats.c_str());
  const std::string sent = ReadFile(send_stats);
  std::remove(send_stats.c_str());
  row.sent = static_cast<uint64_t>(JsonNumber(sent, "data_sent"));
  uint64_t delivered = 0;
  for (const auto& s : sinks) {
    const uint64_t missing = row.sent > s->checker.unique() ? row.sent - s->checker.unique() : 0;
    row.worst_missing = std::max(row.worst_missing, missing);
    row.total_missing += missing;
    delivered += s->checker.unique();
  }
  row.seconds = static_cast<double>(t1 - t0) / 1e9;
  row.relay_cpu = relay_cpu1 - relay_cpu0;
  row.self_cpu = self_cpu1 - self_cpu0;
  row.rss_per_subscriber = (rss_after - rss_before) / n;
  row.forwarded_per_second = static_cast<double>(delivered) / row.seconds;
  if (const size_t d = json.find("\"forward_delay_us\""); d != std::string::npos) {
    row.delay = json.substr(d, json.find('}', d) - d + 1);
  }
}

int Main(int argc, char** argv) {
  std::vector<int> ladder = {10, 50, 100, 200};
  double seconds = 10;
  std::string bitrate = "10M";
  int latency_ms = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--subscribers") == 0) {
      ladder.clear();
      for (char* p = argv[i + 1]; *p != '\0';) {
        ladder.push_back(static_cast<int>(strtol(p, &p, 10)));
        if (*p == ',') ++p;
      }
    } else if (strcmp(argv[i], "--seconds") == 0) {
      seconds = atof(argv[i + 1]);
    } else if (strcmp(argv[i], "--bitrate") == 0) {
      bitrate = argv[i + 1];
    } else if (strcmp(argv[i], "--latency-ms") == 0) {
      latency_ms = atoi(argv[i + 1]);
    } else {
      fprintf(stderr,
              "usage: %s [--subscribers 10,50,100,200] [--seconds 10] [--bitrate 10M] "
              "[--latency-ms 300]\n",
              argv[0]);
      return 2;
    }
  }
  printf(
      "| subscribers | packets | worst missing | relay CPU (core) | CPU per subscriber | "
      "forwarded pkt/s | pkt/s per relay core | relay RSS per subscriber | subscribers' CPU "
      "(core) | relay in->out |\n|---|---|---|---|---|---|---|---|---|---|\n");
  fflush(stdout);
  for (const int n : ladder) {
    Row r;
    RunOne(n, seconds, bitrate, latency_ms, r);
    const double core = r.relay_cpu / r.seconds;
    printf("| %d | %llu | %llu | %.3f | %.2f%% | %.0f | %.0f | %.0f KB | %.2f | %s |\n", n,
           static_cast<unsigned long long>(r.sent),
           static_cast<unsigned long long>(r.worst_missing), core, 100 * core / n,
           r.forwarded_per_second, core > 0 ? r.forwarded_per_second / core : 0,
           r.rss_per_subscriber / 1024, r.self_cpu / r.seconds, r.delay.c_str());
    fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace hitless::testing

int main(int argc, char** argv) { return hitless::testing::Main(argc, argv); }
