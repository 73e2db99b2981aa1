#include "transport/base/random.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hitless {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(123), b(123), c(124);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= x != c.NextU64();
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, UniformAndNormalMoments) {
  Random rng(7);
  constexpr int kN = 200000;
  double sum = 0, nsum = 0, nsq = 0;
  for (int i = 0; i < kN; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    const double n = rng.Normal();
    nsum += n;
    nsq += n * n;
  }
  EXPECT_NEAR(sum / kN, 0.5, 0.005);
  EXPECT_NEAR(nsum / kN, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(nsq / kN), 1.0, 0.01);
}

TEST(RandomTest, BernoulliRate) {
  Random rng(9);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += rng.Bernoulli(0.1);
  EXPECT_NEAR(hits / 100000.0, 0.1, 0.005);
}

}  // namespace
}  // namespace hitless
