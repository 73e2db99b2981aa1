#include "jitter/tsbpd_buffer.h"

#include <gtest/gtest.h>

#include <span>
#include <tuple>
#include <vector>

#include "tests/unit/jitter/sim_stream.h"

namespace hitless::jitter {
namespace {

constexpr Time kT0 = Time::FromNanoseconds(int64_t{100} * 1'000'000'000);
constexpr int64_t kTs0 = 900'000'000'000;
constexpr Duration kDelay = Duration::Milliseconds(20);
constexpr Duration kLatency = Duration::Milliseconds(100);

// Packet i is sent at kT0 + i ms (sender ts kTs0 + i ms) and arrives kDelay later.
Time Send(int64_t seq) { return kT0 + Duration::Milliseconds(seq); }
int64_t Ts(int64_t seq) { return kTs0 + seq * 1000; }
Time Arrive(int64_t seq) { return Send(seq) + kDelay; }
Time Due(int64_t seq) { return Send(seq) + kLatency; }

struct Event {
  bool skip;
  int64_t seq;
  int64_t count;  // skips
  Time now;
  Time release_time;
  uint8_t flags;
  std::vector<uint8_t> payload;
};

class RecordingSink : public TsbpdSink {
 public:
  void OnRelease(const ReleasedPacket& p) override {
    events.push_back({false, p.seq, 0, now, p.release_time, p.flags,
                      std::vector<uint8_t>(p.payload.begin(), p.payload.end())});
  }
  void OnSkip(int64_t first_seq, int64_t count) override {
    events.push_back({true, first_seq, count, now, Time(), 0, {}});
  }
  Time now;
  std::vector<Event> events;
};

class TsbpdBufferTest : public ::testing::Test {
 protected:
  explicit TsbpdBufferTest(size_t capacity = 1024) : buffer_(Config(capacity)) {
    buffer_.SetTransitEstimate(kDelay);
  }
  static TsbpdConfig Config(size_t capacity) {
    TsbpdConfig c;
    c.latency = kLatency;
    c.capacity = capacity;
    return c;
  }
  InsertResult Insert(int64_t seq, uint8_t flags = 0) {
    const uint8_t body[3] = {static_cast<uint8_t>(seq), 0xAB, 0xCD};
    return buffer_.Insert(seq, Ts(seq), body, Arrive(seq), flags);
  }
  void Pop(Time now) {
    sink_.now = now;
    buffer_.PopReady(now, sink_);
  }

  TsbpdBuffer buffer_;
  RecordingSink sink_;
};

TEST_F(TsbpdBufferTest, ConstantDelayStreamReleasesExactlyAtSendPlusLatency) {
  EXPECT_FALSE(buffer_.NextRelease());
  for (int64_t seq = 0; seq < 300; ++seq) {
    // Wake for every release due before this arrival, then take the arrival.
    while (buffer_.NextRelease() && *buffer_.NextRelease() <= Arrive(seq)) {
      Pop(*buffer_.NextRelease());
    }
    ASSERT_EQ(Insert(seq), InsertResult::kAccepted);
    if (seq == 0) {
      EXPECT_EQ(*buffer_.NextRelease(), Due(0));
    }
    Pop(Arrive(seq));
  }
  while (buffer_.NextRelease()) Pop(*buffer_.NextRelease());
  ASSERT_EQ(sink_.events.size(), 300u);
  for (int64_t seq = 0; seq < 300; ++seq) {
    const Event& e = sink_.events[static_cast<size_t>(seq)];
    EXPECT_FALSE(e.skip);
    EXPECT_EQ(e.seq, seq);
    EXPECT_EQ(e.now, Due(seq));
    EXPECT_EQ(e.release_time, Due(seq));
    EXPECT_EQ(e.payload, (std::vector<uint8_t>{static_cast<uint8_t>(seq), 0xAB, 0xCD}));
  }
  EXPECT_EQ(buffer_.stats().delivered, 300u);
  EXPECT_EQ(buffer_.stats().inserted, 300u);
}

TEST_F(TsbpdBufferTest, LevelInPacketsAndMilliseconds) {
  for (int64_t seq = 0; seq < 10; ++seq) Insert(seq);
  const TsbpdStats s = buffer_.stats();
  EXPECT_EQ(s.level_packets, 10u);
  EXPECT_EQ(s.level_span, Duration::Milliseconds(9));
}

TEST_F(TsbpdBufferTest, DuplicatesAndTooLateAreCounted) {
  EXPECT_EQ(Insert(0), InsertResult::kAccepted);
  EXPECT_EQ(Insert(0), InsertResult::kDuplicate);
  EXPECT_EQ(Insert(1), InsertResult::kAccepted);
  Pop(Due(1));
  EXPECT_EQ(Insert(1), InsertResult::kDuplicate);  // already delivered
  // Seq 3 arrives after its release time.
  const uint8_t body[1] = {3};
  EXPECT_EQ(buffer_.Insert(3, Ts(3), body, Due(3) + Duration::Nanoseconds(1)),
            InsertResult::kTooLate);
  EXPECT_EQ(buffer_.Insert(4, Ts(4), body, Due(3) + Duration::Nanoseconds(1)),
            InsertResult::kAccepted);
  Pop(Due(4));  // abandons 2 and 3
  EXPECT_EQ(buffer_.Insert(2, Ts(2), body, Due(4)), InsertResult::kTooLate);
  const TsbpdStats s = buffer_.stats();
  EXPECT_EQ(s.duplicates, 2u);
  EXPECT_EQ(s.too_late, 2u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(ToDropReason(InsertResult::kTooLate), DropReason::kTooLate);
  EXPECT_EQ(ToDropReason(InsertResult::kDuplicate), DropReason::kDuplicate);
  EXPECT_EQ(ToDropReason(InsertResult::kBufferFull), DropReason::kBufferFull);
  EXPECT_EQ(ToDropReason(InsertResult::kOversized), DropReason::kOversized);
  EXPECT_FALSE(ToDropReason(InsertResult::kAccepted));
}

TEST_F(TsbpdBufferTest, GapIsSkippedWhenTheNextPacketIsDueAndReported) {
  for (int64_t seq = 0; seq < 20; ++seq) {
    if (seq < 10 || seq > 12) Insert(seq);
  }
  Pop(Due(9));
  ASSERT_EQ(sink_.events.size(), 10u);
  EXPECT_EQ(*buffer_.NextRelease(), Due(13));
  Pop(Due(13) - Duration::Nanoseconds(1));
  EXPECT_EQ(sink_.events.size(), 10u);  // missing 10 is not given up early
  Pop(Due(13));
  ASSERT_EQ(sink_.events.size(), 12u);
  EXPECT_TRUE(sink_.events[10].skip);
  EXPECT_EQ(sink_.events[10].seq, 10);
  EXPECT_EQ(sink_.events[10].count, 3);
  EXPECT_EQ(sink_.events[10].now, Due(13));
  EXPECT_FALSE(sink_.events[11].skip);
  EXPECT_EQ(sink_.events[11].seq, 13);
  EXPECT_EQ(buffer_.stats().skipped, 3u);
  EXPECT_EQ(*buffer_.next_seq(), 14);
}

TEST_F(TsbpdBufferTest, EstimatedReleaseTimeOfMissingSeqs) {
  EXPECT_FALSE(buffer_.EstimatedReleaseTime(5));
  for (int64_t seq = 0; seq < 20; ++seq) {
    if (seq < 10 || seq > 12) Insert(seq);
  }
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(5), Due(5));    // held
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(11), Due(11));  // interpolated
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(25), Due(25));  // extrapolated
  Pop(Due(9));
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(10), Due(10));  // below: last delivered
  Pop(Due(13));
  EXPECT_FALSE(buffer_.EstimatedReleaseTime(11));  // abandoned
  Pop(Due(19));
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(21), Due(21));  // nothing held
}

