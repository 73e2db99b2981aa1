// KEEPALIVE and SHUTDOWN body parsing and serialization.
#include "transport/wire/control.h"

#include "transport/wire/wire_error.h"

namespace hitless {

absl::StatusOr<KeepaliveBody> ParseKeepalive(std::span<const uint8_t> body) {
  if (body.size() < kKeepaliveSize) return WireError(DropReason::kTruncated);
  if (body.size() != kKeepaliveSize && body.size() != kRelayedKeepaliveSize) {
    return WireError(DropReason::kTrailingBytes);
  }
  ByteReader reader(body);
  KeepaliveBody k;
  // Cannot fail: the size was checked above.
  (void)(reader.ReadU32(k.probe_id) && reader.ReadU32(k.echo_timestamp_us) &&
         reader.ReadU32(k.echo_delay_us));
  if (body.size() == kRelayedKeepaliveSize) {
    k.relayed = true;
    (void)reader.ReadU32(k.upstream_transit_us);
  }
  return k;
}

absl::StatusOr<ShutdownBody> ParseShutdown(std::span<const uint8_t> body) {
  if (body.size() < kShutdownSize) return WireError(DropReason::kTruncated);
  if (body.size() > kShutdownSize) return WireError(DropReason::kTrailingBytes);
  return ShutdownBody{body[0]};
}

size_t Serialize(const Header& header, const KeepaliveBody& body, std::span<uint8_t> out) {
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kKeepalive)) return 0;
  writer.WriteU32(body.probe_id);
  writer.WriteU32(body.echo_timestamp_us);
  writer.WriteU32(body.echo_delay_us);
  if (body.relayed) writer.WriteU32(body.upstream_transit_us);
  return FinishPacket(writer, header);
}

size_t Serialize(const Header& header, const ShutdownBody& body, std::span<uint8_t> out) {
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kShutdown)) return 0;
  writer.WriteU8(body.reason);
  return FinishPacket(writer, header);
}

}  // namespace hitless
