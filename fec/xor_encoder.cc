// XOR row/column encoder (see xor_encoder.h).
#include "fec/xor_encoder.h"

#include <algorithm>

namespace hitless {

using fec_internal::kSymbolMetaSize;
using fec_internal::MetaLength;
using fec_internal::MetaTimestamp;
using fec_internal::PackMeta;
using fec_internal::XorInto;

void XorEncoder::Accumulator::Add(const FecSource& source) {
  uint8_t meta[kSymbolMetaSize];
  const auto len = static_cast<uint16_t>(source.payload.size());
  PackMeta(len, source.timestamp, meta);
  uint8_t* sym = symbol.data();
  XorInto(sym, meta, kSymbolMetaSize);
  XorInto(sym + kSymbolMetaSize, source.payload.data(), len);
  max_len = std::max(max_len, len);
  symbol.MarkUsed(kSymbolMetaSize + max_len);
  ++count;
}

void XorEncoder::Accumulator::Reset() {
  symbol.ZeroTailFrom(0);
  max_len = 0;
  count = 0;
}

XorEncoder::XorEncoder(const FecEncoderConfig& config)
    : rows_(config.mode != FecCodec::kXorColumn),
      columns_(config.mode != FecCodec::kXorRow),
      l_(config.columns),
      d_(config.mode == FecCodec::kXorRow ? 1 : config.rows),
      max_delay_(config.max_block_delay),
      cols_(columns_ ? static_cast<size_t>(config.columns) : 0) {}

bool XorEncoder::OnSource(const FecSource& source, Time now, FecRepairSink& sink) {
  if (source.payload.empty() || source.payload.size() > kMaxDataPayload) {
    ++stats_.rejected;
    return false;
  }
  if (open_ && (now >= deadline_ || source.seq != base_ + count_)) CloseMatrix(sink);
  if (!open_) {
    open_ = true;
    base_ = source.seq;
    count_ = 0;
    deadline_ = max_delay_.IsInfinite() ? Time::Infinite() : now + max_delay_;
  }
  const int col = static_cast<int>(count_ % l_);
  if (rows_) row_.Add(source);
  if (columns_) cols_[col].Add(source);
  ++count_;
  ++stats_.sources;
  if (rows_ && col == l_ - 1) {
    Emit(row_, FecScheme::kXorRow, source.seq - (l_ - 1), 0, sink);
  }
  if (count_ == static_cast<int64_t>(l_) * d_) {
    if (columns_) {
      for (int c = 0; c < l_; ++c) Emit(cols_[c], FecScheme::kXorColumn, base_ + c, l_, sink);
    }
    open_ = false;
  }
  return true;
}

std::optional<Time> XorEncoder::NextWakeup() const {
  if (!open_ || deadline_.IsInfinite()) return std::nullopt;
  return deadline_;
}

void XorEncoder::OnTimer(Time now, FecRepairSink& sink) {
  if (open_ && now >= deadline_) CloseMatrix(sink);
}

void XorEncoder::Flush(FecRepairSink& sink) {
  if (open_) CloseMatrix(sink);
}

void XorEncoder::CloseMatrix(FecRepairSink& sink) {
  if (rows_ && row_.count > 0) {
    ++stats_.partial_blocks;
    Emit(row_, FecScheme::kXorRow, base_ + count_ - row_.count, 0, sink);
  }
  if (columns_) {
    for (int c = 0; c < l_ && c < count_; ++c) {
      if (cols_[c].count < d_) ++stats_.partial_blocks;
      Emit(cols_[c], FecScheme::kXorColumn, base_ + c, l_, sink);
    }
  }
  open_ = false;
}

void XorEncoder::Emit(Accumulator& acc, FecScheme scheme, int64_t base, int stride,
                      FecRepairSink& sink) {
  const uint8_t* sym = acc.symbol.data();
  FecRepair repair;
  repair.base_sequence = base;
  repair.body.scheme = scheme;
  repair.body.repair_index = 0;
  repair.body.source_count = acc.count;
  repair.body.repair_count = 1;
  repair.body.stride = static_cast<uint8_t>(stride);
  repair.body.base_sequence = static_cast<uint32_t>(base);
  repair.body.length_recovery = MetaLength(sym);
  repair.body.timestamp_recovery = MetaTimestamp(sym);
  repair.body.payload = std::span<const uint8_t>(sym + kSymbolMetaSize, acc.max_len);
  ++stats_.blocks;
  ++stats_.repairs;
  stats_.repair_bytes += acc.max_len;
  sink.OnRepair(repair);
  acc.Reset();
}

}  // namespace hitless
