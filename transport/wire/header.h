// The common 16-byte packet header every Hitless datagram starts with, the
// datagram size limits, and the helpers the typed body serializers share.
// Layout and rules: docs/wire-format.md ("Common header").
//
// ParseHeader() splits a datagram into header, body and (when ENCRYPTED) the
// trailing AEAD tag; a typed parser (ParseData, ParseNack, ...) then reads the
// plaintext body. Nothing here unwraps sequence numbers or timestamps: they
// stay 32-bit serial numbers (transport/base/serial.h) until a session widens
// them. Stateless; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "transport/base/byte_io.h"

namespace hitless {

inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kHeaderSize = 16;
// Largest UDP payload Hitless ever sends or accepts.
inline constexpr size_t kMaxDatagramSize = 1500;
inline constexpr size_t kAeadTagSize = 16;
// Largest plaintext body of any type. The tag room is reserved even when a
// packet is not encrypted, so a packet's size never depends on encryption.
inline constexpr size_t kMaxBodySize = kMaxDatagramSize - kHeaderSize - kAeadTagSize;
// Most paths a session may use (REPORT per-path entries, HANDSHAKE path count).
inline constexpr size_t kMaxPaths = 8;

enum class PacketType : uint8_t {
  kData = 1,
  kFecRepair = 2,
  kNack = 3,
  kReport = 4,
  kHandshake = 5,
  kKeepalive = 6,
  kShutdown = 7,
};

// Header flag bits (offset 2). Bits 5-7 are reserved: zero on send, ignored
// on receive.
inline constexpr uint8_t kFlagRetransmission = 0x01;
inline constexpr uint8_t kFlagEncrypted = 0x02;
inline constexpr uint8_t kFlagKeyEpochMask = 0x0C;
inline constexpr int kFlagKeyEpochShift = 2;
inline constexpr uint8_t kFlagPathProbe = 0x10;
inline constexpr uint8_t kFlagReservedMask = 0xE0;
inline constexpr uint8_t kMaxKeyEpoch = 3;

struct Header {
  PacketType type = PacketType::kData;
  bool retransmission = false;  // DATA resent by ARQ
  bool encrypted = false;       // body is AEAD ciphertext, tag trails datagram
  uint8_t key_epoch = 0;        // 0..3; always 0 when !encrypted
  bool path_probe = false;      // sent to probe a path's health
  uint8_t path_id = 0;
  uint32_t session_id = 0;    // 0 only on HANDSHAKE induction/reject
  uint32_t sequence = 0;      // DATA/FEC_REPAIR sequence, else control counter
  uint32_t timestamp_us = 0;  // sender clock, microseconds, wraps at 2^32

  friend bool operator==(const Header&, const Header&) = default;
};

// A datagram split into its parts. All spans point into the parsed datagram.
struct PacketView {
  Header header;
  // The 16 header bytes exactly as received: the AEAD associated data.
  std::span<const uint8_t> header_bytes;
  // Between header and tag: plaintext, or ciphertext when header.encrypted.
  std::span<const uint8_t> body;
  // The trailing 16 bytes when header.encrypted, else empty.
  std::span<const uint8_t> aead_tag;
};

// Parses the common header of one UDP payload.
// Errors (DropReason via DropReasonOf): kOversized if longer than
// kMaxDatagramSize; kTruncated if shorter than the header, or ENCRYPTED without
// room for the tag; kBadVersion if version != kWireVersion; kUnknownType for a
// type outside 1..7; kBadField for session id 0 on a non-HANDSHAKE packet.
// Reserved flag bits are ignored. The body is not inspected (may be empty).
absl::StatusOr<PacketView> ParseHeader(std::span<const uint8_t> datagram);

// --- Shared by the typed serializers -------------------------------------

// Writes the 16-byte header with `type` (header.type is ignored). Returns
// false, writing nothing, if the header is invalid: key_epoch > 3, key_epoch
// != 0 without encryption, or session id 0 on a non-HANDSHAKE type.
[[nodiscard]] bool WriteHeader(ByteWriter& writer, const Header& header, PacketType type);

// Completes a packet whose header and body were written to `writer`: when
// header.encrypted, appends a zeroed kAeadTagSize slot for the crypto layer to
// seal into. Returns the datagram size, or 0 if anything did not fit in the
// writer or the body exceeds kMaxBodySize.
size_t FinishPacket(ByteWriter& writer, const Header& header);

// The output span clipped to kMaxDatagramSize, for ByteWriter.
inline std::span<uint8_t> ClipToDatagram(std::span<uint8_t> out) {
  return out.size() > kMaxDatagramSize ? out.first(kMaxDatagramSize) : out;
}

}  // namespace hitless
