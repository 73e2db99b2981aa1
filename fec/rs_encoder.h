// Reed-Solomon encoder: k sources, m repairs per block, optionally I blocks
// interleaved (source n of a group goes to block n mod I, so block b holds
// base + b, base + b + I, ...; the repair's stride field carries I when I > 1).
//
// State: one open interleave group (k * I symbol buffers, preallocated), its
// deadline (first source + max_block_delay) and the cached encode tables for
// (k, m). Timer: NextWakeup() = the group's deadline. A group closed early
// codes each block over the k' < k sources it got (the repair's k says k').
#pragma once

#include <optional>
#include <vector>

#include "fec/fec.h"
#include "fec/symbol.h"

namespace hitless {

class RsEncoder final : public FecEncoder {
 public:
  // Requires a config ValidateFecEncoderConfig accepts with mode kReedSolomon.
  explicit RsEncoder(const FecEncoderConfig& config);

  bool OnSource(const FecSource& source, Time now, FecRepairSink& sink) override;
  std::optional<Time> NextWakeup() const override;
  void OnTimer(Time now, FecRepairSink& sink) override;
  void Flush(FecRepairSink& sink) override;
  const FecEncoderStats& stats() const override { return stats_; }

 private:
  void CloseGroup(FecRepairSink& sink);
  void EncodeBlock(int block, FecRepairSink& sink);

  const int k_;
  const int m_;
  const int interleave_;
  const Duration max_delay_;
  std::vector<uint8_t> full_tables_;                 // (k, m)
  std::vector<uint8_t> partial_tables_;              // (k', m) scratch for short blocks
  std::vector<fec_internal::SymbolBuffer> sources_;  // [block * k + i]
  std::vector<fec_internal::SymbolBuffer> repairs_;  // m coded outputs
  std::vector<uint8_t*> in_ptrs_;
  std::vector<uint8_t*> out_ptrs_;
  std::vector<uint16_t> max_len_;  // per block
  bool open_ = false;
  int64_t base_ = 0;
  int64_t count_ = 0;  // sources in the open group
  Time deadline_;
  FecEncoderStats stats_;
};

}  // namespace hitless
