// Scenario files: the library in netem-scenarios/*.toml loads, the
// composition rules hold, and bad files give located errors.
#include "netem-scenarios/model/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "netem-scenarios/model/spec.h"

namespace hitless::netem {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<Scenario> s = ParseScenario(text, "test.toml");
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? "" : std::string(s.status().message());
}

TEST(ScenarioLibrary, EveryFileLoads) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HITLESS_SCENARIO_DIR)) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    absl::StatusOr<Scenario> s = LoadScenarioFile(entry.path().string());
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->name, entry.path().stem().string());
    EXPECT_FALSE(s->description.empty()) << entry.path();
  }
  EXPECT_GE(files, 7);
}

TEST(ScenarioLibrary, KnownFilesHaveTheirImpairments) {
  const std::string dir = HITLESS_SCENARIO_DIR;
  Scenario lossy = LoadScenarioFile(dir + "/lossy-5.toml").value();
  EXPECT_DOUBLE_EQ(lossy.forward.params.loss.probability, 0.05);
  EXPECT_EQ(lossy.reverse.params.delay.delay, Duration::Milliseconds(30));
  EXPECT_EQ(lossy.reverse.params.delay.jitter, Duration::Milliseconds(5));
  EXPECT_EQ(lossy.duration, Duration::Seconds(60));

  Scenario ge = LoadScenarioFile(dir + "/burst-ge.toml").value();
  const LossParams& l = ge.forward.params.loss;
  EXPECT_EQ(l.model, LossParams::Model::kGilbertElliott);
  EXPECT_NEAR(l.p / (l.p + l.r), 0.03, 0.0005);
  EXPECT_NEAR(1.0 / l.r, 8.0, 1e-9);

  Scenario outage = LoadScenarioFile(dir + "/outage-5s.toml").value();
  ASSERT_EQ(outage.forward.timeline.size(), 1u);
  EXPECT_EQ(outage.forward.timeline[0].kind, TimelineEvent::Kind::kOutage);
  EXPECT_EQ(outage.forward.timeline[0].at, Duration::Seconds(10));
  EXPECT_EQ(outage.forward.timeline[0].duration, Duration::Seconds(5));
  EXPECT_EQ(outage.reverse.timeline.size(), 1u);

  Scenario bottleneck = LoadScenarioFile(dir + "/bottleneck.toml").value();
  EXPECT_EQ(bottleneck.forward.params.rate.bits_per_second, 12'000'000u);
  EXPECT_EQ(bottleneck.reverse.params.rate.bits_per_second, 0u);
}

TEST(ScenarioParse, Composition) {
  absl::StatusOr<Scenario> s = ParseScenario(R"(
name = "custom"
description = "test"
seed = 7
duration = "90s"
[both]
netem = "delay 30ms loss 5%"
[[both.timeline]]
at = "10s"
outage = "2s"
[forward]
netem = "loss 10%"
[[forward.timeline]]
at = "20s"
netem = "delay 50ms"
[[forward.timeline]]
at = "5s"
netem = "rate 1mbit"
)",
                                             "dir/custom-file.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "custom");
  EXPECT_EQ(s->seed, 7u);
  EXPECT_EQ(s->duration, Duration::Seconds(90));
  EXPECT_DOUBLE_EQ(s->forward.params.loss.probability, 0.10);
  EXPECT_EQ(s->forward.params.delay.delay, Duration::Milliseconds(30));
  EXPECT_DOUBLE_EQ(s->reverse.params.loss.probability, 0.05);
  EXPECT_TRUE(s->reverse.timeline.size() == 1);

  const auto& t = s->forward.timeline;
  ASSERT_EQ(t.size(), 3u);  // sorted by `at`
  EXPECT_EQ(t[0].at, Duration::Seconds(5));
  EXPECT_EQ(t[0].params.rate.bits_per_second, 1'000'000u);
  EXPECT_DOUBLE_EQ(t[0].params.loss.probability, 0.10);  // on top of the direction
  EXPECT_EQ(t[1].kind, TimelineEvent::Kind::kOutage);
  EXPECT_EQ(t[2].params.delay.delay, Duration::Milliseconds(50));
  EXPECT_EQ(t[2].params.rate.bits_per_second, 1'000'000u);  // cumulative
}

