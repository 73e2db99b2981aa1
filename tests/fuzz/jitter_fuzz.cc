// libFuzzer target: the TSBPD jitter buffer driven by fuzzed packets and
// fuzzed, non-decreasing time. Sequence numbers and timestamps come in as
// 32-bit wire values moved by fuzzed deltas and are unwrapped as the receiver
// does. Checks the buffer's promises: output in sequence order with skips
// contiguous, nothing released before its release time, payloads intact, the
// level within capacity, counters that add up, and a wake-up time after `now`
// once PopReady() has run (no busy loop).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <vector>

#include "jitter/tsbpd_buffer.h"
#include "tests/fuzz/fuzz_input.h"
#include "transport/base/serial.h"

namespace {

using hitless::fuzzing::Check;
using hitless::fuzzing::Input;

using hitless::Duration;
using hitless::Time;
using hitless::jitter::InsertResult;
using hitless::jitter::ReleasedPacket;
using hitless::jitter::TsbpdBuffer;
using hitless::jitter::TsbpdConfig;

class CheckingSink : public hitless::jitter::TsbpdSink {
 public:
  void OnRelease(const ReleasedPacket& p) override {
    Check(!expected_ || p.seq == *expected_);
    Check(p.release_time <= now);
    const auto it = first_byte.find(p.seq);
    Check(it != first_byte.end());
    Check(p.payload.empty() ? it->second == -1 : it->second == p.payload[0]);
    first_byte.erase(it);
    expected_ = p.seq + 1;
  }
  void OnSkip(int64_t first_seq, int64_t count) override {
    Check(!expected_ || first_seq == *expected_);
    Check(count > 0);
    expected_ = first_seq + count;
  }
  void Restart() {
    expected_.reset();
    first_byte.clear();
  }

  Time now;
  std::map<int64_t, int> first_byte;  // accepted and held: seq -> payload[0] or -1

 private:
  std::optional<int64_t> expected_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(std::span<const uint8_t>(data, size));
  TsbpdConfig config;
  config.latency = Duration::Milliseconds(1 + in.Take<uint8_t>() * 4);
  config.capacity = 1 + in.Take<uint8_t>() % 128;
  config.max_payload = 256;
  TsbpdBuffer buffer(config);
  CheckingSink sink;
  hitless::SerialUnwrapper seq_unwrapper;
  hitless::SerialUnwrapper ts_unwrapper;
  uint32_t seq32 = in.Take<uint32_t>();
  uint32_t ts32 = in.Take<uint32_t>();
  Time now = Time::FromNanoseconds(int64_t{1} << 40);
  std::vector<uint8_t> payload;

  while (!in.empty()) {
    const uint8_t op = in.Take<uint8_t>();
    // Time moves on by up to ~1 s per step, with rare long jumps.
    const auto dt = in.Take<uint16_t>();
    now += (op & 0x80) != 0 ? Duration::Milliseconds(dt) : Duration::Microseconds(dt / 4);
    sink.now = now;
    switch (op & 0x7) {
      case 0:
      case 1:
      case 2: {  // a packet
        seq32 += static_cast<uint32_t>(static_cast<int32_t>(in.Take<int8_t>()));
        ts32 += static_cast<uint32_t>(static_cast<int32_t>(in.Take<int16_t>()) * 16);
        const size_t len = in.Take<uint8_t>() * 2u;
        const uint8_t flags = in.Take<uint8_t>();
        payload.assign(len, static_cast<uint8_t>(seq32));
        const int64_t seq = seq_unwrapper.Unwrap(seq32);
        const int64_t ts = ts_unwrapper.Unwrap(ts32);
        const InsertResult r = buffer.Insert(seq, ts, payload, now, flags);
        Check(r != InsertResult::kOversized || len > config.max_payload);
        if (r == InsertResult::kAccepted) {
          Check(!sink.first_byte.contains(seq));
          sink.first_byte[seq] = payload.empty() ? -1 : payload[0];
        }
        break;
      }
      case 3:
      case 4: {
        buffer.PopReady(now, sink);
        const std::optional<Time> next = buffer.NextRelease();
        Check(!next || *next > now);
        break;
      }
      case 5:
        buffer.SetTransitEstimate(Duration::Microseconds(in.Take<uint16_t>() * 4));
        break;
      case 6: {
        const int64_t probe =
            seq_unwrapper.PeekUnwrap(seq32 + static_cast<uint32_t>(in.Take<int8_t>()));
        const std::optional<Time> deadline = buffer.EstimatedReleaseTime(probe);
        const std::optional<int64_t> next_seq = buffer.next_seq();
        Check(!deadline || (next_seq && probe >= *next_seq));
        break;
      }
      case 7:
        if ((op & 0x40) != 0) {
          buffer.Reset();
          sink.Restart();
          seq_unwrapper.Reset();
          ts_unwrapper.Reset();
        }
        break;
    }
    const hitless::jitter::TsbpdStats s = buffer.stats();
    // The ring is `capacity` rounded up to a power of two (no growth here:
    // max_capacity is 0); the level stays within the ring.
    Check(s.capacity >= config.capacity && s.capacity < 2 * config.capacity);
    Check(s.level_packets <= s.capacity);
    Check(s.level_packets == sink.first_byte.size());
    Check(s.inserted == s.delivered + s.level_packets + s.discarded);
    Check(s.level_span >= Duration::Zero());
  }
  return 0;
}