TEST_F(TsbpdBufferTest, GapEstimatesMatchOneEstimatePerChunk) {
  // 0..9 and 300..309 held, 10..299 missing (and 150 held inside the gap).
  for (int64_t seq = 0; seq < 310; ++seq) {
    if (seq < 10 || seq >= 300) Insert(seq);
  }
  std::vector<std::tuple<int64_t, int64_t, Time>> chunks;
  buffer_.EstimateGapReleaseTimes(10, 290, 16, [&](int64_t first, int64_t n, Time release) {
    chunks.emplace_back(first, n, release);
  });
  ASSERT_EQ(chunks.size(), 19u);  // ceil(290 / 16)
  int64_t covered = 0;
  for (const auto& [first, n, release] : chunks) {
    EXPECT_EQ(first, 10 + covered);
    EXPECT_EQ(release, *buffer_.EstimatedReleaseTime(first)) << first;
    EXPECT_EQ(release, Due(first));
    covered += n;
  }
  EXPECT_EQ(covered, 290);
  // Below the next seq to release: gone, no estimate.
  Pop(Due(12));
  chunks.clear();
  buffer_.EstimateGapReleaseTimes(10, 20, 4, [&](int64_t first, int64_t n, Time release) {
    chunks.emplace_back(first, n, release);
  });
  ASSERT_FALSE(chunks.empty());
  EXPECT_GE(std::get<0>(chunks.front()), *buffer_.next_seq());
}

