// hitless-probe: a test-stream source and verifying sink over real UDP.
//
//   hitless-probe send --to HOST:PORT [--bitrate 10M] [--size 1316] [--duration 10s]
//   hitless-probe recv --listen HOST:PORT [--duration 12s] [--idle 2s] [--expect N]
//
// The datagrams are netem-scenarios/teststream's self-describing test
// datagrams; both ends must run on one host (they compare CLOCK_MONOTONIC
// readings). `send` paces by absolute deadlines (no drift) and prints what it
// sent; `recv` prints loss, duplicates, reordering and one-way delay
// percentiles, and writes them as JSON with --stats-json. Exit codes: 0 ok,
// 1 the receiver saw missing datagrams (with --expect or --fail-on-loss), 2
// bad flags.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "transport/apps/flags.h"
#include "transport/base/clock.h"
#include "transport/endpoints/query.h"
#include "transport/io/batch_io.h"
#include "transport/io/endpoint.h"
#include "transport/io/socket_options.h"

namespace hitless {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

// Exit codes as in every Hitless binary: 2 for bad usage (InvalidArgument),
// 1 for a runtime failure (a socket, a file, a name that does not resolve).
int Fail(const absl::Status& status) {
  std::fprintf(stderr, "hitless-probe: %s\n", std::string(status.message()).c_str());
  return absl::IsInvalidArgument(status) ? 2 : 1;
}

int OpenUdp(const io::UdpEndpoint& local, bool bind_it) {
  const int fd = ::socket(local.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  io::SetSocketBuffers(fd, 8 << 20, 8 << 20);
  if (bind_it && ::bind(fd, local.data(), static_cast<socklen_t>(local.size())) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int RunSend(int argc, const char* const* argv) {
  cli::FlagParser flags("hitless-probe send", "hitless-probe send --to HOST:PORT [flags]",
                        "Sends 1316-byte TS-shaped test datagrams at a constant bitrate.");
  flags.AddValue("to", "HOST:PORT", "destination (e.g. hitless-netem's --listen address)");
  flags.AddValue("bitrate", "RATE", "stream bitrate in bits/s: 10M, 800k, 1G", "10M");
  flags.AddValue("size", "BYTES", "datagram size (24..1472)", "1316");
  flags.AddValue("duration", "DURATION", "how long to send", "10s");
  flags.AddValue("stream-id", "N", "stream id written into every datagram", "random");
  if (auto s = flags.Parse(argc, argv); !s.ok()) return Fail(s);
  if (flags.help_requested()) {
    std::printf("%s", flags.HelpText().c_str());
    return 0;
  }
  const auto to_text = flags.GetString("to");
  if (!to_text) return Fail(absl::InvalidArgumentError("send: --to HOST:PORT is required"));
  auto to = io::ParseEndpoint(*to_text);
  if (!to.ok()) return Fail(to.status());
  auto bitrate = endpoints::ParseBitrate(flags.GetString("bitrate").value_or("10M"));
  if (!bitrate.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--bitrate: ", std::string(bitrate.status().message()))));
  }
  auto size = flags.GetInt("size", static_cast<int64_t>(teststream::kHeaderSize), 1472);
  if (!size.ok()) return Fail(size.status());
  auto duration = flags.GetDuration("duration");
  if (!duration.ok()) return Fail(duration.status());
  auto stream_id = flags.GetInt("stream-id", 0, 0xFFFFFFFF);
  if (!stream_id.ok()) return Fail(stream_id.status());

  const size_t datagram_size = static_cast<size_t>(size->value_or(1316));
  const Duration run_for = duration->value_or(Duration::Seconds(10));
  SteadyClock clock;
  const auto id = static_cast<uint32_t>(
      stream_id->value_or(static_cast<int64_t>(clock.Now().ToNanoseconds() & 0x7FFFFFFF)));
  const Duration interval = Duration::Nanoseconds(static_cast<int64_t>(
      static_cast<double>(datagram_size) * 8e9 / static_cast<double>(*bitrate)));

  const int fd = OpenUdp(*to, false);
  if (fd < 0 || ::connect(fd, to->data(), static_cast<socklen_t>(to->size())) != 0) {
    return Fail(
        absl::UnavailableError(absl::StrFormat("send: cannot open a UDP socket to %s: %s",
                                               io::FormatEndpoint(*to), std::strerror(errno))));
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  constexpr size_t kBatch = 64;
  std::vector<std::vector<uint8_t>> buffers(kBatch, std::vector<uint8_t>(datagram_size));
  io::SendBatch batch(kBatch);
  io::SendErrorCounters errors;
  const Time start = clock.Now();
  const Time end = start + run_for;
  uint64_t seq = 0, sent = 0;
  while (!g_stop.load()) {
    const Time now = clock.Now();
    // Everything due by now goes out in one sendmmsg (a burst after a late wake-up).
    while (batch.size() < kBatch) {
      const Time due = start + interval * static_cast<int64_t>(seq);
      if (due > now || due >= end) break;
      auto& buf = buffers[batch.size()];
      teststream::WriteDatagram(buf, id, seq, now);
      batch.Add(buf, nullptr);
      ++seq;
    }
    if (batch.size() > 0) sent += batch.Flush(fd, errors).datagrams;
    const Time next = start + interval * static_cast<int64_t>(seq);
    if (next >= end) break;
    if (next > clock.Now()) {
      const int64_t ns = next.ToNanoseconds();
      timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    }
  }
  ::close(fd);
  std::printf("sent %llu datagrams of %zu bytes (stream %u) in %.3f s; send errors %llu\n",
              static_cast<unsigned long long>(sent), datagram_size, id,
              (clock.Now() - start).ToSecondsF(), static_cast<unsigned long long>(errors.Total()));
  return 0;
}

int RunRecv(int argc, const char* const* argv) {
  cli::FlagParser flags("hitless-probe recv", "hitless-probe recv --listen HOST:PORT [flags]",
                        "Receives and verifies a test stream; stops after --duration, after "
                        "--idle without datagrams once the stream started, or on SIGINT/SIGTERM.");
  flags.AddValue("listen", "HOST:PORT", "address to receive on (port 0: ephemeral, printed)");
  flags.AddValue("duration", "DURATION", "stop after this long", "60s");
  flags.AddValue("idle", "DURATION", "stop when nothing arrived for this long", "2s");
  flags.AddValue("expect", "N", "datagrams the sender sent: counts trailing losses too");
  flags.AddValue("stats-json", "FILE", "write the figures as JSON at exit");
  flags.AddSwitch("fail-on-loss", "exit 1 when any datagram is missing");
  if (auto s = flags.Parse(argc, argv); !s.ok()) return Fail(s);
  if (flags.help_requested()) {
    std::printf("%s", flags.HelpText().c_str());
    return 0;
  }
  const auto listen_text = flags.GetString("listen");
  if (!listen_text) return Fail(absl::InvalidArgumentError("recv: --listen HOST:PORT is required"));
  auto listen = io::ParseEndpoint(*listen_text);
  if (!listen.ok()) return Fail(listen.status());
  auto duration = flags.GetDuration("duration");
  if (!duration.ok()) return Fail(duration.status());
  auto idle = flags.GetDuration("idle");
  if (!idle.ok()) return Fail(idle.status());
  auto expect = flags.GetUint("expect");
  if (!expect.ok()) return Fail(expect.status());

  const int fd = OpenUdp(*listen, true);
  if (fd < 0) {
    return Fail(absl::UnavailableError(absl::StrFormat(
        "recv: cannot bind %s: %s", io::FormatEndpoint(*listen), std::strerror(errno))));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  io::UdpEndpoint local;
  std::memcpy(local.data(), &bound, bound_len);
  std::printf("listening %s\n", io::FormatEndpoint(local).c_str());
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  SteadyClock clock;
  teststream::Checker checker;
  io::RecvBatch batch(64, 2048);
  const Time start = clock.Now();
  const Time end = start + duration->value_or(Duration::Seconds(60));
  const Duration idle_limit = idle->value_or(Duration::Seconds(2));
  Time last_arrival = start;
  uint64_t truncated = 0;
  while (!g_stop.load()) {
    const Time now = clock.Now();
    if (now >= end) break;
    if (checker.received() > 0 && now - last_arrival >= idle_limit) break;
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, 50);
    for (int n; (n = batch.Receive(fd)) > 0;) {
      const Time arrival = clock.Now();
      last_arrival = arrival;
      for (int i = 0; i < n; ++i) {
        if (batch.truncated(i)) {
          ++truncated;
          continue;
        }
        checker.OnDatagram(batch.data(i), arrival);
      }
    }
  }
  ::close(fd);

  const uint64_t missing = checker.missing(*expect);
  const auto ms = [](Duration d) { return d.ToMillisecondsF(); };
  std::printf(
      "received %llu datagrams: %llu unique, %llu missing, %llu duplicate, %llu reordered, "
      "%llu malformed, %llu truncated\n"
      "one-way delay ms: min %.3f  p50 %.1f  p99 %.1f  max %.3f  mean %.3f  stddev %.3f\n",
      static_cast<unsigned long long>(checker.received()),
      static_cast<unsigned long long>(checker.unique()), static_cast<unsigned long long>(missing),
      static_cast<unsigned long long>(checker.duplicates()),
      static_cast<unsigned long long>(checker.reordered()),
      static_cast<unsigned long long>(checker.malformed()),
      static_cast<unsigned long long>(truncated), checker.unique() ? ms(checker.min_delay()) : 0.0,
      ms(checker.delay_percentile(0.5)), ms(checker.delay_percentile(0.99)),
      ms(checker.max_delay()), checker.mean_delay_ms(), checker.stddev_delay_ms());
  if (const auto path = flags.GetString("stats-json")) {
    std::ofstream out(*path);
    out << absl::StrFormat(
        "{\"received\": %d, \"unique\": %d, \"missing\": %d, \"duplicates\": %d, "
        "\"reordered\": %d, \"malformed\": %d, \"truncated\": %d, \"delay_ms\": {\"min\": %.3f, "
        "\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"mean\": %.3f, \"stddev\": %.3f}}\n",
        checker.received(), checker.unique(), missing, checker.duplicates(), checker.reordered(),
        checker.malformed(), truncated, checker.unique() ? ms(checker.min_delay()) : 0.0,
        ms(checker.delay_percentile(0.5)), ms(checker.delay_percentile(0.99)),
        ms(checker.max_delay()), checker.mean_delay_ms(), checker.stddev_delay_ms());
    if (!out) {
      return Fail(absl::UnavailableError(absl::StrFormat("recv: cannot write %s", *path)));
    }
  }
  const bool fail_on_loss = flags.GetSwitch("fail-on-loss") || expect->has_value();
  return fail_on_loss && missing > 0 ? 1 : 0;
}

}  // namespace
}  // namespace hitless

int main(int argc, char** argv) {
  const std::string usage =
      "usage: hitless-probe send --to HOST:PORT [--bitrate 10M] [--duration 10s] ...\n"
      "       hitless-probe recv --listen HOST:PORT [--expect N] [--stats-json FILE] ...\n"
      "Sends or verifies a Hitless test stream over UDP; '<command> --help' for details.\n";
  if (argc < 2) {
    std::fprintf(stderr, "%s", usage.c_str());
    return 2;
  }
  const std::string command = argv[1];
  if (command == "send") return hitless::RunSend(argc - 1, argv + 1);
  if (command == "recv") return hitless::RunRecv(argc - 1, argv + 1);
  if (command == "--help" || command == "-h") {
    std::printf("%s", usage.c_str());
    return 0;
  }
  std::fprintf(stderr, "hitless-probe: unknown command \"%s\"\n%s", command.c_str(), usage.c_str());
  return 2;
}
