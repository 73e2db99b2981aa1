// HANDSHAKE: every phase, anti-amplification padding, stream id limits and
// UTF-8, FEC configs, reject reasons and the session-id-0 rule.
#include "transport/wire/handshake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/wire/wire_test_util.h"

namespace hitless {
namespace {

using wire_test::Drops;
using wire_test::MakeHeader;
using wire_test::SampleHandshake;
using wire_test::ToBytes;

absl::StatusOr<HandshakeBody> Reparse(const std::vector<uint8_t>& bytes) {
  auto view = ParseHeader(bytes);
  if (!view.ok()) return view.status();
  return ParseHandshake(view->header, view->body);
}

uint32_t SessionFor(HandshakePhase phase) {
  return phase == HandshakePhase::kConclusionRequest || phase == HandshakePhase::kConclusionResponse
             ? 0x01020304
             : 0;
}

TEST(HandshakeTest, RoundTripsEveryPhase) {
  for (int p = 1; p <= 5; ++p) {
    const auto phase = static_cast<HandshakePhase>(p);
    const HandshakeBody body = SampleHandshake(phase);
    const auto bytes = ToBytes(MakeHeader(PacketType::kHandshake, SessionFor(phase)), body);
    auto parsed = Reparse(bytes);
    ASSERT_TRUE(parsed.ok()) << p << " " << DropReasonName(DropReasonOf(parsed.status()));
    EXPECT_EQ(*parsed, body) << p;
  }
}

TEST(HandshakeTest, StreamProofExtensionRoundTripsAndIsChecked) {
  HandshakeBody body = SampleHandshake(HandshakePhase::kConclusionRequest);
  body.stream_proof.emplace();
  for (size_t i = 0; i < kStreamProofSize; ++i)
    (*body.stream_proof)[i] = static_cast<uint8_t>(i + 1);
  const Header header = MakeHeader(PacketType::kHandshake, 0x01020304);
  auto bytes = ToBytes(header, body);
  auto parsed = Reparse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, body);
  body.stream_proof.reset();
  EXPECT_EQ(bytes.size(), ToBytes(header, body).size() + kStreamProofExtensionSize);

  // The extension sits right after the stream id: find its type byte.
  const size_t at = bytes.size() - body.padding - kStreamProofExtensionSize;
  ASSERT_EQ(bytes[at], kExtensionStreamProof);
  auto bad_length = bytes;
  bad_length[at + 1] = 15;
  EXPECT_TRUE(Drops(Reparse(bad_length), DropReason::kBadField));
  // Cut inside the proof: too short to be the extension, so it is padding
  // and the request carries no proof (a relay then refuses it unauthorized).
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(at + 2 + 8));
  auto cut_parsed = Reparse(cut);
  ASSERT_TRUE(cut_parsed.ok());
  EXPECT_FALSE(cut_parsed->stream_proof.has_value());
}

TEST(HandshakeTest, FixedFieldOffsets) {
  HandshakeBody b = SampleHandshake(HandshakePhase::kConclusionRequest);
  b.capabilities = 0x1234;
  b.latency_ms = 0x0000EA60;
  b.fec = FecConfig{FecMode::kReedSolomon, 0x00FA, 3, 0, 0, 4};
  b.stream_id = "ab";
  b.echo_timestamp_us = 0x01020304;
  b.echo_delay_us = 0x0A0B0C0D;
  const auto bytes = ToBytes(MakeHeader(PacketType::kHandshake), b);
  ASSERT_EQ(bytes.size(), kHeaderSize + kHandshakeFixedSize + 2);
  const uint8_t* body = bytes.data() + kHeaderSize;
  EXPECT_EQ(body[0], 3);  // phase
  EXPECT_EQ(body[1], 1);  // min version
  EXPECT_EQ(body[2], 1);  // max version
  EXPECT_EQ(body[3], 0x12);
  EXPECT_EQ(body[4], 0x34);
  EXPECT_EQ(body[5], 0xA0);   // cookie[0]
  EXPECT_EQ(body[20], 0xAF);  // cookie[15]
  EXPECT_EQ(body[21], 0x01);  // initiator session id
  EXPECT_EQ(body[24], 0x04);
  EXPECT_EQ(body[27], 0xEA);  // latency 60000 = 0xEA60
  EXPECT_EQ(body[28], 0x60);
  EXPECT_EQ(body[29], 3);  // fec mode
  EXPECT_EQ(body[30], 0x00);
  EXPECT_EQ(body[31], 0xFA);  // k
  EXPECT_EQ(body[32], 3);     // m
  EXPECT_EQ(body[35], 4);     // interleave
  EXPECT_EQ(body[36], 2);     // path count
  EXPECT_EQ(body[37], 0);     // reject reason
  EXPECT_EQ(body[38], 0x01);  // echo timestamp
  EXPECT_EQ(body[41], 0x04);
  EXPECT_EQ(body[42], 0x0A);  // echo delay
  EXPECT_EQ(body[45], 0x0D);
  EXPECT_EQ(body[46], 0);
  EXPECT_EQ(body[47], 2);  // stream id length
  EXPECT_EQ(body[48], 'a');
}

