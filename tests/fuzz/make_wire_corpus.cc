// Writes the seed corpus for wire_fuzz: one valid datagram per packet type
// (plus encrypted, retransmitted and maximal variants), one file each.
// Usage: make_wire_corpus <output-dir> (created if missing)
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "transport/wire/packet.h"

namespace {

using namespace hitless;

Header MakeHeader(uint32_t session_id = 0x01020304) {
  Header h;
  h.path_id = 1;
  h.session_id = session_id;
  h.sequence = 0xFFFFFFF0;
  h.timestamp_us = 123456789;
  return h;
}

HandshakeBody Handshake(HandshakePhase phase) {
  HandshakeBody b;
  b.phase = phase;
  b.capabilities = kCapArq | kCapFec | kCapMultipath | kCapPublish;
  b.cookie.fill(0x5C);
  b.initiator_session_id = 0x01020304;
  b.latency_ms = 800;
  b.fec = FecConfig{FecMode::kXorRowColumn, 0, 0, 10, 5, 0};
  b.path_count = 2;
  b.stream_id = "live/stream-\xC3\xA9";
  if (phase == HandshakePhase::kReject) b.reject_reason = kRejectUnauthorized;
  return b;
}

bool Write(const std::string& dir, const std::string& name, const Header& h,
           const PacketBody& body) {
  uint8_t buf[kMaxDatagramSize];
  const size_t n = Serialize(h, body, buf);
  if (n == 0) {
    std::fprintf(stderr, "%s: did not serialize\n", name.c_str());
    return false;
  }
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(buf, 1, n, f) != n || std::fclose(f) != 0) {
    std::perror(path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output-dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  std::vector<uint8_t> payload(1316);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i % 188 ? i : 0x47);
  const std::vector<uint8_t> small(40, 0x47);

  bool ok = true;
  ok &= Write(dir, "data", MakeHeader(), DataBody{payload});
  Header retx = MakeHeader();
  retx.retransmission = true;
  retx.encrypted = true;
  retx.key_epoch = 2;
  ok &= Write(dir, "data_retx_encrypted", retx, DataBody{small});
  ok &= Write(dir, "fec_row", MakeHeader(),
              FecRepairBody{FecScheme::kXorRow, 0, 10, 1, 0, 100, 1316, 0x55, small});
  ok &= Write(dir, "fec_column", MakeHeader(),
              FecRepairBody{FecScheme::kXorColumn, 0, 5, 1, 10, 100, 1316, 0x55, small});
  ok &= Write(dir, "fec_rs", MakeHeader(),
              FecRepairBody{FecScheme::kReedSolomon, 2, 20, 4, 0, 0xFFFFFFFE, 1316, 0x55, small});
  ok &= Write(dir, "nack", MakeHeader(), NackBody{{{10, 1}, {0xFFFFFFFF, 3}, {40, 200}}});
  ReportBody report{1000, 990, 12, 9, 3, 2500, 480, 123456000, 350, 4, 1316000, 2, {}};
  report.paths = {{0, PathState::kActive, 15, 20000, 800, 3},
                  {1, PathState::kStandby, 0, 45000, 1500, 120}};
  ok &= Write(dir, "report", MakeHeader(), report);
  ok &= Write(dir, "handshake_induction_request", MakeHeader(0),
              Handshake(HandshakePhase::kInductionRequest));
  ok &= Write(dir, "handshake_induction_response", MakeHeader(0),
              Handshake(HandshakePhase::kInductionResponse));
  ok &= Write(dir, "handshake_conclusion_request", MakeHeader(),
              Handshake(HandshakePhase::kConclusionRequest));
  ok &= Write(dir, "handshake_reject", MakeHeader(0), Handshake(HandshakePhase::kReject));
  Header probe = MakeHeader();
  probe.path_probe = true;
  ok &= Write(dir, "keepalive_probe", probe, KeepaliveBody{7, 123450000, 900});
  ok &= Write(dir, "shutdown", MakeHeader(), ShutdownBody{kShutdownNormal});
  return ok ? 0 : 1;
}
