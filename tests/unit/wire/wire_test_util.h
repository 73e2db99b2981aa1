// Helpers shared by the wire tests: a valid sample packet of every type (and
// encrypted variants), serialization into a vector, and drop-reason matchers.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/wire/packet.h"
#include "transport/wire/wire_error.h"

namespace hitless::wire_test {

inline Header MakeHeader(PacketType type, uint32_t session_id = 0x01020304) {
  Header h;
  h.type = type;
  h.path_id = 2;
  h.session_id = session_id;
  h.sequence = 0xFFFFFFF0;
  h.timestamp_us = 0x89ABCDEF;
  return h;
}

// Serializes `body`; fails the test (and returns empty) if it does not fit.
template <typename Body>
std::vector<uint8_t> ToBytes(const Header& header, const Body& body) {
  std::vector<uint8_t> out(kMaxDatagramSize + 64);
  const size_t n = Serialize(header, body, std::span<uint8_t>(out));
  EXPECT_NE(n, 0u) << "serialize failed";
  out.resize(n);
  return out;
}

// Succeeds if `result` failed with drop reason `want`.
template <typename T>
::testing::AssertionResult Drops(const absl::StatusOr<T>& result, DropReason want) {
  if (result.ok()) {
    return ::testing::AssertionFailure() << "parsed, expected drop " << DropReasonName(want);
  }
  const DropReason got = DropReasonOf(result.status());
  if (got != want) {
    return ::testing::AssertionFailure()
           << "dropped as " << DropReasonName(got) << ", expected " << DropReasonName(want);
  }
  return ::testing::AssertionSuccess();
}

inline const std::vector<uint8_t>& Payload1316() {
  static const std::vector<uint8_t> p = [] {
    std::vector<uint8_t> v(1316);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 7 + 1);
    return v;
  }();
  return p;
}

inline HandshakeBody SampleHandshake(HandshakePhase phase) {
  HandshakeBody b;
  b.phase = phase;
  b.min_version = 1;
  b.max_version = 1;
  b.capabilities = kCapArq | kCapFec | kCapPublish;
  for (size_t i = 0; i < b.cookie.size(); ++i) b.cookie[i] = static_cast<uint8_t>(0xA0 + i);
  b.initiator_session_id = 0x01020304;
  b.latency_ms = 500;
  b.fec = FecConfig{FecMode::kXorRowColumn, 0, 0, 10, 5, 0};
  b.path_count = 2;
  b.stream_id = "live/camera-1";
  if (phase == HandshakePhase::kReject) b.reject_reason = kRejectUnknownStream;
  if (phase == HandshakePhase::kInductionRequest) {
    b.padding =
        static_cast<uint16_t>(kMinInductionBodySize - kHandshakeFixedSize - b.stream_id.size());
  }
  return b;
}

struct Sample {
  std::string name;
  Packet packet;
  std::vector<uint8_t> bytes;
  // Shortest prefix that can still parse: proper prefixes of self-delimiting
  // packets never parse, but a DATA or FEC_REPAIR payload may be shortened.
  size_t min_parse_size = 0;
};

// One valid packet per type plus encrypted, retransmitted and maximal ones.
inline std::vector<Sample> Samples() {
  std::vector<Sample> samples;
  auto add = [&](std::string name, const Header& h, PacketBody body, size_t min_body = 0) {
    Sample s{std::move(name), Packet{h, std::move(body)}, {}, 0};
    s.bytes = ToBytes(h, s.packet.body);
    s.packet.header.type = TypeOf(s.packet.body);
    s.min_parse_size =
        min_body == 0 ? s.bytes.size() : kHeaderSize + (h.encrypted ? kAeadTagSize : 0) + min_body;
    samples.push_back(std::move(s));
  };
  const auto& payload = Payload1316();

  add("data", MakeHeader(PacketType::kData), DataBody{payload}, 1);
  Header retx = MakeHeader(PacketType::kData);
  retx.retransmission = true;
  retx.encrypted = true;
  retx.key_epoch = 3;
  add("data_retx_encrypted", retx, DataBody{payload}, 1);

  FecRepairBody fec{FecScheme::kReedSolomon, 3, 20, 5, 0, 0xFFFFFFFE, 0x1234, 0xCAFEBABE, payload};
  add("fec_rs", MakeHeader(PacketType::kFecRepair), fec, kFecRepairFixedSize + 1);
  FecRepairBody col{FecScheme::kXorColumn, 0, 5, 1, 10, 100, 1316, 7, payload};
  add("fec_column", MakeHeader(PacketType::kFecRepair), col, kFecRepairFixedSize + 1);

  NackBody nack;
  nack.ranges = {{10, 1}, {20, 3}, {0xFFFFFFFF, 2}};
  add("nack", MakeHeader(PacketType::kNack), nack);
  Header enc_nack = MakeHeader(PacketType::kNack);
  enc_nack.encrypted = true;
  enc_nack.key_epoch = 1;
  add("nack_encrypted", enc_nack, nack);

  ReportBody report{1000, 990, 12, 9, 3, 2500, 480, 0x89ABCDEF, 350, 4, 1316000, 2, {}};
  report.paths = {{0, PathState::kActive, 15, 20000, 800, 3},
                  {1, PathState::kStandby, 0, 45000, 1500, 120}};
  add("report", MakeHeader(PacketType::kReport), report);
  add("report_no_paths", MakeHeader(PacketType::kReport),
      ReportBody{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, {}});

  add("handshake_induction_request", MakeHeader(PacketType::kHandshake, 0),
      SampleHandshake(HandshakePhase::kInductionRequest));
  add("handshake_induction_response", MakeHeader(PacketType::kHandshake, 0),
      SampleHandshake(HandshakePhase::kInductionResponse));
  add("handshake_conclusion_request", MakeHeader(PacketType::kHandshake),
      SampleHandshake(HandshakePhase::kConclusionRequest));
  add("handshake_conclusion_response", MakeHeader(PacketType::kHandshake),
      SampleHandshake(HandshakePhase::kConclusionResponse));
  add("handshake_reject", MakeHeader(PacketType::kHandshake),
      SampleHandshake(HandshakePhase::kReject));

  Header probe = MakeHeader(PacketType::kKeepalive);
  probe.path_probe = true;
  add("keepalive_probe", probe, KeepaliveBody{42, 0x89ABCDEF, 1234});
  add("shutdown", MakeHeader(PacketType::kShutdown), ShutdownBody{kShutdownTimeout});
  return samples;
}

// Parses `bytes` (encrypted or not: the "ciphertext" here is plaintext) into
// header + body; the generic round-trip check used by several tests.
inline absl::StatusOr<Packet> ParseAny(std::span<const uint8_t> bytes) {
  auto view = ParseHeader(bytes);
  if (!view.ok()) return view.status();
  auto body = ParseBody(view->header, view->body);
  if (!body.ok()) return body.status();
  return Packet{view->header, *std::move(body)};
}

}  // namespace hitless::wire_test
