// GenInput against a real io_context: exact datagram count for a finite
// run, valid test datagrams in sequence, on_end once, Stop silences it.
#include "transport/endpoints/gen_input.h"

#include <gtest/gtest.h>

#include <vector>

#include "netem-scenarios/teststream/test_stream.h"
#include "tests/unit/endpoints/test_util.h"
#include "transport/base/clock.h"

namespace hitless::endpoints {
namespace {

using testing::RunUntil;

TEST(GenInputTest, FiniteRunEmitsExactCountAtRoughlyTheRate) {
  GenSpec spec;
  spec.bitrate_bps = 10'000'000;  // 1316 bytes -> one datagram per 1.0528 ms
  spec.duration = Duration::Milliseconds(200);
  spec.stream_id = 42;
  boost::asio::io_context io;  // outlives the endpoint
  GenInput gen(spec);
  ASSERT_EQ(gen.planned(), 190u);  // ceil(200 / 1.0528)

  std::vector<uint64_t> seqs;
  Time first, last;
  int ends = 0;
  absl::Status end_status = absl::UnknownError("not ended");
  const Time t0 = SteadyClock().Now();
  ASSERT_TRUE(gen.Start(
                     io,
                     [&](std::span<const uint8_t> d, Time now) {
                       ASSERT_EQ(d.size(), 1316u);
                       const auto parsed = teststream::ParseDatagram(d);
                       ASSERT_TRUE(parsed.has_value());
                       EXPECT_EQ(parsed->stream_id, 42u);
                       EXPECT_EQ(parsed->sent, now);
                       if (seqs.empty()) first = now;
                       last = now;
                       seqs.push_back(parsed->seq);
                     },
                     [&](absl::Status s) {
                       ++ends;
                       end_status = s;
                     })
                  .ok());
  ASSERT_TRUE(RunUntil(io, [&] { return ends > 0; }));
  EXPECT_TRUE(end_status.ok()) << end_status;
  ASSERT_EQ(seqs.size(), 190u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i);
  EXPECT_EQ(gen.stats().datagrams, 190u);
  EXPECT_EQ(gen.stats().bytes, 190u * 1316);
  // Paced, not dumped: the last datagram is due 198.9 ms after the start.
  // Generous bounds only (a loaded CI machine may be late, never early).
  EXPECT_GE((last - t0).ToMilliseconds(), 198);
  EXPECT_LT((last - first).ToMilliseconds(), 10'000);
  // Nothing more after the end.
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(seqs.size(), 190u);
  EXPECT_EQ(ends, 1);
}

TEST(GenInputTest, LateStartCatchesUpInABurst) {
  GenSpec spec;
  spec.bitrate_bps = 100'000'000;  // one datagram per 105 us
  spec.duration = Duration::Milliseconds(50);
  boost::asio::io_context io;
  GenInput gen(spec);
  uint64_t count = 0;
  bool ended = false;
  ASSERT_TRUE(gen.Start(
                     io, [&](std::span<const uint8_t>, Time) { ++count; },
                     [&](absl::Status) { ended = true; })
                  .ok());
  // Block the loop past the whole run: the first wake-up is very late, and
  // everything due must still come out (in bursts), none lost or skipped.
  SteadyClock clock;
  const Time until = clock.Now() + Duration::Milliseconds(60);
  while (clock.Now() < until) {
  }
  ASSERT_TRUE(RunUntil(io, [&] { return ended; }));
  EXPECT_EQ(count, *gen.planned());
  EXPECT_EQ(gen.emitted(), *gen.planned());
}

TEST(GenInputTest, StopFromTheHandlerEndsDeliveryWithoutOnEnd) {
  GenSpec spec;
  spec.bitrate_bps = 50'000'000;
  boost::asio::io_context io;
  GenInput gen(spec);  // infinite
  EXPECT_FALSE(gen.planned().has_value());
  int count = 0;
  bool ended = false;
  ASSERT_TRUE(gen.Start(
                     io,
                     [&](std::span<const uint8_t>, Time) {
                       if (++count == 10) gen.Stop();
                     },
                     [&](absl::Status) { ended = true; })
                  .ok());
  EXPECT_FALSE(gen.Start(io, nullptr, nullptr).ok());
  RunUntil(io, [&] { return count >= 10; });
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(count, 10);
  EXPECT_FALSE(ended);
}

}  // namespace
}  // namespace hitless::endpoints
