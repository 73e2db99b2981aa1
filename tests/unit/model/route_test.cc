// Route scenario files (route.h): the library parses, the topology rules
// hold, and every mistake is named with file, line and column.
#include "netem-scenarios/model/route.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netem-scenarios/model/scenario.h"

namespace hitless::netem {
namespace {

using ::testing::HasSubstr;

constexpr const char* kDirect = R"(
description = "two hosts"
duration = "10s"
[stream]
bitrate = "8M"
latency = "300ms"
[[host]]
name = "a"
role = "sender"
[[host]]
name = "b"
role = "receiver"
[[link]]
from = "a"
to = "b"
[link.both]
netem = "delay 20ms loss 2%"
[link.reverse]
netem = "loss 0%"
[[link.both.timeline]]
at = "5s"
outage = "1s"
[expect]
max_residual_loss = "0.1%"
max_overhead = "150%"
max_latency_p99 = "310ms"
)";

TEST(RouteTest, ParsesHostsLinksStreamAndExpectations) {
  auto r = ParseRouteScenario(kDirect, "dir/direct.toml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name, "direct");
  EXPECT_EQ(r->duration, Duration::Seconds(10));
  EXPECT_EQ(r->stream.bitrate, 8'000'000u);
  EXPECT_EQ(r->stream.latency, Duration::Milliseconds(300));
  ASSERT_EQ(r->hosts.size(), 2u);
  EXPECT_EQ(r->Sender().name, "a");
  ASSERT_EQ(r->links.size(), 1u);
  EXPECT_DOUBLE_EQ(r->links[0].media.params.loss.probability, 0.02);
  EXPECT_DOUBLE_EQ(r->links[0].back.params.loss.probability, 0.0);
  ASSERT_EQ(r->links[0].media.timeline.size(), 1u);
  EXPECT_DOUBLE_EQ(*r->expect.max_residual_loss, 0.001);
  EXPECT_DOUBLE_EQ(*r->expect.max_overhead, 1.5);
  EXPECT_EQ(*r->expect.max_latency_p99, Duration::Milliseconds(310));
}

// The link's tables become a hitless-netem scenario file: forward is the
// media direction; the swapped one is for a link whose receiving end calls.
TEST(RouteTest, EachLinkIsAHitlessNetemScenario) {
  auto r = ParseRouteScenario(kDirect, "direct.toml");
  ASSERT_TRUE(r.ok()) << r.status();
  auto same = ParseScenario(r->links[0].netem_toml, "link.toml");
  ASSERT_TRUE(same.ok()) << same.status() << "\n" << r->links[0].netem_toml;
  EXPECT_DOUBLE_EQ(same->forward.params.loss.probability, 0.02);
  EXPECT_DOUBLE_EQ(same->reverse.params.loss.probability, 0.0);
  EXPECT_EQ(same->seed, 2u);  // the file's seed (1) + the link's number
  auto swapped = ParseScenario(r->links[0].netem_toml_swapped, "link.toml");
  ASSERT_TRUE(swapped.ok()) << swapped.status();
  EXPECT_DOUBLE_EQ(swapped->forward.params.loss.probability, 0.0);
  EXPECT_DOUBLE_EQ(swapped->reverse.params.loss.probability, 0.02);
  EXPECT_EQ(swapped->forward.timeline.size(), 1u);
}

struct BadCase {
  std::string edit_from, edit_to, message;
};

TEST(RouteTest, MistakesAreNamedWithTheirPlace) {
  const std::vector<BadCase> cases = {
      {"bitrate = \"8M\"", "bitrate = \"8Q\"", "direct.toml:5:11: \"bitrate\""},
      {"latency = \"300ms\"", "latency = \"300\"", "\"latency\": expected a duration"},
      {"role = \"receiver\"", "role = \"recv\"", "\"role\" must be sender, relay or receiver"},
      {"to = \"b\"", "to = \"c\"", "unknown host \"c\""},
      {"from = \"a\"\nto = \"b\"", "from = \"b\"\nto = \"a\"", "media cannot flow into the sender"},
      {"max_overhead = \"150%\"", "max_overhed = \"150%\"", "unknown key \"max_overhed\""},
      {"netem = \"delay 20ms loss 2%\"", "netem = \"delay 20ms los 2%\"", "netem"},
      {"duration = \"10s\"", "duration = \"10s\"\n[[event]]\nat = \"20s\"\nkill = \"b\"",
       "not before the end"},
      {"[expect]", "[expect\n", "TOML syntax error"},
  };
  for (const BadCase& c : cases) {
    std::string text = kDirect;
    const size_t at = text.find(c.edit_from);
    ASSERT_NE(at, std::string::npos) << c.edit_from;
    text.replace(at, c.edit_from.size(), c.edit_to);
    auto r = ParseRouteScenario(text, "direct.toml");
    ASSERT_FALSE(r.ok()) << c.edit_to;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message)) << c.edit_to;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("direct.toml")) << c.edit_to;
  }
}

TEST(RouteTest, TopologyRules) {
  // A relay without a way out; a receiver nobody reaches; two senders.
  const std::string relay_dead_end = std::string(kDirect) +
                                     "[[host]]\nname = \"r\"\nrole = \"relay\"\n"
                                     "[[link]]\nfrom = \"a\"\nto = \"r\"\n";
  auto r = ParseRouteScenario(relay_dead_end, "t.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("needs a link in and a link out"));
  const std::string unreachable =
      std::string(kDirect) + "[[host]]\nname = \"c\"\nrole = \"receiver\"\n";
  r = ParseRouteScenario(unreachable, "t.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cannot be reached"));
  const std::string two_senders =
      std::string(kDirect) + "[[host]]\nname = \"s2\"\nrole = \"sender\"\n";
  r = ParseRouteScenario(two_senders, "t.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("exactly one sender"));
}

TEST(RouteTest, Fractions) {
  EXPECT_DOUBLE_EQ(*ParseFraction("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*ParseFraction("0"), 0.0);
  EXPECT_FALSE(ParseFraction("150%"));
  EXPECT_DOUBLE_EQ(*ParseFraction("150%", true), 1.5);
  EXPECT_FALSE(ParseFraction("x%"));
}

// Every file of the library parses, says what it stands for, and expects
// something.
TEST(RouteTest, TheLibraryParses) {
  const std::string dir = std::string(HITLESS_SCENARIO_DIR) + "/routes";
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  int files = 0;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() < 6 || name.substr(name.size() - 5) != ".toml") continue;
    ++files;
    auto r = LoadRouteScenarioFile(dir + "/" + name);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->description.empty()) << name;
    EXPECT_TRUE(r->expect.max_residual_loss || r->expect.max_loss_time) << name;
  }
  closedir(d);
  EXPECT_GE(files, 7);
}

}  // namespace
}  // namespace hitless::netem
