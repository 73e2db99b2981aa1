// Encoder configuration checks and the encoder factory (see fec.h).
#include "fec/fec.h"

#include "absl/strings/str_cat.h"
#include "fec/rs_encoder.h"
#include "fec/xor_encoder.h"

namespace hitless {
namespace {

absl::Status OutOfRange(const char* field, int value, const char* rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("fec: ", field, "=", value, " out of range (", rule, ")"));
}

}  // namespace

absl::Status ValidateFecEncoderConfig(const FecEncoderConfig& c) {
  if (c.max_block_delay <= Duration::Zero()) {
    return absl::InvalidArgumentError("fec: max_block_delay must be positive");
  }
  switch (c.mode) {
    case FecCodec::kXorRow:
      if (c.columns < 1 || c.columns > kMaxXorColumns) return OutOfRange("L", c.columns, "1..255");
      return absl::OkStatus();
    case FecCodec::kXorColumn:
    case FecCodec::kXor2D:
      if (c.columns < 1 || c.columns > kMaxXorColumns) return OutOfRange("L", c.columns, "1..255");
      if (c.rows < 1 || c.rows > kMaxXorRows) return OutOfRange("D", c.rows, "1..255");
      if (c.columns * c.rows > kMaxBlockSpan) {
        return OutOfRange("L*D", c.columns * c.rows, "<= 1024");
      }
      return absl::OkStatus();
    case FecCodec::kReedSolomon:
      if (c.k < 1 || c.k > 254) return OutOfRange("k", c.k, "1..254");
      if (c.m < 1 || c.m > c.k) return OutOfRange("m", c.m, "1..k");
      if (c.k + c.m > static_cast<int>(kMaxRsBlockSymbols)) {
        return OutOfRange("k+m", c.k + c.m, "<= 255");
      }
      if (c.interleave < 1 || c.interleave > kMaxInterleave) {
        return OutOfRange("interleave", c.interleave, "1..255");
      }
      if (c.k * c.interleave > kMaxBlockSpan) {
        return OutOfRange("k*interleave", c.k * c.interleave, "<= 1024");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("fec: unknown mode");
}

absl::StatusOr<std::unique_ptr<FecEncoder>> CreateFecEncoder(const FecEncoderConfig& config) {
  if (absl::Status s = ValidateFecEncoderConfig(config); !s.ok()) return s;
  if (config.mode == FecCodec::kReedSolomon) return std::make_unique<RsEncoder>(config);
  return std::make_unique<XorEncoder>(config);
}

}  // namespace hitless
