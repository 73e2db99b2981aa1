// HANDSHAKE packets: the stateless-cookie session setup and its negotiation
// (versions, capabilities, latency, FEC, paths, stream id).
//
//   initiator                                 responder
//   INDUCTION request (session 0, padded) -->            no state kept
//             <-- INDUCTION response (session 0, cookie, no larger)
//   CONCLUSION request (session S, cookie) -->           cookie verified,
//             <-- CONCLUSION response (session S)         state created
//             <-- REJECT (any time, with a reason)
//
// The INDUCTION request is padded to kMinInductionDatagramSize so that no
// reply to an unverified source is larger than what it sent (no amplification).
// Layout, phases and rules: docs/wire-format.md ("HANDSHAKE").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "transport/wire/header.h"

namespace hitless {

enum class HandshakePhase : uint8_t {
  kInductionRequest = 1,
  kInductionResponse = 2,
  kConclusionRequest = 3,
  kConclusionResponse = 4,
  kReject = 5,
};

// FEC configuration offered (request) or chosen (response).
enum class FecMode : uint8_t {
  kNone = 0,
  kXorRow = 1,        // row parity over l consecutive packets
  kXorColumn = 2,     // column parity over an l x d matrix
  kReedSolomon = 3,   // k source + m repair, interleaved over `interleave` blocks
  kXorRowColumn = 4,  // both row and column parity (SMPTE 2022-1 2-D)
  // Reed-Solomon with k sources per block whose repair count (0..m) and
  // interleave depth (1..interleave) the sender adapts to the reported loss;
  // m and interleave are the caps.
  kReedSolomonAdaptive = 5,
};

// Capability bits. Unnamed bits are reserved: zero on send, ignored on receive.
inline constexpr uint16_t kCapArq = 1u << 0;
inline constexpr uint16_t kCapFec = 1u << 1;
inline constexpr uint16_t kCapMultipath = 1u << 2;
inline constexpr uint16_t kCapEncryption = 1u << 3;
inline constexpr uint16_t kCapPublish = 1u << 4;  // initiator sends the media

// The stream-proof extension after the stream id: type, length, proof.
inline constexpr uint8_t kExtensionStreamProof = 1;
inline constexpr size_t kStreamProofSize = 16;
inline constexpr size_t kStreamProofExtensionSize = 2 + kStreamProofSize;

// Reject reasons. Informational: any non-zero value is accepted on receive.
inline constexpr uint8_t kRejectVersion = 1;
inline constexpr uint8_t kRejectBadCookie = 2;
inline constexpr uint8_t kRejectUnknownStream = 3;
inline constexpr uint8_t kRejectUnauthorized = 4;
inline constexpr uint8_t kRejectBusy = 5;
inline constexpr uint8_t kRejectLatency = 6;
inline constexpr uint8_t kRejectFecUnsupported = 7;
inline constexpr uint8_t kRejectSessionCollision = 8;

inline constexpr size_t kHandshakeFixedSize = 48;
inline constexpr size_t kCookieSize = 16;
inline constexpr size_t kMaxStreamIdSize = 512;
inline constexpr uint32_t kMaxLatencyMs = 60'000;
inline constexpr size_t kMinInductionDatagramSize = 1200;
inline constexpr size_t kMinInductionBodySize = kMinInductionDatagramSize - kHeaderSize;

struct FecConfig {
  FecMode mode = FecMode::kNone;
  uint16_t k = 0;          // RS source count
  uint8_t m = 0;           // RS repair count
  uint8_t l = 0;           // XOR row length / number of columns
  uint8_t d = 0;           // XOR number of rows (column depth)
  uint8_t interleave = 0;  // RS blocks interleaved, >= 1 for RS

  friend bool operator==(const FecConfig&, const FecConfig&) = default;
};

// The FEC mode rules of docs/wire-format.md (fields a mode does not use are 0).
bool ValidFecConfig(const FecConfig& fec);

struct HandshakeBody {
  HandshakePhase phase = HandshakePhase::kInductionRequest;
  uint8_t min_version = kWireVersion;
  uint8_t max_version = kWireVersion;
  uint16_t capabilities = 0;
  std::array<uint8_t, kCookieSize> cookie{};  // zero in an INDUCTION request
  uint32_t initiator_session_id = 0;          // non-zero
  uint32_t latency_ms = 0;                    // 0..kMaxLatencyMs
  FecConfig fec;
  uint8_t path_count = 0;     // 0..kMaxPaths
  uint8_t reject_reason = 0;  // non-zero exactly in kReject
  // RTT echo: the header timestamp of the peer's handshake packet this one
  // answers and how long (µs) it was held before this one left; 0 / 0 when
  // it answers nothing. Lets each side measure the round trip during the
  // handshake, statelessly and exactly across retries (latency feasibility).
  uint32_t echo_timestamp_us = 0;
  uint32_t echo_delay_us = 0;
  std::string stream_id;  // UTF-8, <= kMaxStreamIdSize bytes
  // CONCLUSION request to a relay stream with a secret: HMAC proof that the
  // initiator holds the stream's publish or subscribe secret (the secret
  // itself never crosses the wire; docs/wire-format.md "Stream access").
  // Carried as an extension after the stream id.
  std::optional<std::array<uint8_t, kStreamProofSize>> stream_proof;
  // Zero bytes after the stream id. Parsed: how many bytes followed (their
  // content is ignored). Serialized: at least this many, more if needed to
  // reach kMinInductionBodySize in an INDUCTION request.
  uint16_t padding = 0;

  friend bool operator==(const HandshakeBody&, const HandshakeBody&) = default;
};

// True if `s` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Parses a plaintext HANDSHAKE body; `header` is the packet's parsed header
// (its session id is checked against the phase). Errors: kTruncated if the
// fixed fields or the stream id are cut short; kOversized if longer than
// kMaxBodySize; kBadField for an unknown phase, min_version 0 or > max_version,
// initiator session id 0, latency > kMaxLatencyMs, an FEC config its mode does
// not allow, path count > kMaxPaths, a reject reason present outside kReject
// (or missing in it), a stream id longer than kMaxStreamIdSize or not UTF-8,
// header session id 0 in a CONCLUSION phase, or an INDUCTION request body
// shorter than kMinInductionBodySize.
absl::StatusOr<HandshakeBody> ParseHandshake(const Header& header, std::span<const uint8_t> body);

// Writes a HANDSHAKE packet (header.type is ignored), padding an INDUCTION
// request up to kMinInductionDatagramSize. Returns the datagram size, or 0 if
// the body breaks a ParseHandshake rule, the header is invalid or it does not
// fit in `out`.
size_t Serialize(const Header& header, const HandshakeBody& body, std::span<uint8_t> out);

}  // namespace hitless
