// The `fec=` URL option (transport/apps/fec_option.h) and the mapping of a
// negotiated adaptive FecConfig to the sender's policy
// (transport/session/fec_config.h).
#include "transport/apps/fec_option.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fec/adaptive_policy.h"
#include "fec/fec.h"
#include "transport/base/time.h"
#include "transport/session/fec_config.h"
#include "transport/wire/handshake.h"

namespace hitless::apps {
namespace {

FecConfig Rs(FecMode mode, uint16_t k, uint8_t m, uint8_t interleave) {
  FecConfig f;
  f.mode = mode;
  f.k = k;
  f.m = m;
  f.interleave = interleave;
  return f;
}

FecConfig Adaptive(uint16_t k, uint8_t m, uint8_t interleave) {
  return Rs(FecMode::kReedSolomonAdaptive, k, m, interleave);
}

// Parses `text`, failing the test (and returning kNone) if it is refused or
// gives a config the handshake would not send.
FecConfig ParseOk(const std::string& text) {
  const absl::StatusOr<FecConfig> fec = ParseFecOption(text);
  EXPECT_TRUE(fec.ok()) << text << ": " << fec.status();
  if (!fec.ok()) return {};
  EXPECT_TRUE(ValidFecConfig(*fec)) << text << " breaks the wire rules";
  return *fec;
}

// The error message for `text`; empty (with a test failure) if it parsed.
std::string ParseError(const std::string& text) {
  const absl::StatusOr<FecConfig> fec = ParseFecOption(text);
  EXPECT_FALSE(fec.ok()) << text << " parsed";
  if (fec.ok()) return "";
  EXPECT_EQ(fec.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(fec.status().message());
}

TEST(FecOptionTest, AdaptiveDefaults) {
  EXPECT_EQ(ParseOk("adaptive"), Adaptive(20, 10, 8));
  // m = min(10, k); i = max(1, min(8, 1024 / k)).
  EXPECT_EQ(ParseOk("adaptive,k=1"), Adaptive(1, 1, 8));
  EXPECT_EQ(ParseOk("adaptive,k=4"), Adaptive(4, 4, 8));
  EXPECT_EQ(ParseOk("adaptive,k=10"), Adaptive(10, 10, 8));
  EXPECT_EQ(ParseOk("adaptive,k=128"), Adaptive(128, 10, 8));
  EXPECT_EQ(ParseOk("adaptive,k=129"), Adaptive(129, 10, 7));
  EXPECT_EQ(ParseOk("adaptive,k=200"), Adaptive(200, 10, 5));
  EXPECT_EQ(ParseOk("adaptive,k=245"), Adaptive(245, 10, 4));
}

TEST(FecOptionTest, AdaptiveExplicitCaps) {
  EXPECT_EQ(ParseOk("adaptive,k=30,m=6,i=4"), Adaptive(30, 6, 4));
  EXPECT_EQ(ParseOk("adaptive,i=2,m=12,k=40"), Adaptive(40, 12, 2));  // any order
  EXPECT_EQ(ParseOk("adaptive,m=20"), Adaptive(20, 20, 8));
  EXPECT_EQ(ParseOk("adaptive,i=1"), Adaptive(20, 10, 1));
  EXPECT_EQ(ParseOk("adaptive,k=4,i=255"), Adaptive(4, 4, 255));        // k x i = 1020
  EXPECT_EQ(ParseOk("adaptive,k=200,m=55,i=5"), Adaptive(200, 55, 5));  // k + m = 255
}

TEST(FecOptionTest, AdaptiveOutOfRangeNamesTheRange) {
  std::string e = ParseError("adaptive,k=0");
  EXPECT_NE(e.find("k must be an integer in 1..254"), std::string::npos) << e;
  e = ParseError("adaptive,k=255");
  EXPECT_NE(e.find("k must be an integer in 1..254"), std::string::npos) << e;
  e = ParseError("adaptive,k=ten");
  EXPECT_NE(e.find("k must be an integer in 1..254"), std::string::npos) << e;
  e = ParseError("adaptive,m=0");
  EXPECT_NE(e.find("m must be an integer in 1..254"), std::string::npos) << e;
  e = ParseError("adaptive,m=300");
  EXPECT_NE(e.find("m must be an integer in 1..254"), std::string::npos) << e;
  e = ParseError("adaptive,i=0");
  EXPECT_NE(e.find("i must be an integer in 1..255"), std::string::npos) << e;
  e = ParseError("adaptive,i=-1");
  EXPECT_NE(e.find("i must be an integer in 1..255"), std::string::npos) << e;
  // Each value in range, the combination not.
  for (const char* text : {"adaptive,k=20,m=21", "adaptive,k=200,m=56,i=1",
                           "adaptive,k=200,m=10,i=6", "adaptive,k=20,i=52"}) {
    e = ParseError(text);
    EXPECT_NE(e.find("parameters out of range"), std::string::npos) << e;
    EXPECT_NE(e.find("k x i <= 1024"), std::string::npos) << e;
  }
  // The message quotes what was given.
  EXPECT_EQ(ParseError("adaptive,m=0").rfind("fec=adaptive,m=0: ", 0), 0u);
}

TEST(FecOptionTest, AdaptiveUnknownOrMalformedParameters) {
  std::string e = ParseError("adaptive,x=1");
  EXPECT_NE(e.find("unknown parameter \"x\""), std::string::npos) << e;
  e = ParseError("adaptive,l=10");  // an XOR parameter
  EXPECT_NE(e.find("unknown parameter \"l\""), std::string::npos) << e;
  e = ParseError("adaptive,k=20,mode=2d");
  EXPECT_NE(e.find("unknown parameter \"mode\""), std::string::npos) << e;
  e = ParseError("adaptive,k");
  EXPECT_NE(e.find("expected key=value"), std::string::npos) << e;
  e = ParseError("adaptve");
  EXPECT_NE(e.find("rs, adaptive, xor or none"), std::string::npos) << e;
}

TEST(FecOptionTest, OtherSchemesAreUnchanged) {
  EXPECT_EQ(ParseOk("rs"), Rs(FecMode::kReedSolomon, 20, 4, 1));
  EXPECT_EQ(ParseOk("rs,k=10,m=5,i=2"), Rs(FecMode::kReedSolomon, 10, 5, 2));
  EXPECT_EQ(ParseOk("none"), FecConfig{});
  EXPECT_FALSE(ParseFecOption("none,k=1").ok());
  const FecConfig two_d = ParseOk("xor,l=10,d=5,mode=2d");
  EXPECT_EQ(two_d.mode, FecMode::kXorRowColumn);
  EXPECT_EQ(two_d.l, 10);
  EXPECT_EQ(two_d.d, 5);
  const FecConfig column = ParseOk("xor,l=4,d=8,mode=column");
  EXPECT_EQ(column.mode, FecMode::kXorColumn);
  EXPECT_EQ(column.l, 4);
  EXPECT_EQ(column.d, 8);
}

// A row repair has no depth: the wire rule for kXorRow is d == 0, which the
// handshake enforces, so "xor,l=10" must not carry the default d = 10, and
// an explicit d with mode=row is refused.
TEST(FecOptionTest, XorRowGivesAConfigTheHandshakeAccepts) {
  for (const char* text : {"xor,l=10", "xor,l=10,mode=row"}) {
    const FecConfig row = ParseOk(text);
    EXPECT_EQ(row.mode, FecMode::kXorRow) << text;
    EXPECT_EQ(int{row.l}, 10) << text;
    EXPECT_EQ(int{row.d}, 0) << text;
    EXPECT_TRUE(ValidFecConfig(row)) << text;
  }
  const auto d_with_row = ParseFecOption("xor,l=10,d=10,mode=row");
  ASSERT_FALSE(d_with_row.ok());
  EXPECT_NE(d_with_row.status().message().find("d applies to"), std::string::npos);
}

// Defaults stay inside k + m <= 255 whatever k is.
TEST(FecOptionTest, DefaultRepairCountsFitLargeBlocks) {
  for (const char* text : {"rs,k=252", "rs,k=254", "adaptive,k=246", "adaptive,k=254"}) {
    const auto fec = ParseFecOption(text);
    ASSERT_TRUE(fec.ok()) << text << ": " << fec.status();
    EXPECT_LE(fec->k + fec->m, 255) << text;
    EXPECT_GE(fec->m, 1) << text;
  }
}

constexpr Duration kLatency = Duration::Milliseconds(120);

TEST(AdaptiveConfigForTest, NulloptForEveryOtherMode) {
  EXPECT_FALSE(session::AdaptiveConfigFor(FecConfig{}, true, kLatency).has_value());
  EXPECT_FALSE(
      session::AdaptiveConfigFor(Rs(FecMode::kReedSolomon, 20, 10, 8), true, kLatency).has_value());
  EXPECT_FALSE(session::AdaptiveConfigFor(Rs(FecMode::kReedSolomon, 20, 10, 8), false, kLatency)
                   .has_value());
  FecConfig xor_2d;
  xor_2d.mode = FecMode::kXorRowColumn;
  xor_2d.l = 10;
  xor_2d.d = 10;
  EXPECT_FALSE(session::AdaptiveConfigFor(xor_2d, true, kLatency).has_value());
}

TEST(AdaptiveConfigForTest, CapsComeFromTheNegotiatedConfig) {
  for (const bool arq : {true, false}) {
    const std::optional<AdaptiveFecConfig> c =
        session::AdaptiveConfigFor(Adaptive(30, 6, 4), arq, kLatency);
    ASSERT_TRUE(c.has_value()) << arq;
    EXPECT_EQ(c->k, 30);
    EXPECT_EQ(c->max_repairs, 6);
    EXPECT_EQ(c->max_interleave, 4);
    EXPECT_TRUE(ValidateAdaptiveFecConfig(*c).ok());
  }
  // The encoder is built at the caps.
  const std::optional<FecEncoderConfig> e = session::EncoderConfigFor(Adaptive(30, 6, 4));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->mode, FecCodec::kReedSolomon);
  EXPECT_EQ(e->k, 30);
  EXPECT_EQ(e->m, 6);
  EXPECT_EQ(e->interleave, 4);
}

TEST(AdaptiveConfigForTest, WithoutArqAtLeastOneRepairPerBlock) {
  const auto with_arq = session::AdaptiveConfigFor(Adaptive(20, 10, 8), /*arq=*/true, kLatency);
  const auto without = session::AdaptiveConfigFor(Adaptive(20, 10, 8), /*arq=*/false, kLatency);
  ASSERT_TRUE(with_arq.has_value());
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(with_arq->min_repairs, 0);
  EXPECT_EQ(without->min_repairs, 1);
  // What the application may see after all repair.
  EXPECT_DOUBLE_EQ(without->target_residual, 1e-5);
}

TEST(AdaptiveConfigForTest, BlocksFillWithinAQuarterOfTheLatency) {
  EXPECT_EQ(session::FecBlockDelayFor(Duration::Milliseconds(120)), Duration::Milliseconds(30));
  EXPECT_EQ(session::FecBlockDelayFor(Duration::Milliseconds(8)), Duration::Milliseconds(5));
  EXPECT_EQ(session::FecBlockDelayFor(Duration::Zero()), Duration::Milliseconds(5));
  EXPECT_EQ(session::FecBlockDelayFor(Duration::Milliseconds(400)), Duration::Milliseconds(100));
  EXPECT_EQ(session::FecBlockDelayFor(Duration::Seconds(2)), Duration::Milliseconds(100));
  for (const int64_t ms : {8, 120, 2000}) {
    const auto c =
        session::AdaptiveConfigFor(Adaptive(20, 10, 8), true, Duration::Milliseconds(ms));
    ASSERT_TRUE(c.has_value()) << ms;
    EXPECT_EQ(c->max_block_delay, session::FecBlockDelayFor(Duration::Milliseconds(ms))) << ms;
  }
}

TEST(AdaptiveConfigForTest, ParsedOptionsMapToAPolicy) {
  const std::optional<AdaptiveFecConfig> c =
      session::AdaptiveConfigFor(ParseOk("adaptive,k=1"), false, kLatency);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->k, 1);
  EXPECT_EQ(c->max_repairs, 1);
  EXPECT_EQ(c->min_repairs, 1);
  EXPECT_EQ(c->max_interleave, 8);
}

TEST(AdaptiveConfigForTest, ConfigsThePolicyRefusesGiveNullopt) {
  // Wire-valid but beyond the codec's block span (k x interleave > 1024).
  EXPECT_FALSE(session::AdaptiveConfigFor(Adaptive(200, 10, 6), true, kLatency).has_value());
  // m above k.
  EXPECT_FALSE(session::AdaptiveConfigFor(Adaptive(4, 5, 1), true, kLatency).has_value());
}

}  // namespace
}  // namespace hitless::apps
