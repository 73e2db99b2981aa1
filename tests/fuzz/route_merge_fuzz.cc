// libFuzzer target: RouteMerge (hitless-recv's merge of several routes) fed
// fuzzed packets from fuzzed routes (sequence and timestamp as 32-bit wire
// values moved by fuzzed deltas, as hostile or misconfigured relays could
// send them), fuzzed transits and fuzzed, non-decreasing time. Checks: no
// crash; the output is never larger than what was offered; every delivered
// payload is one that was offered; counters add up; a wake-up time after
// `now` once OnTimer has run (no busy loop).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tests/fuzz/fuzz_input.h"
#include "transport/session/route_merge.h"

namespace {

using hitless::fuzzing::Check;
using hitless::fuzzing::Input;

using hitless::Duration;
using hitless::Time;

// Payloads carry a marker byte (0xA5) the merge must hand on unchanged.
struct Sink final : hitless::session::MediaSink {
  void DeliverMedia(std::span<const uint8_t> payload, Time) override {
    Check(!payload.empty() && payload[0] == 0xA5);
    ++delivered;
  }
  uint64_t delivered = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in({data, size});
  hitless::session::RouteMergeConfig config;
  config.latency = Duration::Milliseconds(20 + in.Take<uint8_t>() * 4);
  config.routes = 1 + in.Take<uint8_t>() % 4;
  config.buffer_capacity = 64;
  config.max_buffer_capacity = 1024;
  config.release_window = Duration::Microseconds(in.Take<uint8_t>() * 20);
  Sink sink;
  hitless::session::RouteMerge merge(config, &sink);
  Time now = Time::FromNanoseconds(1'000'000'000);
  uint32_t seq = in.Take<uint32_t>();
  uint32_t ts = in.Take<uint32_t>();
  std::vector<uint8_t> payload(1316, 0xA5);
  uint64_t offered = 0;
  while (!in.empty()) {
    const uint8_t op = in.Take<uint8_t>();
    if (op < 200) {
      hitless::session::StreamPacket p;
      // Mostly a step forward; sometimes back, sometimes a jump.
      const auto step = static_cast<int16_t>(in.Take<uint16_t>());
      seq += static_cast<uint32_t>(op % 8 == 0 ? step * 4096 : step % 16);
      ts += static_cast<uint32_t>(static_cast<int32_t>(in.Take<int16_t>()) * 16);
      p.seq = static_cast<int64_t>(seq) + (op % 3 == 0 ? int64_t{1} << 32 : 0);
      p.timestamp_us = ts;
      p.ts_us = ts;
      p.late = op % 5 == 0;
      p.payload = std::span<const uint8_t>(payload).first(1 + in.Take<uint8_t>() % 64 * 20);
      const auto transit = Duration::Microseconds(in.Take<uint16_t>() * 10);
      merge.OnRoutePacket(in.Take<uint8_t>() % 6, p, transit, now);  // routes 4, 5: ignored
      ++offered;
    } else {
      now = now + Duration::Microseconds(in.Take<uint16_t>() * 8);
      merge.OnTimer(now);
      if (const auto next = merge.NextWakeup()) Check(*next > now);
    }
  }
  now = now + Duration::Seconds(5);
  merge.OnTimer(now);
  const auto& s = merge.stats();
  Check(sink.delivered == s.delivered);
  Check(s.delivered <= offered);
  uint64_t first = 0;
  for (const auto& r : s.routes) {
    Check(r.first + r.duplicates + r.late + r.out_of_window <= r.packets);
    first += r.first;
  }
  Check(s.delivered <= first);
  return 0;
}
