// relay_fanout_bench: one stream fanned out by a real hitless-relay process
// to N subscribers on loopback, for each N of a ladder: loss at every
// subscriber, the relay's CPU (per subscriber, and forwarded packets per
// second per core of it), its memory per subscriber, and its own
// relay-in to relay-out delay (from its --stats-json).
//
// The publisher is a hitless-send process (gen://); the N subscribers are
// receiving Connections in this process, one socket each, read in rounds
// every 2 ms by one thread (N hitless-recv processes would not fit 2 cores
// at N = 200). The relay's
// CPU is read from /proc/PID/stat over the stream, its memory as the growth
// of VmRSS from before the first subscriber to the end of the stream. Not run
// in CI.
//   relay_fanout_bench [--subscribers 10,50,100,200] [--seconds 10]
//                      [--bitrate 10M] [--latency-ms 300]
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netem-scenarios/teststream/test_stream.h"
#include "tests/integration/netem_harness.h"
#include "transport/base/clock.h"
#include "transport/io/batch_io.h"
#include "transport/session/connection.h"

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

// One subscriber: a receiving Connection (I/O-free, the real session) on
// its own UDP socket. The bench drives all of them from one thread in
// rounds (read every socket, run due timers), not with an event loop per
// socket: N hitless-recv processes would need more cores than the machine
// has at N = 200.
class Subscriber final : public session::DatagramSink, public session::MediaSink {
 public:
  bool Open(uint16_t relay_port, int latency_ms, uint64_t seed, Time now) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    const int buffer = 1 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    relay_ = MakeAddress("127.0.0.1", relay_port);
    sockaddr_in local = MakeAddress("127.0.0.1", 0);
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) return false;
    session::ConnectionConfig c;
    c.role = session::Role::kCaller;
    c.direction = session::MediaDirection::kReceive;
    c.stream_id = "bench";
    c.latency = Duration::Milliseconds(latency_ms);
    c.seed = seed;
    // A window for this stream (10 Mbit/s x 300 ms is ~300 packets): the
    // default 2^17 zero-filled at each session start stalls 200 serial
    // subscribers for seconds, and a stalled handshake measures a long RTT.
    c.receiver.loss.receive_window_log2 = 12;
    c.receiver.loss.max_missing = 1024;
    c.receiver.buffer_capacity = 1024;
    auto made = session::Connection::Create(c, now, this, this);
    if (!made.ok()) return false;
    connection_ = *std::move(made);
    return true;
  }
  ~Subscriber() override {
    if (fd_ >= 0) close(fd_);
  }
  // Reads what is queued, then runs the connection's timer if due.
  void Poll(io::RecvBatch& batch, Time now) {
    while (true) {
      const int n = batch.Receive(fd_);
      if (n <= 0) break;
      for (int i = 0; i < n; ++i) {
        const uint8_t source[1] = {0};  // one peer: the relay
        const session::DatagramResult r =
            connection_->OnDatagram(batch.data(static_cast<size_t>(i)), source, now, reply_);
        if (r.reply_size > 0) SendDatagram(std::span<const uint8_t>(reply_).first(r.reply_size), 0);
      }
      if (static_cast<size_t>(n) < batch.capacity()) break;
    }
    if (const auto t = connection_->NextWakeup(); t && *t <= now) connection_->OnTimer(now);
  }
  void Close(Time now) { connection_->Close(now); }
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    sendto(fd_, d.data(), d.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&relay_),
           sizeof(relay_));
  }
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }
  std::string Describe() const {
    const auto* r = connection_->receiver();
    char line[480];
    snprintf(line, sizeof(line),
             "unique %llu highest %lld sessions %llu restarts %llu; receiver lost %llu late %llu "
             "retransmissions %llu nacks %llu; held %zu; delay %.1f..%.1f ms; latency %.0f ms, "
             "handshake rtt %.1f ms, requests %llu (resent %llu)",
             static_cast<unsigned long long>(checker.unique()),
             static_cast<long long>(checker.highest().value_or(0)),
             static_cast<unsigned long long>(connection_->stats().sessions),
             static_cast<unsigned long long>(connection_->stats().restarts),
             static_cast<unsigned long long>(r ? r->stats().lost : 0),
             static_cast<unsigned long long>(r ? r->stats().late : 0),
             static_cast<unsigned long long>(r ? r->stats().retransmissions_received : 0),
             static_cast<unsigned long long>(r ? r->stats().nacks_sent : 0),
             r ? r->buffer_stats().level_packets : size_t{0}, checker.min_delay().ToMillisecondsF(),
             checker.max_delay().ToMillisecondsF(),
             connection_->negotiated() ? connection_->negotiated()->latency.ToMillisecondsF() : 0.0,
             connection_->initiator() && connection_->initiator()->handshake_rtt()
                 ? connection_->initiator()->handshake_rtt()->ToMillisecondsF()
                 : -1.0,
             static_cast<unsigned long long>(connection_->initiator()->stats().requests_sent),
             static_cast<unsigned long long>(connection_->initiator()->stats().retransmissions));
    return line;
  }
  bool established() const {
    return connection_->state() == session::ConnectionState::kEstablished;
  }

  teststream::Checker checker;

 private:
  int fd_ = -1;
  sockaddr_in relay_{};
  std::unique_ptr<session::Connection> connection_;
  std::array<uint8_t, kMaxDatagramSize> reply_{};
};