TEST(HandshakeTest, InductionRequestIsPaddedAndResponseIsSmaller) {
  HandshakeBody req = SampleHandshake(HandshakePhase::kInductionRequest);
  req.padding = 0;  // the serializer pads anyway
  const auto request = ToBytes(MakeHeader(PacketType::kHandshake, 0), req);
  EXPECT_EQ(request.size(), kMinInductionDatagramSize);
  for (size_t i = kHeaderSize + kHandshakeFixedSize + req.stream_id.size(); i < request.size();
       ++i) {
    ASSERT_EQ(request[i], 0) << i;
  }
  HandshakeBody resp = SampleHandshake(HandshakePhase::kInductionResponse);
  resp.stream_id = std::string(kMaxStreamIdSize, 'x');
  const auto response = ToBytes(MakeHeader(PacketType::kHandshake, 0), resp);
  EXPECT_LT(response.size(), request.size());

  // An unpadded INDUCTION request, forged by hand, is dropped.
  std::vector<uint8_t> forged(request.begin(), request.end() - 1);
  EXPECT_TRUE(Drops(Reparse(forged), DropReason::kBadField));
}

TEST(HandshakeTest, PaddingContentIsIgnored) {
  HandshakeBody b = SampleHandshake(HandshakePhase::kConclusionRequest);
  b.padding = 100;
  auto bytes = ToBytes(MakeHeader(PacketType::kHandshake), b);
  bytes.back() = 0x7F;
  auto parsed = Reparse(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, b);
}

TEST(HandshakeTest, MaxStreamIdRoundTripsAndLongerIsRefused) {
  HandshakeBody b = SampleHandshake(HandshakePhase::kConclusionRequest);
  b.stream_id = std::string(kMaxStreamIdSize - 2, 's') + "\xC3\xA9";  // ends in 'é'
  const auto bytes = ToBytes(MakeHeader(PacketType::kHandshake), b);
  auto parsed = Reparse(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->stream_id, b.stream_id);

  b.stream_id.push_back('s');
  std::vector<uint8_t> out(kMaxDatagramSize);
  EXPECT_EQ(Serialize(MakeHeader(PacketType::kHandshake), b, out), 0u);
}

TEST(HandshakeTest, HugeStreamIdLengthIsRefusedBeforeReading) {
  const auto good = ToBytes(MakeHeader(PacketType::kHandshake),
                            SampleHandshake(HandshakePhase::kConclusionRequest));
  std::vector<uint8_t> body(good.begin() + kHeaderSize, good.end());
  for (uint16_t len : {uint16_t{513}, uint16_t{60000}, uint16_t{65535}}) {
    body[46] = static_cast<uint8_t>(len >> 8);
    body[47] = static_cast<uint8_t>(len);
    EXPECT_TRUE(
        Drops(ParseHandshake(MakeHeader(PacketType::kHandshake), body), DropReason::kBadField))
        << len;
  }
  body[46] = 0x01;  // 256: within the limit but past the end
  body[47] = 0x00;
  EXPECT_TRUE(
      Drops(ParseHandshake(MakeHeader(PacketType::kHandshake), body), DropReason::kTruncated));
}

TEST(HandshakeTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain/ascii-1"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));       // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8E\xA5"));   // U+1F3A5
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));  // cut short
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));  // bad continuation
  EXPECT_FALSE(IsValidUtf8("\xFF"));

  HandshakeBody b = SampleHandshake(HandshakePhase::kConclusionRequest);
  b.stream_id = "ok";
  auto bytes = ToBytes(MakeHeader(PacketType::kHandshake), b);
  bytes[kHeaderSize + kHandshakeFixedSize] = 0xC3;  // "\xC3k"
  EXPECT_TRUE(Drops(Reparse(bytes), DropReason::kBadField));
}

