// XOR encoder in the SMPTE 2022-1 layout: sources fill an L-column x D-row
// matrix row by row. Row repair r = XOR of the L sources of row r (emitted as
// soon as the row is complete); column repair c = XOR of the D sources c,
// c + L, ... (emitted when the matrix is complete). Modes: row only (the
// matrix is one row), column only, or both (2-D).
//
// State: running XOR accumulators (one row, L columns; no source is kept),
// the open matrix's base and deadline (first source + max_block_delay).
// Timer: NextWakeup() = that deadline; closing early codes the partial row and
// partial columns over the sources present (their repair k says how many).
#pragma once

#include <optional>
#include <vector>

#include "fec/fec.h"
#include "fec/symbol.h"

namespace hitless {

class XorEncoder final : public FecEncoder {
 public:
  // Requires a config ValidateFecEncoderConfig accepts with an XOR mode.
  explicit XorEncoder(const FecEncoderConfig& config);

  bool OnSource(const FecSource& source, Time now, FecRepairSink& sink) override;
  std::optional<Time> NextWakeup() const override;
  void OnTimer(Time now, FecRepairSink& sink) override;
  void Flush(FecRepairSink& sink) override;
  const FecEncoderStats& stats() const override { return stats_; }

 private:
  struct Accumulator {
    fec_internal::SymbolBuffer symbol;
    uint16_t max_len = 0;
    uint16_t count = 0;
    void Add(const FecSource& source);
    void Reset();
  };
  void CloseMatrix(FecRepairSink& sink);
  void Emit(Accumulator& acc, FecScheme scheme, int64_t base, int stride, FecRepairSink& sink);

  const bool rows_;
  const bool columns_;
  const int l_;
  const int d_;  // 1 in row-only mode
  const Duration max_delay_;
  Accumulator row_;
  std::vector<Accumulator> cols_;
  bool open_ = false;
  int64_t base_ = 0;
  int64_t count_ = 0;
  Time deadline_;
  FecEncoderStats stats_;
};

}  // namespace hitless
