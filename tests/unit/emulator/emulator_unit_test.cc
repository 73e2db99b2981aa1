// Unit tests of the I/O-free pieces behind hitless-netem: FlowTable, the
// shared flag parser (hitless_cli), endpoint parsing (hitless_io) and the
// emulator's command-line composition rule. No sockets, no processes.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "netem-scenarios/emulator/config.h"
#include "netem-scenarios/emulator/flow_table.h"
#include "transport/apps/flags.h"
#include "transport/io/endpoint.h"

namespace hitless::netem {
namespace {

io::UdpEndpoint Ep(const char* text) { return *io::ParseEndpoint(text); }
Time At(int64_t seconds) { return Time::Zero() + Duration::Seconds(seconds); }

TEST(FlowTable, OpensFindsAndRefusesWhenFull) {
  FlowTable table(2, Duration::Seconds(60));
  const auto a = table.FindOrOpen(Ep("10.0.0.1:1000"), At(0));
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->opened);
  const auto again = table.FindOrOpen(Ep("10.0.0.1:1000"), At(1));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->opened);
  EXPECT_EQ(again->id, a->id);
  const auto b = table.FindOrOpen(Ep("10.0.0.1:1001"), At(1));
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(b->id, a->id);
  EXPECT_FALSE(table.FindOrOpen(Ep("10.0.0.2:1000"), At(1)).has_value());
  EXPECT_EQ(table.counters().opened, 2u);
  EXPECT_EQ(table.counters().refused, 1u);
  ASSERT_NE(table.Get(b->id), nullptr);
  EXPECT_EQ(table.Get(b->id)->client, Ep("10.0.0.1:1001"));
}

TEST(FlowTable, ExpiresIdleFlowsAndNeverReusesIds) {
  FlowTable table(4, Duration::Seconds(10));
  const uint64_t a = table.FindOrOpen(Ep("[::1]:5"), At(0))->id;
  const uint64_t b = table.FindOrOpen(Ep("127.0.0.1:5"), At(0))->id;
  table.Touch(b, At(8));  // return traffic keeps b alive
  EXPECT_TRUE(table.ExpireIdle(At(9)).empty());
  EXPECT_EQ(table.ExpireIdle(At(10)), std::vector<uint64_t>{a});
  EXPECT_EQ(table.Get(a), nullptr);
  EXPECT_NE(table.Get(b), nullptr);
  const auto reopened = table.FindOrOpen(Ep("[::1]:5"), At(11));
  ASSERT_TRUE(reopened.has_value());
  EXPECT_TRUE(reopened->opened);
  EXPECT_NE(reopened->id, a);
  EXPECT_EQ(table.counters().expired, 1u);
  EXPECT_EQ(table.size(), 2u);
}

TEST(Endpoint, ParsesAndRejects) {
  EXPECT_EQ(io::FormatEndpoint(Ep("127.0.0.1:7000")), "127.0.0.1:7000");
  EXPECT_EQ(io::FormatEndpoint(Ep("[::1]:0")), "[::1]:0");
  for (const char* bad : {"nonsense", "127.0.0.1", ":80", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1",
                          "1.2.3.4:8x", "::1:80", "no-such-host.invalid:80"}) {
    EXPECT_FALSE(io::ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(FlagParser, ParsesBothFormsAndTypes) {
  cli::FlagParser flags("prog", "prog [flags]");
  flags.AddValue("name", "TEXT", "a name");
  flags.AddValue("count", "N", "a count", "3");
  flags.AddValue("period", "DURATION", "a period");
  flags.AddSwitch("quiet", "be quiet");
  ASSERT_TRUE(flags.Parse({"--name", "x y", "--count=7", "--period", "250ms", "--quiet"}).ok());
  EXPECT_EQ(flags.GetString("name"), "x y");
  EXPECT_EQ(*flags.GetInt("count", 0, 10), 7);
  EXPECT_EQ(*flags.GetDuration("period"), Duration::Milliseconds(250));
  EXPECT_TRUE(flags.GetSwitch("quiet"));
  EXPECT_FALSE(flags.help_requested());
  EXPECT_NE(flags.HelpText().find("--count N"), std::string::npos);
  EXPECT_NE(flags.HelpText().find("(default: 3)"), std::string::npos);
}

TEST(FlagParser, ReportsErrors) {
  auto parse = [](std::vector<std::string> args) {
    cli::FlagParser flags("prog", "prog");
    flags.AddValue("count", "N", "a count");
    flags.AddSwitch("quiet", "be quiet");
    absl::Status status = flags.Parse(args);
    if (status.ok()) status = flags.GetInt("count", 0, 10).status();
    return status;
  };
  EXPECT_TRUE(parse({"--count", "3"}).ok());
  EXPECT_FALSE(parse({"--bogus"}).ok());
  EXPECT_FALSE(parse({"--count"}).ok());
  EXPECT_FALSE(parse({"--count", "1", "--count", "2"}).ok());
  EXPECT_FALSE(parse({"positional"}).ok());
  EXPECT_FALSE(parse({"--quiet=maybe"}).ok());
  EXPECT_FALSE(parse({"--count", "11"}).ok());
  EXPECT_FALSE(parse({"--count", "three"}).ok());
}

TEST(EmulatorCommandLine, ComposesDirectionsInDocumentedOrder) {
  const auto parsed = ParseCommandLine({"--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9",
                                        "--netem", "delay 30ms loss 5%", "--delay", "10ms", "--rev",
                                        "loss 1%", "--seed", "42"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const EmulatorConfig& c = parsed->config;
  EXPECT_EQ(c.forward.params.delay.delay, Duration::Milliseconds(10));
  EXPECT_EQ(c.reverse.params.delay.delay, Duration::Milliseconds(10));
  EXPECT_NEAR(c.forward.params.loss.probability, 0.05, 1e-9);
  EXPECT_NEAR(c.reverse.params.loss.probability, 0.01, 1e-9);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_NE(ReverseSeed(c.seed), c.seed);
}

}  // namespace
}  // namespace hitless::netem
