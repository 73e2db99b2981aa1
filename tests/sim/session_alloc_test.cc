// The data path allocates nothing per packet in steady state: a sender and a
// receiver session (tests/sim/session_pair.h), warmed up for 10 s, then 5 s
// more with no heap allocation at all, with and without loss, ARQ alone and
// with fixed and adaptive FEC. Deterministic: a virtual clock, fixed seeds;
// counts, not timings (tests/bench/session_alloc_bench reports the cost).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <new>
#include <string>
#include <tuple>

#include "tests/sim/alloc_counter.h"
#include "tests/sim/session_pair.h"
#include "transport/base/time.h"

namespace hitless::session {
namespace {

class SessionAllocTest : public ::testing::TestWithParam<std::tuple<int, int, int>> {};

TEST_P(SessionAllocTest, NoAllocationPerPacketInSteadyState) {
  const auto [mbps, loss_permille, fec] = GetParam();
  testing::Pair pair(static_cast<uint64_t>(mbps) * 1'000'000, loss_permille / 1000.0, fec);
  pair.RunFor(Duration::Seconds(10));
  const uint64_t sent_before = pair.sent;
  const uint64_t delivered_before = pair.media().delivered;
  const uint64_t lost_before = pair.receiver().stats().lost;
  g_allocations.store(0, std::memory_order_relaxed);
  pair.RunFor(Duration::Seconds(5));
  const uint64_t allocations = g_allocations.load(std::memory_order_relaxed);
  // The counter counts: a direct call of the replaced function (not a
  // new-expression, which the compiler may elide) must be seen.
  ::operator delete(::operator new(16));
  ASSERT_EQ(g_allocations.load(std::memory_order_relaxed), allocations + 1);
  const uint64_t sent = pair.sent - sent_before;
  ASSERT_GT(sent, static_cast<uint64_t>(mbps) * 400);  // the stream flowed (1316-byte packets)
  EXPECT_EQ(allocations, 0u) << "over " << sent << " packets";
  // And it was carried: nothing lost beyond the warm-up's tail.
  EXPECT_EQ(pair.receiver().stats().lost, lost_before);
  EXPECT_GT(pair.media().delivered - delivered_before, sent * 99 / 100);
}

INSTANTIATE_TEST_SUITE_P(Streams, SessionAllocTest,
                         ::testing::Values(std::tuple{10, 0, 0}, std::tuple{100, 0, 0},
                                           std::tuple{10, 20, 0}, std::tuple{100, 20, 0},
                                           std::tuple{100, 50, 1}, std::tuple{100, 50, 2}),
                         [](const auto& info) {
                           return "Mbps" + std::to_string(std::get<0>(info.param)) +
                                  "_LossPermille" + std::to_string(std::get<1>(info.param)) +
                                  "_Fec" + std::to_string(std::get<2>(info.param));
                         });

}  // namespace
}  // namespace hitless::session