TEST(HandshakeTest, FieldRules) {
  std::vector<uint8_t> out(kMaxDatagramSize);
  const Header h = MakeHeader(PacketType::kHandshake);
  auto refused = [&](const HandshakeBody& b) { return Serialize(h, b, out) == 0; };
  const HandshakeBody good = SampleHandshake(HandshakePhase::kConclusionRequest);
  ASSERT_FALSE(refused(good));

  HandshakeBody b = good;
  b.phase = static_cast<HandshakePhase>(0);
  EXPECT_TRUE(refused(b));
  b.phase = static_cast<HandshakePhase>(6);
  EXPECT_TRUE(refused(b));
  b = good;
  b.min_version = 0;
  EXPECT_TRUE(refused(b));
  b = good;
  b.min_version = 2;  // > max
  EXPECT_TRUE(refused(b));
  b = good;
  b.initiator_session_id = 0;
  EXPECT_TRUE(refused(b));
  b = good;
  b.latency_ms = kMaxLatencyMs;
  EXPECT_FALSE(refused(b));
  b.latency_ms = kMaxLatencyMs + 1;
  EXPECT_TRUE(refused(b));
  b = good;
  b.path_count = kMaxPaths + 1;
  EXPECT_TRUE(refused(b));
  b = good;
  b.reject_reason = kRejectBusy;  // only in kReject
  EXPECT_TRUE(refused(b));
  b.phase = HandshakePhase::kReject;
  EXPECT_FALSE(refused(b));
  b.reject_reason = 0;  // kReject needs a reason
  EXPECT_TRUE(refused(b));
  b.reject_reason = 200;  // unknown reasons are fine
  EXPECT_FALSE(refused(b));

  // Session id 0 belongs to induction (and rejects of it) only.
  const Header zero = MakeHeader(PacketType::kHandshake, 0);
  for (auto phase : {HandshakePhase::kConclusionRequest, HandshakePhase::kConclusionResponse}) {
    EXPECT_EQ(Serialize(zero, SampleHandshake(phase), out), 0u);
    const auto bytes = ToBytes(h, SampleHandshake(phase));
    EXPECT_TRUE(
        Drops(ParseHandshake(zero, std::span(bytes).subspan(kHeaderSize)), DropReason::kBadField));
  }
}

