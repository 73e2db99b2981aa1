#include "jitter/drift_estimator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "tests/unit/jitter/sim_stream.h"
#include "transport/base/random.h"

namespace hitless::jitter {
namespace {

constexpr Time kT0 = Time::FromNanoseconds(int64_t{500} * 1'000'000'000);
constexpr int64_t kTs0 = 123'456'789'000;  // sender epoch, us

Time At(Duration d) { return kT0 + d; }
int64_t TsAt(Duration d, double ppm = 0) {
  return kTs0 + std::llround(static_cast<double>(d.ToNanoseconds()) / 1e3 * (1 + ppm * 1e-6));
}

TEST(DriftEstimator, NothingBeforeTheFirstSample) {
  DriftEstimator d;
  EXPECT_FALSE(d.has_estimate());
  EXPECT_FALSE(d.offset());
  EXPECT_FALSE(d.LocalTime(0));
  d.Advance(kT0);  // harmless
  EXPECT_FALSE(d.has_estimate());
}

TEST(DriftEstimator, ConstantDelayGivesExactOffset) {
  DriftEstimator d;
  const Duration delay = Duration::Milliseconds(25);
  d.SetTransitEstimate(delay);
  for (int i = 0; i < 5000; ++i) {
    const Duration t = Duration::Milliseconds(i);
    d.OnSample(At(t) + delay, TsAt(t));
  }
  EXPECT_TRUE(d.locked());
  const Duration expected = kT0.SinceEpoch() - Duration::Microseconds(kTs0);
  EXPECT_EQ(*d.offset(), expected);
  EXPECT_EQ(*d.LocalTime(TsAt(Duration::Seconds(7))), At(Duration::Seconds(7)));
  EXPECT_EQ(d.slope(), 0.0);
}

TEST(DriftEstimator, WarmUpFollowsTheLowestDelayAtOnce) {
  DriftEstimator d;
  d.OnSample(At(Duration::Zero()) + Duration::Milliseconds(40), TsAt(Duration::Zero()));
  EXPECT_EQ(*d.LocalTime(TsAt(Duration::Zero())), At(Duration::Milliseconds(40)));
  EXPECT_FALSE(d.locked());
  // One packet far quicker than the others could be a bad timestamp ...
  Duration t = Duration::Milliseconds(50);
  d.OnSample(At(t) + Duration::Milliseconds(5), TsAt(t));
  EXPECT_EQ(*d.LocalTime(TsAt(Duration::Zero())), At(Duration::Milliseconds(40)));
  // ... two are the path.
  t = Duration::Milliseconds(60);
  d.OnSample(At(t) + Duration::Milliseconds(6), TsAt(t));
  EXPECT_EQ(*d.LocalTime(TsAt(Duration::Zero())), At(Duration::Milliseconds(5)));
}

TEST(DriftEstimator, LoneImpossiblyEarlyPacketIsIgnored) {
  DriftEstimator d;
  const Duration delay = Duration::Milliseconds(20);
  for (int i = 0; i < 3000; ++i) {
    const Duration t = Duration::Milliseconds(i);
    // Once a second, one packet is stamped 500 ms in the future.
    const int64_t error_us = i % 1000 == 500 ? 500'000 : 0;
    d.OnSample(At(t) + delay, TsAt(t) + error_us);
    ASSERT_EQ(*d.LocalTime(TsAt(t)), At(t) + delay);
  }
}

TEST(DriftEstimator, LearnsTheSlopeOfAFastSenderClock) {
  for (const double ppm : {500.0, -500.0, 100.0, -100.0}) {
    SCOPED_TRACE(ppm);
    DriftEstimator d;
    Random rng(7);
    std::vector<std::pair<Time, int64_t>> arrivals;  // (arrival, ts)
    for (int i = 0; i < 60 * 100; ++i) {
      const Duration t = Duration::Milliseconds(10 * i);
      const Duration jitter = Duration::SecondsF(rng.Uniform() * 0.030);
      arrivals.emplace_back(At(t) + Duration::Milliseconds(10) + jitter, TsAt(t, ppm));
    }
    std::sort(arrivals.begin(), arrivals.end());
    for (const auto& [arrival, ts] : arrivals) d.OnSample(arrival, ts);
    EXPECT_NEAR(d.slope(), -ppm * 1e-6, 20e-6);
    const Duration t = Duration::Seconds(60);
    const Duration err = *d.LocalTime(TsAt(t, ppm)) - (At(t) + Duration::Milliseconds(10));
    EXPECT_LE(std::abs(err.ToMicroseconds()), 1000);
  }
}

TEST(DriftEstimator, SlewIsBoundedAfterLock) {
  DriftEstimatorConfig config;
  config.max_slew = 1e-3;
  DriftEstimator d(config);
  for (int i = 0; i < 3000; ++i) {
    const Duration t = Duration::Milliseconds(i);
    d.OnSample(At(t) + Duration::Milliseconds(30), TsAt(t));
  }
  ASSERT_TRUE(d.locked());
  // The owner learns the transit: 30 ms. The offset moves towards it at no
  // more than 1 ms per second (slope is 0 here).
  d.SetTransitEstimate(Duration::Milliseconds(30));
  Duration last = *d.offset();
  const Duration start = last;
  for (int i = 3000; i < 40000; ++i) {
    const Duration t = Duration::Milliseconds(i);
    d.OnSample(At(t) + Duration::Milliseconds(30), TsAt(t));
    const Duration now = *d.offset();
    EXPECT_LE(std::abs((now - last).ToNanoseconds()), 1'000 + 1);  // 1 us per ms
    last = now;
  }
  EXPECT_EQ(start - last, Duration::Milliseconds(30));
}

TEST(DriftEstimator, GapWithoutPacketsKeepsFollowingTheSlope) {
  DriftEstimator d;
  const double ppm = 500;
  auto feed = [&](int from_ms, int to_ms) {
    for (int i = from_ms; i < to_ms; i += 10) {
      const Duration t = Duration::Milliseconds(i);
      d.OnSample(At(t) + Duration::Milliseconds(10), TsAt(t, ppm));
    }
  };
  feed(0, 30'000);
  d.Advance(At(Duration::Seconds(38)));  // 8 s of silence
  const Duration t = Duration::Seconds(38);
  const Duration err = *d.LocalTime(TsAt(t, ppm)) - (At(t) + Duration::Milliseconds(10));
  EXPECT_LE(std::abs(err.ToMicroseconds()), 100);
  feed(38'000, 45'000);
  EXPECT_EQ(d.relocks(), 0u);
}

TEST(DriftEstimator, PersistentJumpRelocksAndResetForgets) {
  DriftEstimator d;
  auto feed = [&](int from_ms, int to_ms, Duration step) {
    for (int i = from_ms; i < to_ms; i += 10) {
      const Duration t = Duration::Milliseconds(i);
      d.OnSample(At(t) + Duration::Milliseconds(10), TsAt(t) + step.ToMicroseconds());
    }
  };
  feed(0, 20'000, Duration::Zero());
  feed(20'000, 30'000, Duration::Seconds(-5));
  EXPECT_EQ(d.relocks(), 1u);
  const Duration t = Duration::Seconds(29);
  EXPECT_EQ(*d.LocalTime(TsAt(t) - 5'000'000), At(t) + Duration::Milliseconds(10));

  d.Reset();
  EXPECT_FALSE(d.has_estimate());
  EXPECT_EQ(d.history_size(), 0);
  feed(30'000, 31'000, Duration::Seconds(100));
  EXPECT_EQ(*d.LocalTime(TsAt(t) + 100'000'000), At(t) + Duration::Milliseconds(10));
}

}  // namespace
}  // namespace hitless::jitter
