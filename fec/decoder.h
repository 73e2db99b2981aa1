// FecDecoder: one decoder for every scheme (XOR row, XOR column, 2-D, Reed-
// Solomon, interleaved or not). Feed it every source received and every repair
// received, in any order; it rebuilds lost sources as soon as a block can be
// solved, iterating (a source rebuilt from one block may complete another, as
// in 2-D XOR), and reports the exact set of sources it could not rebuild when
// a block is given up.
//
// State (all preallocated at construction; decoding never allocates per
// packet, except growing the RS planner's scratch to its largest size once):
//  - a SourceWindow of the last `window` sources (received or rebuilt);
//  - up to `max_blocks` pending blocks: (scheme, base, k, m, stride, repair
//    length) plus their stored repair symbols, taken from a pool of
//    `max_repair_symbols` buffers. A block is stored only while it has losses
//    it cannot solve yet; the oldest (lowest base) is evicted when full.
// Timers: a block is given up `block_timeout` after its first repair
// (NextWakeup / OnTimer), by Expire(before_seq), when the window moves past
// its base, or when evicted. Rules for rejected repairs: OnRepair().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fec/fec.h"
#include "fec/rs_math.h"
#include "fec/source_window.h"

namespace hitless {

struct FecDecoderConfig {
  size_t window = 2048;              // sources kept; >= the largest block span
  size_t max_blocks = 256;           // pending blocks
  size_t max_repair_symbols = 1024;  // stored repair symbols over all blocks (<= 65535)
  Duration block_timeout = Duration::Infinite();
};

struct FecDecoderStats {
  uint64_t sources = 0;           // sources accepted
  uint64_t repairs = 0;           // repairs accepted
  uint64_t repairs_unneeded = 0;  // accepted but the block had nothing to rebuild
  uint64_t recovered = 0;         // sources rebuilt
  uint64_t unrecoverable = 0;     // sources reported unrecoverable
  uint64_t blocks_recovered = 0;  // blocks solved with at least one rebuild
  uint64_t blocks_given_up = 0;   // by Expire, timeout or window
  uint64_t blocks_evicted = 0;    // given up because memory was full
  DropCounters rejected;          // sources and repairs refused, by reason
};

class FecDecoder {
 public:
  explicit FecDecoder(const FecDecoderConfig& config = {});

  // A source received. Returns the drop reason if refused (and counts it):
  // kBadField (seq < 0, payload empty or > kMaxDataPayload), kTooLate (older
  // than the window), kDuplicate (already present, e.g. already rebuilt).
  std::optional<DropReason> OnSource(const FecSource& source, Time now, FecDecoderSink& sink);

  // A repair received; `base_sequence` is body.base_sequence unwrapped by the
  // caller (body.base_sequence itself is ignored). Returns the drop reason if
  // refused (and counts it):
  //  kBadField: ranges of docs/wire-format.md broken (k, m, index, stride),
  //    base < 0, block span > window, last source a window or more beyond the
  //    newest source, params differing from the block's other
  //    repairs (k, m, stride, payload length), payload shorter than a source it
  //    covers, or a rebuilt length of 0 or above the repair length;
  //  kOversized: payload longer than kMaxDataPayload;
  //  kTooLate: block before Expire()'s watermark, already given up, or its
  //    first source older than the window;
  //  kDuplicate: this repair of this block is already held;
  //  kBufferFull: no repair buffer could be freed.
  std::optional<DropReason> OnRepair(const FecRepairBody& body, int64_t base_sequence, Time now,
                                     FecDecoderSink& sink);

  // Gives up every pending block whose last source is < before_seq (reporting
  // its unrecovered sources) and refuses later repairs for such blocks.
  void Expire(int64_t before_seq, FecDecoderSink& sink);

  std::optional<Time> NextWakeup() const;
  // Gives up blocks whose timeout is <= now.
  void OnTimer(Time now, FecDecoderSink& sink);

  const FecDecoderStats& stats() const { return stats_; }
  size_t blocks_in_flight() const { return active_.size(); }

 private:
  struct Block {
    bool in_use = false;
    FecScheme scheme = FecScheme::kXorRow;
    int64_t base = 0;
    int k = 0;
    int m = 0;
    int stride = 1;
    uint16_t length = 0;  // repair payload length L
    Time deadline;
    int num_repairs = 0;
    std::array<uint8_t, fec_internal::kMaxRsSymbols> repair_index{};
    std::array<uint16_t, fec_internal::kMaxRsSymbols> symbol{};
    int64_t Member(int i) const { return base + static_cast<int64_t>(i) * stride; }
    int64_t Last() const { return Member(k - 1); }
    bool Covers(int64_t seq) const;
  };

  std::optional<DropReason> Reject(DropReason reason);
  std::optional<DropReason> CheckRanges(const FecRepairBody& body, int64_t base) const;
  int FindBlock(FecScheme scheme, int64_t base, int k, int stride) const;
  int AllocateBlock(FecDecoderSink& sink);
  int OldestBlock(int except) const;
  bool TakeSymbol(int keep_block, uint16_t* symbol, FecDecoderSink& sink);
  void FreeBlock(int id);
  void GiveUp(int id, FecDecoderSink& sink);
  bool WasGivenUp(FecScheme scheme, int64_t base) const;
  // Solves the block if it can; frees it when done or inconsistent.
  void Evaluate(int id, FecDecoderSink& sink);
  void SolveXor(Block& b, FecDecoderSink& sink);
  void SolveRs(Block& b, FecDecoderSink& sink);
  // Emits a rebuilt source already written to the window, or drops it.
  bool Deliver(int64_t seq, uint16_t limit, FecDecoderSink& sink);
  // Re-evaluates blocks covering the sources in queue_ (newly present), until
  // no progress: the iterative row/column passes of 2-D XOR.
  void Propagate(FecDecoderSink& sink);

  const FecDecoderConfig config_;
  fec_internal::SourceWindow window_;
  std::vector<Block> blocks_;
  std::vector<int> free_blocks_;
  std::vector<int> active_;
  std::vector<fec_internal::SymbolBuffer> symbols_;
  std::vector<uint16_t> free_symbols_;
  fec_internal::RsDecodePlanner planner_;
  int64_t highest_ = -1;
  int64_t expire_before_ = 0;
  struct GivenUp {
    FecScheme scheme;
    int64_t base = -1;
  };
  std::array<GivenUp, 64> given_up_{};
  size_t given_up_next_ = 0;
  // Scratch (reserved at construction).
  std::vector<uint8_t> missing_;
  std::vector<int64_t> queue_;
  std::vector<int> covering_;
  std::vector<uint8_t*> in_ptrs_;
  std::vector<uint8_t*> out_ptrs_;
  FecDecoderStats stats_;
};

}  // namespace hitless