TEST(TsbpdBufferShrinkTest, HalvesAfterTenQuietSecondsAndKeepsHeldPackets) {
  TsbpdConfig config;
  config.latency = Duration::Milliseconds(100);
  config.capacity = 16;
  config.max_capacity = 256;
  config.max_payload = 8;
  TsbpdBuffer buffer(config);
  struct Sink final : TsbpdSink {
    void OnRelease(const ReleasedPacket& p) override {
      ++released;
      ok = ok && p.seq == next && p.payload.size() == 1 && p.payload[0] == (p.seq & 0xFF);
      next = p.seq + 1;
    }
    void OnSkip(int64_t, int64_t count) override { skipped += count; }
    int64_t released = 0, skipped = 0, next = 0;
    bool ok = true;
  } sink;
  const Time t0 = Time::FromNanoseconds(1'000'000'000);
  int64_t seq = 0;
  // One second at 10 packets per ms (the window needs ~1000 slots: grows to
  // the 256 cap and refuses the rest), then 30 s at one per 10 ms.
  auto send = [&](Duration at) {
    const uint8_t byte = static_cast<uint8_t>(seq & 0xFF);
    const Time now = t0 + at;
    buffer.PopReady(now, sink);
    const InsertResult r = buffer.Insert(seq, at.ToMicroseconds(), std::span(&byte, 1), now);
    if (r == InsertResult::kAccepted) ++seq;
    return r;
  };
  for (int64_t us = 0; us < 20'000; us += 100) send(Duration::Microseconds(us));
  EXPECT_EQ(buffer.stats().capacity, 256u);
  for (int64_t ms = 20; ms < 31'000; ms += 10) {
    ASSERT_EQ(send(Duration::Milliseconds(ms)), InsertResult::kAccepted);
  }
  // ~10 packets in flight from then on. Epochs of 10 s from the first
  // PopReady: the first saw the burst (no change), the next two used under a
  // quarter of the ring: 256 -> 128 -> 64.
  EXPECT_EQ(buffer.stats().shrunk, 2u);
  EXPECT_EQ(buffer.stats().capacity, 64u);
  buffer.PopReady(t0 + Duration::Seconds(40), sink);
  EXPECT_TRUE(sink.ok);
  EXPECT_EQ(sink.released, seq);
  EXPECT_EQ(sink.skipped, 0);
}

class SmallTsbpdBufferTest : public TsbpdBufferTest {
 protected:
  SmallTsbpdBufferTest() : TsbpdBufferTest(16) {}
};

TEST_F(SmallTsbpdBufferTest, RefusesBeyondTheCapacityWindow) {
  for (int64_t seq = 0; seq < 16; ++seq) EXPECT_EQ(Insert(seq), InsertResult::kAccepted);
  EXPECT_EQ(Insert(16), InsertResult::kBufferFull);
  EXPECT_EQ(Insert(40), InsertResult::kBufferFull);
  EXPECT_EQ(buffer_.stats().buffer_full, 2u);
  EXPECT_EQ(buffer_.level_packets(), 16u);
  Pop(Due(0));
  EXPECT_EQ(Insert(16), InsertResult::kAccepted);
  EXPECT_EQ(buffer_.level_packets(), 16u);
}

TEST_F(SmallTsbpdBufferTest, SlidesOverAJumpLargerThanTheCapacity) {
  Insert(0);
  Pop(Due(0));
  EXPECT_EQ(Insert(100), InsertResult::kAccepted);
  Pop(Arrive(100));
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_TRUE(sink_.events[1].skip);
  EXPECT_EQ(sink_.events[1].seq, 1);
  EXPECT_EQ(sink_.events[1].count, 84);  // [1, 85): no room to wait for them
  EXPECT_EQ(Insert(90), InsertResult::kAccepted);
  Pop(Due(100));
  ASSERT_EQ(sink_.events.size(), 6u);
  EXPECT_EQ(sink_.events[2].seq, 85);  // [85, 90)
  EXPECT_EQ(sink_.events[2].count, 5);
  EXPECT_EQ(sink_.events[3].seq, 90);
  EXPECT_EQ(sink_.events[4].seq, 91);  // [91, 100)
  EXPECT_EQ(sink_.events[4].count, 9);
  EXPECT_EQ(sink_.events[5].seq, 100);
  EXPECT_EQ(buffer_.stats().skipped, 98u);
}

TEST_F(TsbpdBufferTest, OversizedPayloadIsRefused) {
  const std::vector<uint8_t> big(1501, 0);
  EXPECT_EQ(buffer_.Insert(0, Ts(0), big, Arrive(0)), InsertResult::kOversized);
  EXPECT_EQ(buffer_.stats().oversized, 1u);
  const std::vector<uint8_t> full(1500, 7);
  EXPECT_EQ(buffer_.Insert(0, Ts(0), full, Arrive(0)), InsertResult::kAccepted);
}

TEST_F(TsbpdBufferTest, RepairMarginsAndFlagsPassThrough) {
  for (int64_t seq = 0; seq < 10; ++seq) {
    if (seq != 5 && seq != 6 && seq != 7) Insert(seq);
  }
  const uint8_t body[1] = {5};
  EXPECT_EQ(buffer_.Insert(5, Ts(5), body, Due(5) - Duration::Milliseconds(30),
                           kFlagRetransmitted | 0x80),
            InsertResult::kAccepted);
  EXPECT_EQ(buffer_.Insert(6, Ts(6), body, Due(5) - Duration::Milliseconds(30), kFlagRetransmitted),
            InsertResult::kAccepted);  // margin 31 ms
  EXPECT_EQ(buffer_.Insert(7, Ts(7), body, Due(5) - Duration::Milliseconds(30), kFlagRecovered),
            InsertResult::kAccepted);
  Pop(Due(9));
  EXPECT_EQ(
      buffer_.Insert(10, Ts(10), body, Due(10) + Duration::Milliseconds(1), kFlagRetransmitted),
      InsertResult::kTooLate);
  const TsbpdStats s = buffer_.stats();
  EXPECT_EQ(s.retransmit_margin.count, 2u);
  EXPECT_EQ(s.retransmit_margin.min, Duration::Milliseconds(30));
  EXPECT_EQ(s.retransmit_margin.mean(), Duration::Microseconds(30'500));
  EXPECT_EQ(s.recovered_margin.count, 1u);
  EXPECT_EQ(s.recovered_margin.min, Duration::Milliseconds(32));
  EXPECT_EQ(s.too_late_retransmitted, 1u);
  ASSERT_EQ(sink_.events.size(), 10u);
  EXPECT_EQ(sink_.events[5].flags, kFlagRetransmitted | 0x80);
  EXPECT_EQ(sink_.events[7].flags, kFlagRecovered);
}

TEST_F(TsbpdBufferTest, ReorderedFirstPacketsMoveTheStartBack) {
  const uint8_t body[1] = {0};
  EXPECT_EQ(Insert(2), InsertResult::kAccepted);
  EXPECT_EQ(buffer_.Insert(0, Ts(0), body, Arrive(2)), InsertResult::kAccepted);
  EXPECT_EQ(buffer_.Insert(1, Ts(1), body, Arrive(2)), InsertResult::kAccepted);
  Pop(Due(2) + Duration::Milliseconds(5));
  ASSERT_EQ(sink_.events.size(), 3u);
  for (int64_t seq = 0; seq < 3; ++seq) {
    EXPECT_FALSE(sink_.events[static_cast<size_t>(seq)].skip);
    EXPECT_EQ(sink_.events[static_cast<size_t>(seq)].seq, seq);
  }
}

TEST_F(TsbpdBufferTest, PacketStampedFarInTheFutureDoesNotStallTheStream) {
  for (int64_t seq = 0; seq < 5; ++seq) Insert(seq);
  const uint8_t body[1] = {5};
  // Seq 5 claims to be an hour ahead: it leaves 2 x latency after arriving.
  EXPECT_EQ(buffer_.Insert(5, Ts(5) + 3'600'000'000, body, Arrive(5)), InsertResult::kAccepted);
  for (int64_t seq = 6; seq < 10; ++seq) Insert(seq);
  EXPECT_EQ(buffer_.stats().capped, 1u);
  Pop(Due(9));
  EXPECT_EQ(sink_.events.size(), 5u);
  EXPECT_EQ(*buffer_.NextRelease(), Arrive(5) + kLatency * 2);
  EXPECT_EQ(*buffer_.EstimatedReleaseTime(5), Arrive(5) + kLatency * 2);
  Pop(Arrive(5) + kLatency * 2);
  EXPECT_EQ(sink_.events.size(), 10u);
}

TEST_F(TsbpdBufferTest, ResetForgetsTheOldStream) {
  for (int64_t seq = 0; seq < 10; ++seq) Insert(seq);
  buffer_.Reset();
  EXPECT_FALSE(buffer_.next_seq());
  EXPECT_FALSE(buffer_.NextRelease());
  EXPECT_EQ(buffer_.stats().discarded, 10u);
  // The restarted sender: new sequence space, new timestamp epoch.
  const Time t1 = kT0 + Duration::Seconds(10);
  const uint8_t body[1] = {1};
  for (int64_t i = 0; i < 3000; ++i) {
    const Time send = t1 + Duration::Milliseconds(i);
    const int64_t ts = 55'000'000 + i * 1000;
    while (buffer_.NextRelease() && *buffer_.NextRelease() <= send + kDelay) {
      Pop(*buffer_.NextRelease());
    }
    ASSERT_EQ(buffer_.Insert(7000 + i, ts, body, send + kDelay), InsertResult::kAccepted);
  }
  while (buffer_.NextRelease()) Pop(*buffer_.NextRelease());
  ASSERT_EQ(sink_.events.size(), 3000u);
  for (int64_t i = 0; i < 3000; ++i) {
    const Event& e = sink_.events[static_cast<size_t>(i)];
    EXPECT_EQ(e.seq, 7000 + i);
    EXPECT_EQ(e.now, t1 + Duration::Milliseconds(i) + kLatency);
  }
}

TEST(TsbpdBufferSim, NormalJitterKeepsSpacingAndOrder) {
  SimConfig config;
  config.rate_pps = 1000;
  config.duration = Duration::Seconds(20);
  config.base_delay = Duration::Milliseconds(100);
  config.jitter_sigma = Duration::Milliseconds(20);
  config.symmetric_jitter = true;
  config.latency = Duration::Milliseconds(300);
  config.tell_transit = false;
  config.warmup = Duration::Seconds(1);
  const SimResult r = RunSim(config);
  EXPECT_FALSE(r.stalled);
  EXPECT_TRUE(r.in_order);
  EXPECT_FALSE(r.early);
  EXPECT_TRUE(r.payload_ok);
  EXPECT_EQ(r.delivered, r.sent);
  EXPECT_LE(r.max_spacing_err, Duration::Microseconds(5));
}

}  // namespace
}  // namespace hitless::jitter

namespace hitless::jitter {
namespace {

// With max_capacity, a window larger than the ring doubles it instead of
// refusing packets, and nothing held is lost in the move.
TEST(TsbpdBufferGrowTest, GrowsInsteadOfRefusingAndKeepsEveryPacket) {
  TsbpdConfig config;
  config.latency = Duration::Milliseconds(1000);
  config.capacity = 16;
  config.max_capacity = 64;
  config.max_payload = 8;
  TsbpdBuffer buffer(config);
  struct Sink final : TsbpdSink {
    void OnRelease(const ReleasedPacket& p) override {
      seqs.push_back(p.seq);
      payload_ok = payload_ok && p.payload.size() == 1 && p.payload[0] == (p.seq & 0xFF);
    }
    void OnSkip(int64_t, int64_t count) override { skipped += count; }
    std::vector<int64_t> seqs;
    int64_t skipped = 0;
    bool payload_ok = true;
  } sink;
  const Time t0 = Time::FromNanoseconds(1'000'000'000);
  // 50 packets 1 ms apart all held at once (latency 1 s): needs 64 slots.
  for (int64_t seq = 0; seq < 50; ++seq) {
    const uint8_t byte = static_cast<uint8_t>(seq & 0xFF);
    EXPECT_EQ(buffer.Insert(seq, seq * 1000, std::span(&byte, 1), t0 + Duration::Milliseconds(seq)),
              InsertResult::kAccepted)
        << seq;
  }
  EXPECT_EQ(buffer.stats().grown, 2u);
  EXPECT_EQ(buffer.stats().buffer_full, 0u);
  // A 65th-in-window packet is beyond max_capacity: refused, counted.
  const uint8_t byte = 0;
  EXPECT_EQ(buffer.Insert(100, 100 * 1000, std::span(&byte, 1), t0 + Duration::Milliseconds(60)),
            InsertResult::kBufferFull);
  buffer.PopReady(t0 + Duration::Seconds(3), sink);
  ASSERT_EQ(sink.seqs.size(), 50u);
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sink.seqs[static_cast<size_t>(i)], i);
  EXPECT_TRUE(sink.payload_ok);
  EXPECT_EQ(sink.skipped, 0);
}

// Timing only (a relay's source hop): the same releases, skips and deadline
// estimates, through growth, with empty payloads and no payload memory.
TEST(TsbpdBufferGrowTest, WithoutPayloadsTimesTheSameAndKeepsNoBytes) {
  TsbpdConfig config;
  config.latency = Duration::Milliseconds(1000);
  config.capacity = 16;
  config.max_capacity = 64;
  config.max_payload = 1452;
  TsbpdConfig timing_only = config;
  timing_only.keep_payloads = false;
  TsbpdBuffer full(config);
  TsbpdBuffer timing(timing_only);
  struct Sink final : TsbpdSink {
    void OnRelease(const ReleasedPacket& p) override {
      releases.emplace_back(p.seq, p.release_time);
      sizes.push_back(p.payload.size());
    }
    void OnSkip(int64_t first, int64_t count) override { skips.emplace_back(first, count); }
    std::vector<std::pair<int64_t, Time>> releases;
    std::vector<size_t> sizes;
    std::vector<std::pair<int64_t, int64_t>> skips;
  } a, b;
  const Time t0 = Time::FromNanoseconds(1'000'000'000);
  const std::vector<uint8_t> payload(1316, 7);
  for (int64_t seq = 0; seq < 50; ++seq) {
    if (seq % 9 == 4) continue;  // gaps: skipped at their deadline
    const Time at = t0 + Duration::Milliseconds(seq);
    ASSERT_EQ(full.Insert(seq, seq * 1000, payload, at), InsertResult::kAccepted);
    ASSERT_EQ(timing.Insert(seq, seq * 1000, payload, at), InsertResult::kAccepted);
  }
  EXPECT_EQ(timing.EstimatedReleaseTime(13), full.EstimatedReleaseTime(13));
  full.PopReady(t0 + Duration::Seconds(3), a);
  timing.PopReady(t0 + Duration::Seconds(3), b);
  EXPECT_EQ(a.releases, b.releases);
  EXPECT_EQ(a.skips, b.skips);
  ASSERT_FALSE(b.sizes.empty());
  for (const size_t size : b.sizes) EXPECT_EQ(size, 0u);
  for (const size_t size : a.sizes) EXPECT_EQ(size, 1316u);
  EXPECT_EQ(timing.stats().grown, full.stats().grown);
}

}  // namespace
}  // namespace hitless::jitter