// Runs every subscriber's rounds for `span`, a round per `round` (the
// subscribers read in batches: what a round finds, it reads at once).
void RunRounds(std::vector<std::unique_ptr<Subscriber>>& subs, io::RecvBatch& batch,
               SteadyClock& clock, Duration span, const std::function<bool()>& done = {}) {
  const Duration round = Duration::Milliseconds(2);
  const Time end = clock.Now() + span;
  while (clock.Now() < end) {
    const Time start = clock.Now();
    for (auto& s : subs) s->Poll(batch, clock.Now());
    if (done && done()) return;
    const Duration took = clock.Now() - start;
    if (took < round) usleep(static_cast<useconds_t>((round - took).ToMicroseconds()));
  }
}

struct Row {
  int subscribers = 0;
  int joined = 0;
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
  const auto port = StartEmulator(relay, HITLESS_RELAY_BINARY,
                                  {"--listen", "127.0.0.1:0", "--quiet", "--stats-json", stats,
                                   "--latency", std::to_string(latency_ms) + "ms"},
                                  &error);
  if (!port) {
    fprintf(stderr, "relay: %s\n", error.c_str());
    exit(1);
  }
  usleep(200'000);
  const double rss_before = RssBytes(relay.pid());

  SteadyClock clock;
  io::RecvBatch batch(64, kMaxDatagramSize + 1);
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < n; ++i) {
    subs.push_back(std::make_unique<Subscriber>());
    if (!subs.back()->Open(*port, latency_ms, 1000 + static_cast<uint64_t>(i), clock.Now())) {
      fprintf(stderr, "subscriber %d: cannot open its socket\n", i);
      exit(1);
    }
  }
  // Let every subscriber join (the relay takes 200 handshakes a second).
  RunRounds(subs, batch, clock, Duration::Milliseconds(1500 + 10 * n));
  for (const auto& s : subs) row.joined += s->established() ? 1 : 0;

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
  // Until the sender is done (it drains one latency after its input ends).
  int polls = 0;
  RunRounds(subs, batch, clock, Duration::Seconds(static_cast<int64_t>(seconds) + 30),
            [&] { return ++polls % 50 == 0 && send.Wait(Millis(0)).has_value(); });
  const double relay_cpu1 = CpuSeconds(relay.pid());
  const double self_cpu1 = SelfCpuSeconds();
  const int64_t t1 = MonotonicNs();
  const double rss_after = RssBytes(relay.pid());
  // One more latency for the subscribers to play out.
  RunRounds(subs, batch, clock, Duration::Milliseconds(latency_ms + 500));
  for (auto& s : subs) s->Close(clock.Now());
  relay.Stop(Millis(5000));

  const std::string json = ReadFile(stats);
  std::remove(stats.c_str());
  const std::string sent = ReadFile(send_stats);
  std::remove(send_stats.c_str());
  row.sent = static_cast<uint64_t>(JsonNumber(sent, "data_sent"));
  uint64_t delivered = 0;
  for (const auto& s : subs) {
    const uint64_t missing = row.sent > s->checker.unique() ? row.sent - s->checker.unique() : 0;
    row.worst_missing = std::max(row.worst_missing, missing);
    row.total_missing += missing;
    delivered += s->checker.unique();
  }
  if (row.worst_missing > 0) {
    int lossy = 0;
    for (const auto& s : subs) {
      if (s->checker.unique() >= row.sent) continue;
      if (++lossy <= 3) fprintf(stderr, "  a lossy subscriber: %s\n", s->Describe().c_str());
    }
    fprintf(stderr, "N=%d: %d subscribers missed packets (%llu in all); relay send errors %g\n", n,
            lossy, static_cast<unsigned long long>(row.total_missing),
            atof(json.c_str() + json.find("\"send_errors\":") + 14));
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
    if (r.joined != n) fprintf(stderr, "only %d of %d subscribers joined\n", r.joined, n);
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
