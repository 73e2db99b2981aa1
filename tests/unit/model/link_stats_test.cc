// Link: statistical properties over many packets (loss models, delay
// distributions, duplicate and corrupt rates), each against theory with a
// tolerance of several standard errors. Fixed seeds keep them repeatable.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "netem-scenarios/model/link.h"
#include "tests/unit/model/link_test_util.h"

namespace hitless::netem {
namespace {

using testing::Delivery;
using testing::Drive;
using testing::MakeLink;

constexpr int kPackets = 200'000;
constexpr Duration kInterval = Duration::Microseconds(100);

// Loss pattern over `count` packets (true = lost), from the delivered tags.
std::vector<bool> LossPattern(const std::string& spec, uint64_t seed, int count = kPackets) {
  Link link = MakeLink(spec, seed);
  std::vector<Delivery> out = Drive(link, count, kInterval);
  std::vector<bool> lost(static_cast<size_t>(count), true);
  for (const Delivery& d : out) lost[d.tag] = false;
  return lost;
}

double LossRate(const std::vector<bool>& lost) {
  double n = 0;
  for (bool l : lost) n += l;
  return n / static_cast<double>(lost.size());
}

double MeanBurst(const std::vector<bool>& lost) {
  int bursts = 0;
  int lost_total = 0;
  for (size_t i = 0; i < lost.size(); ++i) {
    lost_total += lost[i];
    bursts += lost[i] && (i == 0 || !lost[i - 1]);
  }
  return bursts == 0 ? 0.0 : static_cast<double>(lost_total) / bursts;
}

class RandomLossTest : public ::testing::TestWithParam<double> {};

TEST_P(RandomLossTest, RateWithinTolerance) {
  const double p = GetParam();
  std::vector<bool> lost = LossPattern("loss " + std::to_string(p * 100) + "%", 11);
  EXPECT_NEAR(LossRate(lost), p, 0.003);
  // Independent losses: mean burst 1 / (1 - p).
  EXPECT_NEAR(MeanBurst(lost), 1.0 / (1.0 - p), 0.05);
}

INSTANTIATE_TEST_SUITE_P(Rates, RandomLossTest, ::testing::Values(0.01, 0.05, 0.10));

TEST(LossModels, CorrelatedLossKeepsMeanWithLongerBursts) {
  std::vector<bool> plain = LossPattern("loss 5%", 12);
  std::vector<bool> correlated = LossPattern("loss 5% 50%", 12);
  EXPECT_NEAR(LossRate(correlated), 0.05, 0.005);
  // Repeat-previous with probability C: mean burst 1 / ((1 - C)(1 - P)).
  EXPECT_NEAR(MeanBurst(correlated), 1.0 / (0.5 * 0.95), 0.15);
  EXPECT_GT(MeanBurst(correlated), 1.5 * MeanBurst(plain));
}

TEST(LossModels, GilbertElliottMatchesTheory) {
  // p = 1%, r = 10%: average loss p / (p + r) = 9.09%, mean burst 1 / r = 10.
  std::vector<bool> lost = LossPattern("loss gemodel 1% 10% 100% 0%", 13, 400'000);
  EXPECT_NEAR(LossRate(lost), 0.01 / 0.11, 0.01);
  EXPECT_NEAR(MeanBurst(lost), 10.0, 0.6);
}

TEST(LossModels, GilbertElliottBurstGeScenarioValues) {
  // burst-ge.toml: ~3% average loss, mean burst 8.
  std::vector<bool> lost = LossPattern("loss gemodel 0.3866% 12.5% 100% 0%", 14, 400'000);
  EXPECT_NEAR(LossRate(lost), 0.03, 0.005);
  EXPECT_NEAR(MeanBurst(lost), 8.0, 0.6);
}

TEST(LossModels, GilbertElliottPartialLossInBothStates) {
  // Bad-state share p / (p + r) = 20%; loss = 0.2 * 0.5 + 0.8 * 0.01 = 10.8%.
  std::vector<bool> lost = LossPattern("loss gemodel 5% 20% 50% 1%", 15);
  EXPECT_NEAR(LossRate(lost), 0.108, 0.008);
}

TEST(LossModels, GilbertElliottDefaults) {
  // `gemodel p` alone: r = 1 - p, 1-h = 1, 1-k = 0 -> average loss p.
  std::vector<bool> lost = LossPattern("loss gemodel 20%", 16);
  EXPECT_NEAR(LossRate(lost), 0.20, 0.006);
}

struct DelayStats {
  double mean_ms = 0;
  double stddev_ms = 0;
  double lag1 = 0;  // autocorrelation of successive packets' delays
};

DelayStats MeasureDelay(const std::string& spec, uint64_t seed) {
  Link link = MakeLink(spec, seed);
  std::vector<Delivery> out = Drive(link, kPackets, kInterval);
  std::vector<double> delay(out.size());
  for (const Delivery& d : out) {
    delay[d.tag] =
        (d.at - (Time::Zero() + kInterval * static_cast<int64_t>(d.tag))).ToMillisecondsF();
  }
  DelayStats s;
  for (double x : delay) s.mean_ms += x;
  s.mean_ms /= static_cast<double>(delay.size());
  double var = 0, cov = 0;
  for (size_t i = 0; i < delay.size(); ++i) {
    var += (delay[i] - s.mean_ms) * (delay[i] - s.mean_ms);
    if (i > 0) cov += (delay[i] - s.mean_ms) * (delay[i - 1] - s.mean_ms);
  }
  s.stddev_ms = std::sqrt(var / static_cast<double>(delay.size()));
  s.lag1 = cov / var;
  return s;
}

struct DelayCase {
  std::string spec;
  double stddev_ms;
  double stddev_tolerance;  // relative
  double lag1;
};

class DelayDistributionTest : public ::testing::TestWithParam<DelayCase> {};

TEST_P(DelayDistributionTest, MeanAndStddev) {
  const DelayCase& c = GetParam();
  const DelayStats s = MeasureDelay(c.spec, 21);
  EXPECT_NEAR(s.mean_ms, 50.0, 0.15) << c.spec;
  EXPECT_NEAR(s.stddev_ms, c.stddev_ms, c.stddev_ms * c.stddev_tolerance) << c.spec;
  EXPECT_NEAR(s.lag1, c.lag1, 0.03) << c.spec;
}

INSTANTIATE_TEST_SUITE_P(
    Distributions, DelayDistributionTest,
    ::testing::Values(DelayCase{"delay 50ms 10ms", 10.0 / std::sqrt(3.0), 0.02, 0.0},
                      DelayCase{"delay 50ms 10ms distribution normal", 10.0, 0.02, 0.0},
                      DelayCase{"delay 50ms 10ms distribution pareto", 10.0, 0.15, 0.0},
                      DelayCase{"delay 50ms 10ms distribution paretonormal", 10.0, 0.06, 0.0},
                      DelayCase{"delay 50ms 10ms 50% distribution normal", 10.0, 0.03, 0.5},
                      DelayCase{"delay 50ms 10ms 80%", 10.0 / std::sqrt(3.0), 0.05, 0.78}));

TEST(Duplicate, RateAndCopies) {
  Link link = MakeLink("duplicate 5%", 31);
  std::vector<Delivery> out = Drive(link, kPackets, kInterval, 20);
  EXPECT_NEAR(static_cast<double>(link.stats().duplicated) / kPackets, 0.05, 0.003);
  EXPECT_EQ(out.size(), kPackets + link.stats().duplicated);
  int pairs = 0;
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].tag == out[i - 1].tag) {
      ++pairs;
      EXPECT_EQ(out[i].data, out[i - 1].data);
    }
  }
  EXPECT_EQ(static_cast<uint64_t>(pairs), link.stats().duplicated);
}

TEST(Corrupt, FlipsExactlyOneBitAtTheConfiguredRate) {
  Link link = MakeLink("corrupt 5%", 32);
  std::vector<Delivery> out = Drive(link, kPackets, kInterval, 20);
  ASSERT_EQ(out.size(), static_cast<size_t>(kPackets));
  uint64_t corrupted = 0;
  for (const Delivery& d : out) {
    int bits = 0;
    for (size_t j = 0; j < d.data.size(); ++j) {
      bits += __builtin_popcount(d.data[j] ^ static_cast<uint8_t>((d.tag + j) & 0xff));
    }
    ASSERT_LE(bits, 1);
    corrupted += bits;
  }
  EXPECT_EQ(corrupted, link.stats().corrupted);
  EXPECT_NEAR(static_cast<double>(corrupted) / kPackets, 0.05, 0.003);
}

}  // namespace
}  // namespace hitless::netem
