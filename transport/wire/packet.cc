// Type dispatch for parsing and serializing any packet.
#include "transport/wire/packet.h"

#include <type_traits>
#include <utility>

#include "transport/base/status_macros.h"
#include "transport/wire/wire_error.h"

namespace hitless {

static_assert(std::is_same_v<std::variant_alternative_t<0, PacketBody>, DataBody>);
static_assert(std::is_same_v<std::variant_alternative_t<4, PacketBody>, HandshakeBody>);
static_assert(std::is_same_v<std::variant_alternative_t<6, PacketBody>, ShutdownBody>);
static_assert(std::variant_size_v<PacketBody> == static_cast<size_t>(PacketType::kShutdown));

PacketType TypeOf(const PacketBody& body) {
  // The variant alternatives are in PacketType order, starting at kData = 1.
  return static_cast<PacketType>(body.index() + 1);
}

absl::StatusOr<PacketBody> ParseBody(const Header& header, std::span<const uint8_t> body) {
  switch (header.type) {
    case PacketType::kData:
      return ParseData(body);
    case PacketType::kFecRepair:
      return ParseFecRepair(body);
    case PacketType::kNack:
      return ParseNack(body);
    case PacketType::kReport:
      return ParseReport(body);
    case PacketType::kHandshake:
      return ParseHandshake(header, body);
    case PacketType::kKeepalive:
      return ParseKeepalive(body);
    case PacketType::kShutdown:
      return ParseShutdown(body);
  }
  return WireError(DropReason::kUnknownType);
}

absl::StatusOr<Packet> ParsePacket(std::span<const uint8_t> datagram) {
  ASSIGN_OR_RETURN(const PacketView view, ParseHeader(datagram));
  if (view.header.encrypted) return WireError(DropReason::kAuthFailed);
  ASSIGN_OR_RETURN(PacketBody body, ParseBody(view.header, view.body));
  return Packet{view.header, std::move(body)};
}

size_t Serialize(const Header& header, const PacketBody& body, std::span<uint8_t> out) {
  return std::visit([&](const auto& b) { return Serialize(header, b, out); }, body);
}

}  // namespace hitless