TEST(ScenarioParse, HeaderExample) {
  Scenario s = ParseScenario(R"(
name = "lossy-5"                  # optional, defaults to the file stem
description = "5% random loss, 30 ms each way"
seed = 1                          # optional, default 1
duration = "60s"                  # optional: how long a runner streams
[both]                            # applies to forward and reverse...
netem = "delay 30ms 5ms loss 5%"
[forward]                         # ...unless a direction overrides it
netem = "delay 30ms 5ms loss 10%"
[[forward.timeline]]              # changes over time, relative to start
at = "10s"
outage = "5s"                     # everything dropped for 5 s
[[forward.timeline]]
at = "20s"
netem = "delay 50ms loss 1%"      # new parameters from 20 s on
)",
                             "x.toml")
                   .value();
  EXPECT_EQ(FormatNetemSpec(s.forward.params), "delay 30ms 5ms loss random 10%");
  EXPECT_EQ(FormatNetemSpec(s.reverse.params), "delay 30ms 5ms loss random 5%");
  ASSERT_EQ(s.forward.timeline.size(), 2u);
  EXPECT_EQ(FormatNetemSpec(s.forward.timeline[1].params), "delay 50ms loss random 1%");
  EXPECT_TRUE(s.reverse.timeline.empty());
}

TEST(ScenarioParse, DefaultsAndNameFromStem) {
  Scenario s = ParseScenario("", "/a/b/quiet.toml").value();
  EXPECT_EQ(s.name, "quiet");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_FALSE(s.duration.has_value());
  EXPECT_EQ(FormatNetemSpec(s.forward.params), "");
  EXPECT_TRUE(s.forward.timeline.empty());
}

TEST(ScenarioParse, UnknownKeysAreErrors) {
  EXPECT_EQ(ErrorOf("name = \"x\"\nlos = 5\n"),
            "test.toml:2:1: unknown key \"los\" (expected name, description, seed, duration, "
            "both, forward or reverse)");
  EXPECT_THAT(ErrorOf("[forward]\nnetem = \"loss 1%\"\nlatency = \"5ms\"\n"),
              HasSubstr("test.toml:3:1: unknown key \"latency\" in [forward]"));
  EXPECT_THAT(ErrorOf("[[both.timeline]]\nat = \"1s\"\noutage = \"1s\"\nfor = \"2s\"\n"),
              HasSubstr("test.toml:4:1: unknown key \"for\" in [[both.timeline]]"));
  EXPECT_THAT(ErrorOf("[sideways]\nnetem = \"\"\n"), HasSubstr("unknown key \"sideways\""));
}

TEST(ScenarioParse, BadValuesAreLocated) {
  EXPECT_EQ(ErrorOf("[both]\nnetem = \"loss five\"\n"),
            "test.toml:2:9: netem: loss: expected a percentage like \"5%\", got \"five\"");
  EXPECT_THAT(ErrorOf("seed = \"one\"\n"), HasSubstr("test.toml:1:8: \"seed\" must be"));
  EXPECT_THAT(ErrorOf("seed = -1\n"), HasSubstr("non-negative"));
  EXPECT_THAT(ErrorOf("duration = \"60\"\n"), HasSubstr("expected a duration like \"10s\""));
  EXPECT_THAT(ErrorOf("duration = 60\n"), HasSubstr("\"duration\" must be a string"));
  EXPECT_THAT(ErrorOf("[both]\nnetem = 5\n"), HasSubstr("\"netem\" must be a string"));
  EXPECT_THAT(ErrorOf("both = 3\n"), HasSubstr("\"both\" must be a table"));
  EXPECT_THAT(ErrorOf("[both]\ntimeline = 1\n"), HasSubstr("must be an array of tables"));
  EXPECT_THAT(ErrorOf("[[forward.timeline]]\noutage = \"1s\"\n"),
              HasSubstr("test.toml:1:1: [[forward.timeline]] entry needs \"at\""));
  EXPECT_THAT(ErrorOf("[[forward.timeline]]\nat = \"1s\"\n"), HasSubstr("exactly one of"));
  EXPECT_THAT(ErrorOf("[[forward.timeline]]\nat = \"1s\"\noutage = \"1s\"\nnetem = \"\"\n"),
              HasSubstr("exactly one of"));
  EXPECT_THAT(ErrorOf("[[forward.timeline]]\nat = \"1s\"\nnetem = \"delay x\"\n"),
              HasSubstr("test.toml:3:9: netem: delay: expected a duration"));
}

TEST(ScenarioParse, SyntaxErrorsNameTheLine) {
  EXPECT_THAT(ErrorOf("name = \"x\"\nseed = = 3\n"), HasSubstr("test.toml:2:"));
  EXPECT_THAT(ErrorOf("name = \"x\"\nseed = = 3\n"), HasSubstr("TOML syntax error"));
  EXPECT_THAT(ErrorOf("[both\n"), HasSubstr("test.toml:1:"));
  EXPECT_THAT(ErrorOf("name = \"a\"\nname = \"b\"\n"), HasSubstr("test.toml:2:"));
}

TEST(ScenarioLoad, MissingFile) {
  absl::StatusOr<Scenario> s = LoadScenarioFile("/nonexistent/dir/x.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("/nonexistent/dir/x.toml"));
}

}  // namespace
}  // namespace hitless::netem
