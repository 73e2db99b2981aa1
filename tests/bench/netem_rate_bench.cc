// netem_rate_bench: the highest packet rate hitless-netem forwards without
// loss, and its added delay at each rate.
//
// Starts hitless-netem (zero impairment) on 127.0.0.1:0, offers 1316-byte
// datagrams at each rate of a ladder for a fixed time, and prints per rate
// the delivered fraction and added-delay p50/p99/max (payload timestamp vs
// arrival, CLOCK_MONOTONIC). The sender paces in bursts on this thread; a
// Collector thread receives. Not run in CI.
//   netem_rate_bench [--seconds S] [--rates 10000,20000,...] [--netem-binary PATH]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "tests/integration/netem_harness.h"

namespace hitless::testing {
namespace {

constexpr size_t kPayload = 1316;

struct Result {
  double rate = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  double achieved = 0;  // offered rate actually reached by the sender
  int64_t p50 = 0, p99 = 0, max = 0;
};

int Main(int argc, char** argv) {
  double seconds = 2;
  std::vector<double> rates = {10'000, 20'000, 40'000, 80'000, 120'000, 160'000};
  std::string binary = HITLESS_NETEM_BINARY;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--seconds") == 0) {
      seconds = atof(argv[i + 1]);
    } else if (strcmp(argv[i], "--netem-binary") == 0) {
      binary = argv[i + 1];
    } else if (strcmp(argv[i], "--rates") == 0) {
      rates.clear();
      for (char* p = argv[i + 1]; *p != '\0';) {
        rates.push_back(strtod(p, &p));
        if (*p == ',') ++p;
      }
    } else {
      fprintf(stderr, "usage: %s [--seconds S] [--rates R1,R2,...] [--netem-binary PATH]\n",
              argv[0]);
      return 2;
    }
  }

  UdpSocket receiver;
  UdpSocket sender;
  if (!receiver.Bind("127.0.0.1", 0, 64 << 20) || !sender.Bind("127.0.0.1", 0, 64 << 20)) {
    fprintf(stderr, "cannot bind sockets\n");
    return 1;
  }
  Process emulator;
  std::string error;
  const std::optional<uint16_t> port = StartEmulator(
      emulator, binary,
      {"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:" + std::to_string(receiver.port()),
       "--quiet", "--socket-buffer", std::to_string(64 << 20)},
      &error);
  if (!port.has_value()) {
    fprintf(stderr, "cannot start %s: %s\n", binary.c_str(), error.c_str());
    return 1;
  }
  const sockaddr_in to = MakeAddress("127.0.0.1", *port);
  Collector collector(receiver.fd());
  std::vector<Result> results;
  uint64_t next_seq = 0;
  for (const double rate : rates) {
    Result r;
    r.rate = rate;
    const uint64_t count = static_cast<uint64_t>(rate * seconds);
    const int64_t start = MonotonicNs();
    r.sent = SendPaced(sender, to, next_seq, count, rate, kPayload, 16);
    r.achieved = static_cast<double>(count) / ((MonotonicNs() - start) / 1e9);
    next_seq += count;
    // Drained once nothing arrives for 200 ms (or 5 s pass).
    WaitFor([&] { return MonotonicNs() - collector.last_arrival_ns() > 200'000'000; },
            Millis(5000));
    std::vector<int64_t> delays;
    for (const Collector::Record& record : collector.Take()) delays.push_back(record.delay_ns);
    r.received = delays.size();
    r.p50 = Percentile(delays, 50);
    r.p99 = Percentile(delays, 99);
    r.max = delays.empty() ? 0 : delays.back();
    results.push_back(r);
  }
  collector.Stop();
  emulator.Stop(Millis(5000));

  printf("hitless-netem zero impairment, %zu-byte datagrams, %.1f s per rate\n", kPayload, seconds);
  printf("%10s %10s %10s %10s %10s %10s %10s %10s\n", "pkt/s", "achieved", "Mbit/s", "sent",
         "delivered", "p50 us", "p99 us", "max us");
  double best = 0;
  for (const Result& r : results) {
    const double fraction = r.sent ? static_cast<double>(r.received) / r.sent : 0;
    printf("%10.0f %10.0f %10.1f %10llu %9.4f%% %10.1f %10.1f %10.1f\n", r.rate, r.achieved,
           r.rate * kPayload * 8 / 1e6, static_cast<unsigned long long>(r.sent), fraction * 100,
           r.p50 / 1e3, r.p99 / 1e3, r.max / 1e3);
    // Credit what the sender achieved, not what it was asked to offer.
    if (r.received == r.sent && r.sent > 0 && r.achieved > best) best = r.achieved;
  }
  printf("highest zero-loss rate (achieved by the sender): %.0f pkt/s (%.1f Mbit/s)\n", best,
         best * kPayload * 8 / 1e6);
  return 0;
}

}  // namespace
}  // namespace hitless::testing

int main(int argc, char** argv) { return hitless::testing::Main(argc, argv); }
