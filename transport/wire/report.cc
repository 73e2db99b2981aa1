// REPORT body parsing, range checks and serialization.
#include "transport/wire/report.h"

#include "transport/wire/wire_error.h"

namespace hitless {
namespace {

bool ValidPaths(std::span<const PathReport> paths) {
  if (paths.size() > kMaxPaths) return false;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (static_cast<uint8_t>(paths[i].state) > kMaxPathState) return false;
    if (paths[i].loss_permille > kMaxLossPermille) return false;
    for (size_t j = 0; j < i; ++j) {
      if (paths[j].path_id == paths[i].path_id) return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<ReportBody> ParseReport(std::span<const uint8_t> body) {
  if (body.size() > kMaxBodySize) return WireError(DropReason::kOversized);
  ByteReader reader(body);
  ReportBody r;
  uint8_t path_count = 0;
  if (!(reader.ReadU32(r.highest_sequence) && reader.ReadU32(r.received) &&
        reader.ReadU32(r.lost) && reader.ReadU32(r.recovered) && reader.ReadU32(r.abandoned) &&
        reader.ReadU32(r.jitter_us) && reader.ReadU32(r.buffer_level_ms) &&
        reader.ReadU32(r.echo_timestamp_us) && reader.ReadU32(r.echo_delay_us) &&
        reader.ReadU32(r.loss_events) && reader.ReadU32(r.received_bytes) &&
        reader.ReadU32(r.late) && reader.ReadU8(path_count))) {
    return WireError(DropReason::kTruncated);
  }
  if (path_count > kMaxPaths) return WireError(DropReason::kBadField);
  const size_t need = size_t{path_count} * kReportPathSize;
  if (reader.remaining() < need) return WireError(DropReason::kTruncated);
  if (reader.remaining() > need) return WireError(DropReason::kTrailingBytes);

  r.paths.resize(path_count);
  for (PathReport& p : r.paths) {
    uint8_t state = 0;
    // Cannot fail: the remaining size was checked above.
    (void)(reader.ReadU8(p.path_id) && reader.ReadU8(state) && reader.ReadU16(p.loss_permille) &&
           reader.ReadU32(p.rtt_us) && reader.ReadU32(p.jitter_us) &&
           reader.ReadU32(p.last_heard_ms));
    if (state > kMaxPathState) return WireError(DropReason::kBadField);
    p.state = static_cast<PathState>(state);
  }
  if (!ValidPaths(r.paths)) return WireError(DropReason::kBadField);
  return r;
}

size_t Serialize(const Header& header, const ReportBody& body, std::span<uint8_t> out) {
  if (!ValidPaths(body.paths)) return 0;
  ByteWriter writer(ClipToDatagram(out));
  if (!WriteHeader(writer, header, PacketType::kReport)) return 0;
  writer.WriteU32(body.highest_sequence);
  writer.WriteU32(body.received);
  writer.WriteU32(body.lost);
  writer.WriteU32(body.recovered);
  writer.WriteU32(body.abandoned);
  writer.WriteU32(body.jitter_us);
  writer.WriteU32(body.buffer_level_ms);
  writer.WriteU32(body.echo_timestamp_us);
  writer.WriteU32(body.echo_delay_us);
  writer.WriteU32(body.loss_events);
  writer.WriteU32(body.received_bytes);
  writer.WriteU32(body.late);
  writer.WriteU8(static_cast<uint8_t>(body.paths.size()));
  for (const PathReport& p : body.paths) {
    writer.WriteU8(p.path_id);
    writer.WriteU8(static_cast<uint8_t>(p.state));
    writer.WriteU16(p.loss_permille);
    writer.WriteU32(p.rtt_us);
    writer.WriteU32(p.jitter_us);
    writer.WriteU32(p.last_heard_ms);
  }
  return FinishPacket(writer, header);
}

}  // namespace hitless
