#include "tests/unit/jitter/sim_stream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "transport/base/random.h"

namespace hitless::jitter {
namespace {

constexpr Time kStart = Time::FromNanoseconds(int64_t{1000} * 1'000'000'000);
constexpr int64_t kSenderEpochUs = 7'000'000'000;

struct Arrival {
  Time at;
  int64_t seq;
};

class SimSink : public TsbpdSink {
 public:
  SimSink(const SimConfig& config, const std::vector<Time>& send, SimResult& result)
      : config_(config), send_(send), result_(result) {}

  void set_now(Time now) { now_ = now; }

  void OnRelease(const ReleasedPacket& p) override {
    if (p.seq != expected_) result_.in_order = false;
    expected_ = p.seq + 1;
    if (p.release_time > now_) result_.early = true;
    int64_t body = -1;
    if (p.payload.size() == sizeof(body)) std::memcpy(&body, p.payload.data(), sizeof(body));
    if (body != p.seq) result_.payload_ok = false;
    ++result_.delivered;

    const auto i = static_cast<size_t>(p.seq);
    const Duration since_start = send_[i] - kStart;
    const Duration dev = (now_ - send_[i]) - config_.latency;
    const Duration abs_dev = dev < Duration::Zero() ? -dev : dev;
    const bool measured = since_start >= config_.warmup &&
                          !(since_start >= config_.ignore_from && since_start < config_.ignore_to);
    if (measured) {
      if (abs_dev > result_.max_dev) {
        result_.max_dev = abs_dev;
        result_.max_dev_at = since_start;
      }
      if (last_seq_ == p.seq - 1) {
        const Duration err = (now_ - last_delivery_) - (send_[i] - send_[i - 1]);
        result_.max_spacing_err =
            std::max(result_.max_spacing_err, err < Duration::Zero() ? -err : err);
      }
    } else {
      result_.max_dev_excluded = std::max(result_.max_dev_excluded, abs_dev);
    }
    last_seq_ = p.seq;
    last_delivery_ = now_;
  }

  void OnSkip(int64_t first_seq, int64_t count) override {
    if (first_seq != expected_ || count <= 0) result_.in_order = false;
    expected_ = first_seq + count;
    result_.skipped_reported += static_cast<uint64_t>(count);
  }

 private:
  const SimConfig& config_;
  const std::vector<Time>& send_;
  SimResult& result_;
  Time now_;
  int64_t expected_ = 0;
  int64_t last_seq_ = -2;
  Time last_delivery_;
};

}  // namespace

SimResult RunSim(const SimConfig& config) {
  SimResult result;
  Random rng(config.seed);
  const Duration period = Duration::SecondsF(1.0 / config.rate_pps);
  const auto n = static_cast<size_t>(config.duration / period);
  std::vector<Time> send(n);
  std::vector<int64_t> ts(n);
  std::vector<Arrival> arrivals;
  arrivals.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Duration since_start = period * static_cast<int64_t>(i);
    send[i] = kStart + since_start;
    const double sender_us =
        static_cast<double>(since_start.ToNanoseconds()) / 1e3 * (1.0 + config.sender_ppm * 1e-6);
    ts[i] = kSenderEpochUs + std::llround(sender_us);
    if (since_start >= config.ts_jump_at) ts[i] += config.ts_jump.ToMicroseconds();
    if (since_start >= config.outage_start &&
        since_start < config.outage_start + config.outage_length) {
      ++result.lost_in_network;
      continue;
    }
    const double z = config.symmetric_jitter ? rng.Normal() : std::abs(rng.Normal());
    const Duration delay =
        std::max(Duration::Zero(),
                 config.base_delay + Duration::SecondsF(z * config.jitter_sigma.ToSecondsF()));
    const Duration outlier =
        rng.Bernoulli(config.outlier_prob) ? config.outlier_delay : Duration::Zero();
    arrivals.push_back({send[i] + delay + outlier, static_cast<int64_t>(i)});
  }
  result.sent = n;
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.at < b.at; });

  TsbpdConfig tc;
  tc.latency = config.latency;
  tc.capacity = config.capacity;
  tc.max_payload = 64;
  TsbpdBuffer buffer(tc);
  if (config.tell_transit) buffer.SetTransitEstimate(config.base_delay);
  SimSink sink(config, send, result);

  size_t next = 0;
  Time now = kStart;
  uint64_t idle_wakeups = 0;
  while (next < arrivals.size() || buffer.NextRelease()) {
    const Time arrival_at = next < arrivals.size() ? arrivals[next].at : Time::Infinite();
    const Time release_at = buffer.NextRelease().value_or(Time::Infinite());
    if (arrival_at <= release_at) {
      now = std::max(now, arrival_at);
      const int64_t seq = arrivals[next].seq;
      const auto* body = reinterpret_cast<const uint8_t*>(&seq);
      buffer.Insert(seq, ts[static_cast<size_t>(seq)], std::span(body, sizeof(seq)), now);
      ++next;
    } else {
      now = std::max(now, release_at);
    }
    const uint64_t before = result.delivered + result.skipped_reported;
    sink.set_now(now);
    buffer.PopReady(now, sink);
    result.max_level = std::max(result.max_level, buffer.level_packets());
    if (arrival_at > release_at && result.delivered + result.skipped_reported == before &&
        ++idle_wakeups > 4 * n + 1000) {
      result.stalled = true;
      break;
    }
  }
  result.stats = buffer.stats();
  result.slope = buffer.drift().slope();
  return result;
}

}  // namespace hitless::jitter