TEST(HandshakeTest, FecConfigRules) {
  std::vector<uint8_t> out(kMaxDatagramSize);
  const Header h = MakeHeader(PacketType::kHandshake);
  auto accepted = [&](FecConfig fec) {
    HandshakeBody b = SampleHandshake(HandshakePhase::kConclusionResponse);
    b.fec = fec;
    return Serialize(h, b, out) != 0;
  };
  EXPECT_TRUE(accepted({FecMode::kNone, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(accepted({FecMode::kNone, 0, 0, 5, 0, 0}));
  EXPECT_TRUE(accepted({FecMode::kXorRow, 0, 0, 10, 0, 0}));
  EXPECT_FALSE(accepted({FecMode::kXorRow, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(accepted({FecMode::kXorRow, 0, 0, 10, 5, 0}));
  EXPECT_TRUE(accepted({FecMode::kXorColumn, 0, 0, 10, 5, 0}));
  EXPECT_FALSE(accepted({FecMode::kXorColumn, 0, 0, 10, 0, 0}));
  EXPECT_TRUE(accepted({FecMode::kXorRowColumn, 0, 0, 20, 20, 0}));
  EXPECT_FALSE(accepted({FecMode::kXorRowColumn, 5, 0, 20, 20, 0}));
  EXPECT_TRUE(accepted({FecMode::kReedSolomon, 200, 55, 0, 0, 1}));
  EXPECT_FALSE(accepted({FecMode::kReedSolomon, 200, 56, 0, 0, 1}));
  EXPECT_FALSE(accepted({FecMode::kReedSolomon, 20, 5, 0, 0, 0}));
  EXPECT_FALSE(accepted({FecMode::kReedSolomon, 0, 5, 0, 0, 1}));
  EXPECT_FALSE(accepted({static_cast<FecMode>(6), 20, 4, 0, 0, 1}));  // unknown mode

  // The same rule holds when parsing forged bytes.
  const auto good = ToBytes(h, SampleHandshake(HandshakePhase::kConclusionResponse));
  std::vector<uint8_t> body(good.begin() + kHeaderSize, good.end());
  body[29] = 9;  // unknown FEC mode
  EXPECT_TRUE(Drops(ParseHandshake(h, body), DropReason::kBadField));
}

TEST(HandshakeTest, AdaptiveReedSolomonFollowsTheReedSolomonRules) {
  struct Case {
    FecConfig fec;  // mode is overwritten
    bool valid;
  };
  const Case cases[] = {
      {{FecMode::kNone, 20, 10, 0, 0, 8}, true},    // the fec=adaptive defaults
      {{FecMode::kNone, 1, 1, 0, 0, 1}, true},      // smallest
      {{FecMode::kNone, 200, 55, 0, 0, 1}, true},   // k + m = 255
      {{FecMode::kNone, 200, 56, 0, 0, 1}, false},  // k + m > 255
      {{FecMode::kNone, 20, 10, 0, 0, 255}, true},  // the wire does not bound k x i
      {{FecMode::kNone, 0, 10, 0, 0, 8}, false},    // k = 0
      {{FecMode::kNone, 20, 0, 0, 0, 8}, false},    // m = 0
      {{FecMode::kNone, 20, 10, 0, 0, 0}, false},   // interleave = 0
      {{FecMode::kNone, 20, 10, 1, 0, 8}, false},   // l is XOR only
      {{FecMode::kNone, 20, 10, 0, 1, 8}, false},   // d is XOR only
      {{FecMode::kNone, 0, 0, 10, 10, 0}, false},   // an XOR shape
  };
  for (const Case& c : cases) {
    FecConfig rs = c.fec;
    rs.mode = FecMode::kReedSolomon;
    FecConfig adaptive = c.fec;
    adaptive.mode = FecMode::kReedSolomonAdaptive;
    FecConfig unknown = c.fec;
    unknown.mode = static_cast<FecMode>(6);
    EXPECT_EQ(ValidFecConfig(rs), c.valid) << int{c.fec.k} << "/" << int{c.fec.m};
    EXPECT_EQ(ValidFecConfig(adaptive), c.valid) << int{c.fec.k} << "/" << int{c.fec.m};
    EXPECT_FALSE(ValidFecConfig(unknown));
  }
  EXPECT_EQ(static_cast<int>(FecMode::kReedSolomonAdaptive), 5);
}

TEST(HandshakeTest, AdaptiveReedSolomonRoundTripsAndModeSixIsRefused) {
  const Header h = MakeHeader(PacketType::kHandshake);
  for (auto phase : {HandshakePhase::kConclusionRequest, HandshakePhase::kConclusionResponse}) {
    HandshakeBody b = SampleHandshake(phase);
    b.fec = FecConfig{FecMode::kReedSolomonAdaptive, 20, 10, 0, 0, 8};
    const auto bytes = ToBytes(h, b);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes[kHeaderSize + 29], 5);   // fec mode
    EXPECT_EQ(bytes[kHeaderSize + 31], 20);  // k
    EXPECT_EQ(bytes[kHeaderSize + 32], 10);  // m
    EXPECT_EQ(bytes[kHeaderSize + 35], 8);   // interleave
    auto parsed = Reparse(bytes);
    ASSERT_TRUE(parsed.ok()) << DropReasonName(DropReasonOf(parsed.status()));
    EXPECT_EQ(*parsed, b);
    EXPECT_EQ(parsed->fec.mode, FecMode::kReedSolomonAdaptive);

    // The same bytes with mode 6: refused, in both directions.
    std::vector<uint8_t> body(bytes.begin() + kHeaderSize, bytes.end());
    body[29] = 6;
    EXPECT_TRUE(Drops(ParseHandshake(h, body), DropReason::kBadField));
    std::vector<uint8_t> out(kMaxDatagramSize);
    b.fec.mode = static_cast<FecMode>(6);
    EXPECT_EQ(Serialize(h, b, out), 0u);
  }
  // An adaptive config breaking the RS rules does not parse either.
  const auto good = ToBytes(h, SampleHandshake(HandshakePhase::kConclusionResponse));
  std::vector<uint8_t> body(good.begin() + kHeaderSize, good.end());
  body[29] = 5;  // over SampleHandshake's XOR fields (l = 10, d = 5, k = 0)
  EXPECT_TRUE(Drops(ParseHandshake(h, body), DropReason::kBadField));
}

}  // namespace
}  // namespace hitless
