// SendBudget: delivery rate, queueing delay, congestion cuts, growth, outages.
#include "transport/path/send_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "transport/base/random.h"

namespace hitless::path {
namespace {

// A REPORT every 20 ms from a receiver getting `bytes_per_second`, with the
// RTT samples `rtt(t)`; the sender sends `sent_per_second`.
class Feed {
 public:
  explicit Feed(SendBudget& b) : b_(b) {}
  template <typename RttFn>
  void Run(Duration span, double bytes_per_second, double sent_per_second, RttFn rtt) {
    const Duration step = Duration::Milliseconds(20);
    for (Duration t = Duration::Zero(); t < span; t = t + step) {
      now_ = now_ + step;
      receiver_us_ += 20'000;
      received_ += bytes_per_second * 0.02;
      b_.OnSent(static_cast<uint64_t>(sent_per_second * 0.02));
      b_.OnReport(receiver_us_, static_cast<uint32_t>(static_cast<uint64_t>(received_)), rtt(now_),
                  now_);
    }
  }
  Time now() const { return now_; }

 private:
  SendBudget& b_;
  Time now_ = Time::Zero() + Duration::Seconds(1);
  uint32_t receiver_us_ = 0xFFFF0000u;  // wraps during the test
  double received_ = 4'294'000'000.0;   // received_bytes wraps too
};

constexpr double kMbit = 125'000;  // bytes/s

std::optional<Duration> Steady(Time) { return Duration::Milliseconds(60); }

TEST(SendBudgetTest, UnknownCapacityGivesHeadroomOverTheDeliveryRate) {
  SendBudget b;
  EXPECT_FALSE(b.budget());
  Feed f(b);
  f.Run(Duration::Seconds(3), 10 * kMbit, 10 * kMbit, Steady);
  ASSERT_TRUE(b.budget());
  EXPECT_NEAR(b.delivery_rate(), 10 * kMbit, 0.05 * kMbit);
  EXPECT_NEAR(*b.budget(), 25 * kMbit, 1 * kMbit);
  EXPECT_FALSE(b.capacity(f.now()));
  EXPECT_FALSE(b.congested());
  EXPECT_EQ(b.queueing_delay(), Duration::Zero());
  EXPECT_EQ(b.base_rtt(), Duration::Milliseconds(60));
}

TEST(SendBudgetTest, QueueingCutsTheBudgetToWhatTheBottleneckDelivers) {
  SendBudget b;
  Feed f(b);
  f.Run(Duration::Seconds(2), 10 * kMbit, 10 * kMbit, Steady);
  // The sender pushes 13 Mbit/s into a 12 Mbit/s bottleneck: the queue
  // grows by 1 Mbit/s, i.e. 83 ms of queueing per second.
  double queue_ms = 0;
  f.Run(Duration::Seconds(1), 12 * kMbit, 13 * kMbit, [&](Time) {
    queue_ms += 0.02 * 1000.0 / 12.0;
    return Duration::Milliseconds(60) + Duration::SecondsF(queue_ms / 1000);
  });
  EXPECT_TRUE(b.congested());
  EXPECT_GE(b.stats().congestion_events, 1u);
  ASSERT_TRUE(b.budget());
  EXPECT_NEAR(*b.budget(), 0.9 * 12 * kMbit, 0.3 * kMbit);
  ASSERT_TRUE(b.capacity(f.now()));
  EXPECT_NEAR(*b.capacity(f.now()), 12 * kMbit, 0.3 * kMbit);
  EXPECT_GT(b.queueing_delay(), Duration::Milliseconds(10));

  // The queue drains: the budget grows again, about 8% a second, up to the
  // capacity and no further.
  const double cut = *b.budget();
  f.Run(Duration::Seconds(1), 10.8 * kMbit, 10.8 * kMbit, Steady);
  EXPECT_FALSE(b.congested());
  EXPECT_NEAR(*b.budget(), cut * 1.08, 0.03 * cut);
  f.Run(Duration::Seconds(5), 10.8 * kMbit, 10.8 * kMbit, Steady);
  EXPECT_NEAR(*b.budget(), *b.capacity(f.now()), 0.01 * cut);
  // ... and after capacity_memory without congestion the capacity is
  // unknown again: headroom over the delivery rate.
  f.Run(Duration::Seconds(30), 10.8 * kMbit, 10.8 * kMbit, Steady);
  EXPECT_FALSE(b.capacity(f.now()));
  EXPECT_NEAR(*b.budget(), 2.5 * 10.8 * kMbit, 1 * kMbit);
}

TEST(SendBudgetTest, JitterAloneIsNotCongestion) {
  SendBudget b;
  Feed f(b);
  int i = 0;
  // RTT 60 ms plus up to 20 ms of jitter, the low end reached in every window.
  f.Run(Duration::Seconds(5), 10 * kMbit, 10 * kMbit,
        [&](Time) { return Duration::Milliseconds(60 + (i++ * 7) % 20); });
  EXPECT_EQ(b.stats().congestion_events, 0u);
  EXPECT_FALSE(b.congested());
}

// Gaussian jitter, 5 ms each way (RTT sigma 7 ms): a 100 ms window's minimum
// of five REPORTs sits about 16 ms above the 30 s minimum, above 0.25 x the
// base RTT. Taken for a queue, it cut the budget of a path with room to the
// stream's own rate and capped the repairs (seen over hitless-netem --jitter
// 5ms: the sender said "the path carries about 4.0 Mbit/s", packets lost).
TEST(SendBudgetTest, GaussianJitterIsNotCongestion) {
  SendBudget b;
  Feed f(b);
  Random rng(7);
  const auto jittery = [&](Time) {
    const double ms = 60 + 5 * rng.Normal() + 5 * rng.Normal();
    return Duration::SecondsF(std::max(ms, 30.0) / 1000);
  };
  f.Run(Duration::Seconds(60), 4.4 * kMbit, 4.4 * kMbit, jittery);
  EXPECT_EQ(b.stats().congestion_events, 0u);
  EXPECT_GT(b.rtt_jitter(), Duration::Milliseconds(5));
  ASSERT_TRUE(b.budget());
  EXPECT_GT(*b.budget(), 2 * 4.4 * kMbit);
}

// The same jitter on a path with a bottleneck: the queue still shows.
TEST(SendBudgetTest, AQueueIsFoundThroughJitter) {
  SendBudget b;
  Feed f(b);
  Random rng(8);
  f.Run(Duration::Seconds(10), 10 * kMbit, 10 * kMbit, [&](Time) {
    return Duration::SecondsF(std::max(60 + 5 * rng.Normal() + 5 * rng.Normal(), 30.0) / 1000);
  });
  EXPECT_EQ(b.stats().congestion_events, 0u);
  double queue_ms = 0;
  f.Run(Duration::Seconds(1), 12 * kMbit, 13 * kMbit, [&](Time) {
    queue_ms += 0.02 * 1000.0 / 12.0;
    const double ms = 60 + queue_ms + 5 * rng.Normal() + 5 * rng.Normal();
    return Duration::SecondsF(std::max(ms, 30.0) / 1000);
  });
  EXPECT_GE(b.stats().congestion_events, 1u);
  ASSERT_TRUE(b.capacity(f.now()));
  EXPECT_NEAR(*b.capacity(f.now()), 12 * kMbit, 0.6 * kMbit);
}

TEST(SendBudgetTest, AnOutageMovesNothing) {
  SendBudget b;
  Feed f(b);
  f.Run(Duration::Seconds(2), 10 * kMbit, 10 * kMbit, Steady);
  const double before = *b.budget();
  // Reports still arrive (the reverse path works) but no data gets through;
  // the echo keeps giving old RTTs.
  f.Run(Duration::Seconds(2), 0, 10 * kMbit, Steady);
  EXPECT_GE(b.stats().outage_windows, 15u);
  EXPECT_EQ(b.stats().congestion_events, 0u);
  EXPECT_NEAR(*b.budget(), before, 0.05 * before);  // the window the outage began in
}

TEST(SendBudgetTest, ALongReportGapRestartsTheWindow) {
  SendBudget b;
  b.OnReport(1000, 0, Duration::Milliseconds(50), Time::Zero() + Duration::Seconds(1));
  // 20 s later (a receiver restart): no rate from a window across the gap.
  b.OnReport(1000 + 20'000'000, 500'000'000, Duration::Milliseconds(50),
             Time::Zero() + Duration::Seconds(21));
  EXPECT_FALSE(b.budget());
  EXPECT_EQ(b.stats().windows, 0u);
}

}  // namespace
}  // namespace hitless::path
