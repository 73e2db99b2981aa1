// Mapping between the FEC configuration negotiated in the handshake (wire
// FecConfig) and the codec configuration of fec/ (FecEncoderConfig).
#pragma once

#include <optional>

#include "fec/fec.h"
#include "transport/wire/handshake.h"

namespace hitless::session {

// The encoder configuration for a negotiated FecConfig; nullopt for kNone or
// a configuration the codecs refuse.
inline std::optional<FecEncoderConfig> EncoderConfigFor(const FecConfig& fec) {
  FecEncoderConfig c;
  switch (fec.mode) {
    case FecMode::kNone:
      return std::nullopt;
    case FecMode::kXorRow:
      c.mode = hitless::FecCodec::kXorRow;
      break;
    case FecMode::kXorColumn:
      c.mode = hitless::FecCodec::kXorColumn;
      break;
    case FecMode::kXorRowColumn:
      c.mode = hitless::FecCodec::kXor2D;
      break;
    case FecMode::kReedSolomon:
      c.mode = hitless::FecCodec::kReedSolomon;
      break;
  }
  c.columns = fec.l;
  c.rows = fec.d;
  c.k = fec.k;
  c.m = fec.m;
  c.interleave = fec.interleave == 0 ? 1 : fec.interleave;
  if (!ValidateFecEncoderConfig(c).ok()) return std::nullopt;
  return c;
}

}  // namespace hitless::session
