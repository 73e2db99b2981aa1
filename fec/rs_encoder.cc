// Reed-Solomon encoder (see rs_encoder.h).
#include "fec/rs_encoder.h"

#include <isa-l/erasure_code.h>

#include <algorithm>

#include "fec/rs_math.h"

namespace hitless {

using fec_internal::kSymbolMetaSize;
using fec_internal::MetaLength;
using fec_internal::MetaTimestamp;

RsEncoder::RsEncoder(const FecEncoderConfig& config)
    : k_(config.k),
      m_(config.m),
      interleave_(config.interleave),
      max_delay_(config.max_block_delay),
      sources_(static_cast<size_t>(config.k) * config.interleave),
      repairs_(static_cast<size_t>(config.m)),
      in_ptrs_(static_cast<size_t>(config.k)),
      out_ptrs_(static_cast<size_t>(config.m)),
      max_len_(static_cast<size_t>(config.interleave), 0) {
  fec_internal::BuildRsEncodeTables(k_, m_, full_tables_);
  partial_tables_.reserve(full_tables_.size());
  for (int r = 0; r < m_; ++r) out_ptrs_[r] = repairs_[r].data();
}

bool RsEncoder::OnSource(const FecSource& source, Time now, FecRepairSink& sink) {
  if (source.payload.empty() || source.payload.size() > kMaxDataPayload) {
    ++stats_.rejected;
    return false;
  }
  if (open_ && (now >= deadline_ || source.seq != base_ + count_)) CloseGroup(sink);
  if (!open_) {
    open_ = true;
    base_ = source.seq;
    count_ = 0;
    deadline_ = max_delay_.IsInfinite() ? Time::Infinite() : now + max_delay_;
    std::fill(max_len_.begin(), max_len_.end(), 0);
  }
  const int block = static_cast<int>(count_ % interleave_);
  const int index = static_cast<int>(count_ / interleave_);
  const auto len = static_cast<uint16_t>(source.payload.size());
  sources_[static_cast<size_t>(block) * k_ + index].Write(len, source.timestamp,
                                                          source.payload.data(), len);
  max_len_[block] = std::max(max_len_[block], len);
  ++count_;
  ++stats_.sources;
  if (count_ == static_cast<int64_t>(k_) * interleave_) CloseGroup(sink);
  return true;
}

std::optional<Time> RsEncoder::NextWakeup() const {
  if (!open_ || deadline_.IsInfinite()) return std::nullopt;
  return deadline_;
}

void RsEncoder::OnTimer(Time now, FecRepairSink& sink) {
  if (open_ && now >= deadline_) CloseGroup(sink);
}

void RsEncoder::Flush(FecRepairSink& sink) {
  if (open_) CloseGroup(sink);
}

void RsEncoder::CloseGroup(FecRepairSink& sink) {
  const int used_blocks = static_cast<int>(std::min<int64_t>(count_, interleave_));
  for (int b = 0; b < used_blocks; ++b) EncodeBlock(b, sink);
  open_ = false;
}

void RsEncoder::EncodeBlock(int block, FecRepairSink& sink) {
  // Sources of block b: group indices b, b + I, ... below count_.
  const int kb = static_cast<int>((count_ - block + interleave_ - 1) / interleave_);
  // A short block (closed by its deadline at a low packet rate) gets repairs
  // in proportion, ceil(m x kb / k): the overhead stays m / k instead of
  // growing to m / kb (4 repairs for 4 sources at 2 Mbit/s and 20 ms).
  const int mb = kb == k_ ? m_ : static_cast<int>((int64_t{m_} * kb + k_ - 1) / k_);
  unsigned char* tables = full_tables_.data();
  if (kb != k_) {
    fec_internal::BuildRsEncodeTables(kb, mb, partial_tables_);
    tables = partial_tables_.data();
    ++stats_.partial_blocks;
  }
  for (int i = 0; i < kb; ++i) in_ptrs_[i] = sources_[static_cast<size_t>(block) * k_ + i].data();
  const size_t sym_len = kSymbolMetaSize + max_len_[block];
  ec_encode_data(static_cast<int>(sym_len), kb, mb, tables, in_ptrs_.data(), out_ptrs_.data());
  ++stats_.blocks;
  FecRepair repair;
  repair.base_sequence = base_ + block;
  repair.body.scheme = FecScheme::kReedSolomon;
  repair.body.source_count = static_cast<uint16_t>(kb);
  repair.body.repair_count = static_cast<uint8_t>(mb);
  repair.body.stride = interleave_ > 1 ? static_cast<uint8_t>(interleave_) : 0;
  repair.body.base_sequence = static_cast<uint32_t>(repair.base_sequence);
  for (int r = 0; r < mb; ++r) {
    repairs_[r].MarkUsed(sym_len);
    const uint8_t* sym = repairs_[r].data();
    repair.body.repair_index = static_cast<uint8_t>(r);
    repair.body.length_recovery = MetaLength(sym);
    repair.body.timestamp_recovery = MetaTimestamp(sym);
    repair.body.payload = std::span<const uint8_t>(sym + kSymbolMetaSize, max_len_[block]);
    ++stats_.repairs;
    stats_.repair_bytes += max_len_[block];
    sink.OnRepair(repair);
  }
}

}  // namespace hitless
