// tc netem spec parsing and formatting: good inputs, precise errors, and the
// parse(format(x)) round trip.
#include "netem-scenarios/model/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hitless::netem {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view spec) {
  absl::StatusOr<ImpairmentParams> p = ParseNetemSpec(spec);
  EXPECT_FALSE(p.ok()) << spec;
  return p.ok() ? "" : std::string(p.status().message());
}

TEST(NetemValues, Durations) {
  EXPECT_EQ(ParseNetemDuration("30ms").value(), Duration::Milliseconds(30));
  EXPECT_EQ(ParseNetemDuration("1.5s").value(), Duration::Milliseconds(1500));
  EXPECT_EQ(ParseNetemDuration("200us").value(), Duration::Microseconds(200));
  EXPECT_EQ(ParseNetemDuration("10").value(), Duration::Microseconds(10));
  EXPECT_EQ(ParseNetemDuration("5MSEC").value(), Duration::Milliseconds(5));
  EXPECT_EQ(ParseNetemDuration("250ns").value(), Duration::Nanoseconds(250));
  EXPECT_EQ(ParseNetemDuration(".5ms").value(), Duration::Microseconds(500));
  for (const char* bad : {"", "ms", "-5ms", "5 ms", "5hours", "1e3ms", "1.2.3ms", "nan"}) {
    EXPECT_FALSE(ParseNetemDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseNetemDuration("5x").status().message(),
            "expected a duration like \"30ms\", got \"5x\"");
}

TEST(NetemValues, Percentages) {
  EXPECT_DOUBLE_EQ(ParseNetemPercent("5%").value(), 0.05);
  EXPECT_DOUBLE_EQ(ParseNetemPercent("0.5%").value(), 0.005);
  EXPECT_DOUBLE_EQ(ParseNetemPercent("0.05").value(), 0.05);
  EXPECT_DOUBLE_EQ(ParseNetemPercent("100%").value(), 1.0);
  EXPECT_DOUBLE_EQ(ParseNetemPercent("0").value(), 0.0);
  for (const char* bad : {"", "%", "five", "5%%", "-1%", "101%", "1.5", "5 %"}) {
    EXPECT_FALSE(ParseNetemPercent(bad).ok()) << bad;
  }
}

TEST(NetemValues, Rates) {
  EXPECT_EQ(ParseNetemRate("10mbit").value(), 10'000'000u);
  EXPECT_EQ(ParseNetemRate("10Mbit").value(), 10'000'000u);
  EXPECT_EQ(ParseNetemRate("1.5gbit").value(), 1'500'000'000u);
  EXPECT_EQ(ParseNetemRate("100kbit").value(), 100'000u);
  EXPECT_EQ(ParseNetemRate("1000").value(), 1000u);
  EXPECT_EQ(ParseNetemRate("64bit").value(), 64u);
  EXPECT_EQ(ParseNetemRate("1mbps").value(), 8'000'000u);
  EXPECT_EQ(ParseNetemRate("125kbps").value(), 1'000'000u);
  EXPECT_EQ(ParseNetemRate("1kibit").value(), 1024u);
  for (const char* bad : {"", "fast", "10mb", "10 mbit", "10xbit", "-1mbit"}) {
    EXPECT_FALSE(ParseNetemRate(bad).ok()) << bad;
  }
}

TEST(NetemSpec, FullExample) {
  absl::StatusOr<ImpairmentParams> p = ParseNetemSpec(
      "delay 30ms 5ms 25% distribution normal loss random 5% reorder 25% 50% gap 5 "
      "duplicate 1% corrupt 0.1% rate 10mbit limit 1000");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->delay.delay, Duration::Milliseconds(30));
  EXPECT_EQ(p->delay.jitter, Duration::Milliseconds(5));
  EXPECT_DOUBLE_EQ(p->delay.correlation, 0.25);
  EXPECT_EQ(p->delay.distribution, DelayDistribution::kNormal);
  EXPECT_TRUE(p->delay.reorder_on_jitter);
  EXPECT_EQ(p->loss.model, LossParams::Model::kRandom);
  EXPECT_DOUBLE_EQ(p->loss.probability, 0.05);
  EXPECT_DOUBLE_EQ(p->reorder.probability, 0.25);
  EXPECT_DOUBLE_EQ(p->reorder.correlation, 0.5);
  EXPECT_EQ(p->reorder.gap, 5u);
  EXPECT_DOUBLE_EQ(p->duplicate.probability, 0.01);
  EXPECT_DOUBLE_EQ(p->corrupt.probability, 0.001);
  EXPECT_EQ(p->rate.bits_per_second, 10'000'000u);
  EXPECT_EQ(p->rate.limit_packets, 1000u);
}

TEST(NetemSpec, GilbertElliottAndDefaults) {
  ImpairmentParams p = ParseNetemSpec("loss gemodel 1% 10% 70% 0.1%").value();
  EXPECT_EQ(p.loss.model, LossParams::Model::kGilbertElliott);
  EXPECT_DOUBLE_EQ(p.loss.p, 0.01);
  EXPECT_DOUBLE_EQ(p.loss.r, 0.10);
  EXPECT_DOUBLE_EQ(p.loss.one_minus_h, 0.70);
  EXPECT_DOUBLE_EQ(p.loss.one_minus_k, 0.001);
  p = ParseNetemSpec("loss gemodel 2%").value();
  EXPECT_DOUBLE_EQ(p.loss.r, 0.98);
  EXPECT_DOUBLE_EQ(p.loss.one_minus_h, 1.0);
  EXPECT_DOUBLE_EQ(p.loss.one_minus_k, 0.0);
}

TEST(NetemSpec, MiscKeywords) {
  ImpairmentParams p =
      ParseNetemSpec("delay 10ms 2ms inorder loss 3% rate 5mbit -20 bytelimit 9000").value();
  EXPECT_FALSE(p.delay.reorder_on_jitter);
  EXPECT_DOUBLE_EQ(p.loss.probability, 0.03);
  EXPECT_EQ(p.rate.packet_overhead, -20);
  EXPECT_EQ(p.rate.limit_bytes, 9000u);
  EXPECT_TRUE(ParseNetemSpec("").ok());
  EXPECT_TRUE(ParseNetemSpec("  \t ").ok());
  EXPECT_TRUE(ParseNetemSpec("drop 1%").ok());
}

TEST(NetemSpec, AppliesOnTopOfBase) {
  const ImpairmentParams base = ParseNetemSpec("delay 30ms loss 5% rate 1mbit").value();
  const ImpairmentParams p = ParseNetemSpec("loss 1%", base).value();
  EXPECT_EQ(p.delay.delay, Duration::Milliseconds(30));
  EXPECT_EQ(p.rate.bits_per_second, 1'000'000u);
  EXPECT_DOUBLE_EQ(p.loss.probability, 0.01);
  // A keyword's optional arguments reset to their defaults.
  const ImpairmentParams jittery = ParseNetemSpec("delay 30ms 5ms 10% loss 5% 20%").value();
  const ImpairmentParams q = ParseNetemSpec("delay 50ms loss 1%", jittery).value();
  EXPECT_EQ(q.delay.jitter, Duration::Zero());
  EXPECT_DOUBLE_EQ(q.delay.correlation, 0.0);
  EXPECT_DOUBLE_EQ(q.loss.correlation, 0.0);
}

TEST(NetemSpec, ErrorsNameTheToken) {
  EXPECT_EQ(ErrorOf("loss five"), "loss: expected a percentage like \"5%\", got \"five\"");
  EXPECT_EQ(ErrorOf("delay fast"), "delay: expected a duration like \"30ms\", got \"fast\"");
  EXPECT_EQ(ErrorOf("delay"), "delay: expected a duration like \"30ms\", got end of spec");
  EXPECT_EQ(ErrorOf("rate 10 mbit"),
            "unknown netem keyword \"mbit\" (expected delay, "
            "distribution, loss, duplicate, corrupt, reorder, gap, "
            "rate, limit, bytelimit, inorder or outoforder)");
  EXPECT_THAT(ErrorOf("delay 10ms 5xs"), HasSubstr("got \"5xs\""));
  EXPECT_THAT(ErrorOf("distribution gaussian"), HasSubstr("got \"gaussian\""));
  EXPECT_THAT(ErrorOf("loss 150%"), HasSubstr("between 0% and 100%, got \"150%\""));
  EXPECT_THAT(ErrorOf("loss gemodel"), HasSubstr("loss: expected a percentage"));
  EXPECT_THAT(ErrorOf("loss state 1%"), HasSubstr("not supported"));
  EXPECT_THAT(ErrorOf("gap 5"), HasSubstr("without a reorder probability"));
  EXPECT_THAT(ErrorOf("reorder 5% gap 0"), HasSubstr("gap must be >= 1"));
  EXPECT_THAT(ErrorOf("reorder 5% gap x"), HasSubstr("gap: expected a packet count"));
  EXPECT_THAT(ErrorOf("limit -1"), HasSubstr("limit: expected a packet count"));
  EXPECT_THAT(ErrorOf("rate 1mbit 10 20"), HasSubstr("cell size is not supported"));
  EXPECT_THAT(ErrorOf("rate 1mbit 1x"), HasSubstr("got \"1x\""));
  EXPECT_THAT(ErrorOf("slot 10ms"), HasSubstr("\"slot\" is not supported"));
  EXPECT_THAT(ErrorOf("jitter 5ms"), HasSubstr("unknown netem keyword \"jitter\""));
}

TEST(NetemSpec, FormatCanonical) {
  EXPECT_EQ(FormatNetemSpec({}), "");
  EXPECT_EQ(FormatNetemSpec(ParseNetemSpec("loss 5% delay 30ms 5ms").value()),
            "delay 30ms 5ms loss random 5%");
  EXPECT_EQ(FormatNetemSpec(ParseNetemSpec("rate 12.5mbit limit 100").value()),
            "rate 12500kbit limit 100");
}

class RoundTripTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTripTest, ParseFormatParse) {
  const ImpairmentParams a = ParseNetemSpec(GetParam()).value();
  const std::string text = FormatNetemSpec(a);
  absl::StatusOr<ImpairmentParams> b = ParseNetemSpec(text);
  ASSERT_TRUE(b.ok()) << text << ": " << b.status();
  EXPECT_EQ(FormatNetemSpec(*b), text);
  EXPECT_EQ(a.delay.delay, b->delay.delay);
  EXPECT_EQ(a.delay.jitter, b->delay.jitter);
  EXPECT_DOUBLE_EQ(a.delay.correlation, b->delay.correlation);
  EXPECT_EQ(a.delay.distribution, b->delay.distribution);
  EXPECT_EQ(a.delay.reorder_on_jitter, b->delay.reorder_on_jitter);
  EXPECT_EQ(a.loss.model, b->loss.model);
  EXPECT_DOUBLE_EQ(a.loss.probability, b->loss.probability);
  EXPECT_DOUBLE_EQ(a.loss.correlation, b->loss.correlation);
  EXPECT_DOUBLE_EQ(a.loss.p, b->loss.p);
  EXPECT_DOUBLE_EQ(a.loss.r, b->loss.r);
  EXPECT_DOUBLE_EQ(a.loss.one_minus_h, b->loss.one_minus_h);
  EXPECT_DOUBLE_EQ(a.loss.one_minus_k, b->loss.one_minus_k);
  EXPECT_DOUBLE_EQ(a.reorder.probability, b->reorder.probability);
  EXPECT_DOUBLE_EQ(a.reorder.correlation, b->reorder.correlation);
  EXPECT_EQ(a.reorder.gap, b->reorder.gap);
  EXPECT_DOUBLE_EQ(a.duplicate.probability, b->duplicate.probability);
  EXPECT_DOUBLE_EQ(a.duplicate.correlation, b->duplicate.correlation);
  EXPECT_DOUBLE_EQ(a.corrupt.probability, b->corrupt.probability);
  EXPECT_DOUBLE_EQ(a.corrupt.correlation, b->corrupt.correlation);
  EXPECT_EQ(a.rate.bits_per_second, b->rate.bits_per_second);
  EXPECT_EQ(a.rate.packet_overhead, b->rate.packet_overhead);
  EXPECT_EQ(a.rate.limit_packets, b->rate.limit_packets);
  EXPECT_EQ(a.rate.limit_bytes, b->rate.limit_bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Specs, RoundTripTest,
    ::testing::Values("", "delay 30ms", "delay 30ms 5ms 25% distribution normal",
                      "delay 1.5s 250us distribution paretonormal inorder", "delay 100ns 7ns 0.3%",
                      "loss 0.1% 25%", "loss gemodel 1% 10% 70% 0.1%", "loss gemodel 0.3866% 12.5%",
                      "delay 10ms reorder 25% 50% gap 5 duplicate 1% 3% corrupt 0.1%",
                      "rate 10mbit -20 limit 100 bytelimit 150000", "rate 1234567bit",
                      "delay 30ms 5ms 25% distribution normal loss random 5% reorder 25% 50% "
                      "gap 5 duplicate 1% corrupt 0.1% rate 10mbit limit 1000"));

}  // namespace
}  // namespace hitless::netem
