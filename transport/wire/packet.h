// One entry point over all packet types: parse a whole datagram into header +
// typed body, or serialize either. For code that dispatches on type (the
// session driver, the fuzz target, dissection tools); hot paths that already
// know the type may call the typed functions directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "absl/status/statusor.h"
#include "transport/wire/control.h"
#include "transport/wire/data.h"
#include "transport/wire/fec_repair.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"
#include "transport/wire/nack.h"
#include "transport/wire/report.h"

namespace hitless {

using PacketBody = std::variant<DataBody, FecRepairBody, NackBody, ReportBody, HandshakeBody,
                                KeepaliveBody, ShutdownBody>;

struct Packet {
  Header header;
  PacketBody body;

  friend bool operator==(const Packet&, const Packet&) = default;
};

// The packet type a body variant serializes as.
PacketType TypeOf(const PacketBody& body);

// Parses a plaintext body with the parser for header.type. Errors: those of
// the typed parser. DATA and FEC_REPAIR payload spans point into `body`.
absl::StatusOr<PacketBody> ParseBody(const Header& header, std::span<const uint8_t> body);

// Parses a whole unencrypted datagram (ParseHeader, then ParseBody). Errors:
// those of ParseHeader and the typed parser; kAuthFailed if the ENCRYPTED flag
// is set, since the body must be decrypted first (use ParseHeader + ParseBody).
absl::StatusOr<Packet> ParsePacket(std::span<const uint8_t> datagram);

// Serializes with the typed Serialize for the body's alternative (header.type
// is ignored). Returns the datagram size or 0 as the typed function does.
size_t Serialize(const Header& header, const PacketBody& body, std::span<uint8_t> out);

}  // namespace hitless
