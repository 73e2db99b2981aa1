// Mapping between the FEC configuration negotiated in the handshake (wire
// FecConfig) and the codec configuration of fec/ (FecEncoderConfig).
#pragma once

#include <algorithm>
#include <optional>

#include "fec/adaptive_policy.h"
#include "fec/fec.h"
#include "transport/wire/handshake.h"

namespace hitless::session {

// The encoder configuration for a negotiated FecConfig; nullopt for kNone or
// a configuration the codecs refuse. For adaptive Reed-Solomon: the caps
// (AdaptiveConfigFor gives the policy that moves m and the interleave).
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
    case FecMode::kReedSolomonAdaptive:
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

// How long an FEC block may take to fill: a quarter of the latency budget
// (5..100 ms), so a rebuilt packet still has most of the budget left.
inline Duration FecBlockDelayFor(Duration latency) {
  return std::clamp(latency / 4, Duration::Milliseconds(5), Duration::Milliseconds(100));
}

// The adaptive policy for a negotiated kReedSolomonAdaptive (nullopt for any
// other mode): k, m and interleave as the caps, blocks sized to fill within
// FecBlockDelayFor(latency); without ARQ at least one repair per block.
inline std::optional<AdaptiveFecConfig> AdaptiveConfigFor(const FecConfig& fec, bool arq,
                                                          Duration latency) {
  if (fec.mode != FecMode::kReedSolomonAdaptive) return std::nullopt;
  AdaptiveFecConfig c;
  c.k = fec.k;
  c.max_repairs = fec.m;
  c.max_interleave = fec.interleave == 0 ? 1 : fec.interleave;
  c.min_repairs = arq ? 0 : 1;
  c.max_block_delay = FecBlockDelayFor(latency);
  if (!ValidateAdaptiveFecConfig(c).ok()) return std::nullopt;
  return c;
}

}  // namespace hitless::session
