// FecDecoder (see decoder.h): block bookkeeping, XOR and RS solving, give-up.
#include "fec/decoder.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <cstring>

#include "transport/base/bug.h"

namespace hitless {

using fec_internal::kMaxRsSymbols;
using fec_internal::kSymbolMetaSize;
using fec_internal::MetaLength;
using fec_internal::MetaTimestamp;
using fec_internal::SourceWindow;
using fec_internal::XorInto;

bool FecDecoder::Block::Covers(int64_t seq) const {
  if (seq < base) return false;
  const int64_t off = seq - base;
  return off % stride == 0 && off / stride < k;
}

FecDecoder::FecDecoder(const FecDecoderConfig& config)
    : config_(config),
      window_(std::max<size_t>(config.window, 1)),
      blocks_(std::max<size_t>(config.max_blocks, 1)),
      symbols_(std::clamp<size_t>(config.max_repair_symbols, 1, 65535)) {
  free_blocks_.reserve(blocks_.size());
  for (int i = static_cast<int>(blocks_.size()) - 1; i >= 0; --i) free_blocks_.push_back(i);
  active_.reserve(blocks_.size());
  free_symbols_.reserve(symbols_.size());
  for (size_t i = symbols_.size(); i-- > 0;) free_symbols_.push_back(static_cast<uint16_t>(i));
  missing_.reserve(kMaxRsSymbols);
  queue_.reserve(kMaxRsSymbols * 4);
  covering_.reserve(blocks_.size());
  in_ptrs_.reserve(kMaxRsSymbols);
  out_ptrs_.reserve(kMaxRsSymbols);
}

std::optional<DropReason> FecDecoder::Reject(DropReason reason) {
  stats_.rejected.Count(reason);
  return reason;
}

std::optional<DropReason> FecDecoder::OnSource(const FecSource& source, Time /*now*/,
                                               FecDecoderSink& sink) {
  if (source.seq < 0 || source.payload.empty()) return Reject(DropReason::kBadField);
  if (source.payload.size() > kMaxDataPayload) return Reject(DropReason::kOversized);
  const auto cap = static_cast<int64_t>(window_.capacity());
  if (source.seq <= highest_ - cap) return Reject(DropReason::kTooLate);
  if (window_.Has(source.seq)) return Reject(DropReason::kDuplicate);
  if (source.seq > highest_) {
    highest_ = source.seq;
    // Blocks whose first source leaves the window can no longer be solved.
    for (size_t i = 0; i < active_.size();) {
      const int id = active_[i];
      if (blocks_[id].base <= highest_ - cap) {
        GiveUp(id, sink);  // removes active_[i]
      } else {
        ++i;
      }
    }
  }
  window_.Claim(source.seq, SourceWindow::State::kPresent)
      .Write(static_cast<uint16_t>(source.payload.size()), source.timestamp, source.payload.data(),
             source.payload.size());
  ++stats_.sources;
  if (!active_.empty()) {
    queue_.push_back(source.seq);
    Propagate(sink);
  }
  return std::nullopt;
}

std::optional<DropReason> FecDecoder::CheckRanges(const FecRepairBody& body, int64_t base) const {
  if (body.payload.size() > kMaxDataPayload) return DropReason::kOversized;
  if (body.payload.empty() || base < 0 || body.source_count == 0 ||
      body.repair_index >= body.repair_count) {
    return DropReason::kBadField;
  }
  switch (body.scheme) {
    case FecScheme::kXorRow:
      if (body.repair_count != 1 || body.stride != 0) return DropReason::kBadField;
      break;
    case FecScheme::kXorColumn:
      if (body.repair_count != 1 || body.stride == 0) return DropReason::kBadField;
      break;
    case FecScheme::kReedSolomon:
      if (body.source_count + body.repair_count > kMaxRsBlockSymbols) return DropReason::kBadField;
      break;
    default:
      return DropReason::kBadField;
  }
  if (body.source_count > kMaxXorSourceCount) return DropReason::kBadField;
  const int64_t stride = std::max<int64_t>(body.stride, 1);
  const int64_t span = (body.source_count - 1) * stride + 1;
  if (span > static_cast<int64_t>(window_.capacity())) return DropReason::kBadField;
  return std::nullopt;
}

std::optional<DropReason> FecDecoder::OnRepair(const FecRepairBody& body, int64_t base_sequence,
                                               Time now, FecDecoderSink& sink) {
  if (auto bad = CheckRanges(body, base_sequence)) return Reject(*bad);
  const int k = body.source_count;
  const int stride = std::max<int>(body.stride, 1);
  const int64_t last = base_sequence + static_cast<int64_t>(k - 1) * stride;
  const auto cap = static_cast<int64_t>(window_.capacity());
  if (last < expire_before_ || base_sequence <= highest_ - cap ||
      WasGivenUp(body.scheme, base_sequence)) {
    return Reject(DropReason::kTooLate);
  }
  // So far ahead that its sources would evict ones still in the window.
  if (highest_ >= 0 && last >= highest_ + cap) return Reject(DropReason::kBadField);
  const auto length = static_cast<uint16_t>(body.payload.size());
  int id = FindBlock(body.scheme, base_sequence, k, stride);
  if (id >= 0) {
    Block& b = blocks_[id];
    if (body.scheme != FecScheme::kReedSolomon) return Reject(DropReason::kDuplicate);
    if (b.k != k || b.m != body.repair_count || b.length != length) {
      return Reject(DropReason::kBadField);
    }
    for (int i = 0; i < b.num_repairs; ++i) {
      if (b.repair_index[i] == body.repair_index) return Reject(DropReason::kDuplicate);
    }
    ++stats_.repairs;
  } else {
    // A repair shorter than a source it covers cannot have been coded over it.
    int missing = 0;
    for (int i = 0; i < k; ++i) {
      const int64_t seq = base_sequence + static_cast<int64_t>(i) * stride;
      if (!window_.Has(seq)) {
        ++missing;
      } else if (window_.Length(seq) > length) {
        return Reject(DropReason::kBadField);
      }
    }
    ++stats_.repairs;
    if (missing == 0) {
      ++stats_.repairs_unneeded;
      return std::nullopt;
    }
    id = AllocateBlock(sink);
    Block& b = blocks_[id];
    b.scheme = body.scheme;
    b.base = base_sequence;
    b.k = k;
    b.m = body.repair_count;
    b.stride = stride;
    b.length = length;
    b.deadline =
        config_.block_timeout.IsInfinite() ? Time::Infinite() : now + config_.block_timeout;
    b.num_repairs = 0;
  }
  uint16_t sym = 0;
  if (!TakeSymbol(id, &sym, sink)) {
    if (blocks_[id].num_repairs == 0) FreeBlock(id);
    return Reject(DropReason::kBufferFull);
  }
  Block& b = blocks_[id];
  symbols_[sym].Write(body.length_recovery, body.timestamp_recovery, body.payload.data(),
                      body.payload.size());
  b.repair_index[b.num_repairs] = body.repair_index;
  b.symbol[b.num_repairs] = sym;
  ++b.num_repairs;
  Evaluate(id, sink);
  Propagate(sink);
  return std::nullopt;
}

int FecDecoder::FindBlock(FecScheme scheme, int64_t base, int k, int stride) const {
  for (int id : active_) {
    const Block& b = blocks_[id];
    if (b.scheme != scheme || b.base != base) continue;
    if (scheme == FecScheme::kReedSolomon || (b.k == k && b.stride == stride)) return id;
  }
  return -1;
}

int FecDecoder::AllocateBlock(FecDecoderSink& sink) {
  if (free_blocks_.empty()) {
    ++stats_.blocks_evicted;
    GiveUp(OldestBlock(-1), sink);
  }
  const int id = free_blocks_.back();
  free_blocks_.pop_back();
  blocks_[id].in_use = true;
  blocks_[id].num_repairs = 0;
  active_.push_back(id);
  return id;
}

int FecDecoder::OldestBlock(int except) const {
  int oldest = -1;
  for (int id : active_) {
    if (id != except && (oldest < 0 || blocks_[id].base < blocks_[oldest].base)) oldest = id;
  }
  return oldest;
}

bool FecDecoder::TakeSymbol(int keep_block, uint16_t* symbol, FecDecoderSink& sink) {
  while (free_symbols_.empty()) {
    const int victim = OldestBlock(keep_block);
    if (victim < 0) return false;
    ++stats_.blocks_evicted;
    GiveUp(victim, sink);
  }
  *symbol = free_symbols_.back();
  free_symbols_.pop_back();
  return true;
}

void FecDecoder::FreeBlock(int id) {
  Block& b = blocks_[id];
  if (!b.in_use) return;
  for (int i = 0; i < b.num_repairs; ++i) free_symbols_.push_back(b.symbol[i]);
  b.num_repairs = 0;
  b.in_use = false;
  auto it = std::find(active_.begin(), active_.end(), id);
  if (it != active_.end()) {
    *it = active_.back();
    active_.pop_back();
  }
  free_blocks_.push_back(id);
}

bool FecDecoder::WasGivenUp(FecScheme scheme, int64_t base) const {
  for (const GivenUp& g : given_up_) {
    if (g.base == base && g.scheme == scheme) return true;
  }
  return false;
}

void FecDecoder::GiveUp(int id, FecDecoderSink& sink) {
  Block& b = blocks_[id];
  for (int i = 0; i < b.k; ++i) {
    const int64_t seq = b.Member(i);
    if (window_.Has(seq) || window_.IsLost(seq)) continue;
    // Beyond the newest source the slot still holds an older, live source.
    if (seq <= highest_) window_.MarkLost(seq);
    ++stats_.unrecoverable;
    sink.OnUnrecoverable(seq);
  }
  ++stats_.blocks_given_up;
  given_up_[given_up_next_] = GivenUp{b.scheme, b.base};
  given_up_next_ = (given_up_next_ + 1) % given_up_.size();
  FreeBlock(id);
}

void FecDecoder::Expire(int64_t before_seq, FecDecoderSink& sink) {
  expire_before_ = std::max(expire_before_, before_seq);
  for (size_t i = 0; i < active_.size();) {
    const int id = active_[i];
    if (blocks_[id].Last() < before_seq) {
      GiveUp(id, sink);
    } else {
      ++i;
    }
  }
}

std::optional<Time> FecDecoder::NextWakeup() const {
  std::optional<Time> next;
  for (int id : active_) {
    const Time d = blocks_[id].deadline;
    if (!d.IsInfinite() && (!next || d < *next)) next = d;
  }
  return next;
}

void FecDecoder::OnTimer(Time now, FecDecoderSink& sink) {
  for (size_t i = 0; i < active_.size();) {
    const int id = active_[i];
    if (blocks_[id].deadline <= now) {
      GiveUp(id, sink);
    } else {
      ++i;
    }
  }
}

void FecDecoder::Propagate(FecDecoderSink& sink) {
  while (!queue_.empty()) {
    const int64_t seq = queue_.back();
    queue_.pop_back();
    covering_.clear();
    for (int id : active_) {
      if (blocks_[id].Covers(seq)) covering_.push_back(id);
    }
    for (int id : covering_) {
      if (blocks_[id].in_use) Evaluate(id, sink);
    }
  }
}

void FecDecoder::Evaluate(int id, FecDecoderSink& sink) {
  Block& b = blocks_[id];
  missing_.clear();
  for (int i = 0; i < b.k; ++i) {
    const int64_t seq = b.Member(i);
    if (!window_.Has(seq)) {
      missing_.push_back(static_cast<uint8_t>(i));
    } else if (window_.Length(seq) > b.length) {
      // A source longer than the repairs: the repairs were not coded over it.
      stats_.rejected.Count(DropReason::kBadField, static_cast<uint64_t>(b.num_repairs));
      FreeBlock(id);
      return;
    }
  }
  if (missing_.empty()) {
    FreeBlock(id);
    return;
  }
  if (static_cast<int>(missing_.size()) > b.num_repairs) return;
  if (b.scheme == FecScheme::kReedSolomon) {
    SolveRs(b, sink);
  } else {
    SolveXor(b, sink);
  }
  ++stats_.blocks_recovered;
  FreeBlock(id);
}

void FecDecoder::SolveXor(Block& b, FecDecoderSink& sink) {
  const int64_t lost = b.Member(missing_[0]);
  const size_t n = kSymbolMetaSize + b.length;
  uint8_t* out = window_.Claim(lost, SourceWindow::State::kPresent).Overwrite(n);
  std::memcpy(out, symbols_[b.symbol[0]].data(), n);
  for (int i = 0; i < b.k; ++i) {
    if (i == missing_[0]) continue;
    XorInto(out, window_.Symbol(b.Member(i)), n);
  }
  Deliver(lost, b.length, sink);
}

void FecDecoder::SolveRs(Block& b, FecDecoderSink& sink) {
  const int e = static_cast<int>(missing_.size());
  std::array<uint8_t, kMaxRsSymbols> repairs{};
  for (int t = 0; t < e; ++t) repairs[t] = b.repair_index[t];
  if (!planner_.Plan(b.k, missing_, std::span<const uint8_t>(repairs.data(), e))) {
    HITLESS_BUG("singular Cauchy submatrix");
    return;
  }
  const size_t n = kSymbolMetaSize + b.length;
  in_ptrs_.clear();
  out_ptrs_.clear();
  size_t mi = 0;
  for (int i = 0; i < b.k; ++i) {
    if (mi < missing_.size() && missing_[mi] == i) {
      ++mi;
      continue;
    }
    in_ptrs_.push_back(const_cast<uint8_t*>(window_.Symbol(b.Member(i))));
  }
  for (int t = 0; t < e; ++t) in_ptrs_.push_back(symbols_[b.symbol[t]].data());
  for (int t = 0; t < e; ++t) {
    out_ptrs_.push_back(
        window_.Claim(b.Member(missing_[t]), SourceWindow::State::kPresent).Overwrite(n));
  }
  ec_encode_data(static_cast<int>(n), b.k, e, planner_.tables(), in_ptrs_.data(), out_ptrs_.data());
  for (int t = 0; t < e; ++t) Deliver(b.Member(missing_[t]), b.length, sink);
}

bool FecDecoder::Deliver(int64_t seq, uint16_t limit, FecDecoderSink& sink) {
  const uint8_t* sym = window_.Symbol(seq);
  const uint16_t len = MetaLength(sym);
  if (len == 0 || len > limit) {
    // Inconsistent repairs (or a forged one): the rebuilt source is garbage.
    window_.Invalidate(seq);
    stats_.rejected.Count(DropReason::kBadField);
    return false;
  }
  FecSource packet;
  packet.seq = seq;
  packet.timestamp = MetaTimestamp(sym);
  packet.payload = std::span<const uint8_t>(sym + kSymbolMetaSize, len);
  ++stats_.recovered;
  sink.OnRecovered(packet);
  queue_.push_back(seq);
  return true;
}

}  // namespace hitless
