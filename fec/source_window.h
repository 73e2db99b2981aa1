// SourceWindow: the decoder's ring of the last `capacity` source symbols
// (received or recovered), indexed by 64-bit sequence. Each slot is a
// zero-padded symbol (fec/symbol.h) so a decode reads it in place.
//
// State: per slot the sequence it holds and whether it is present or was
// reported unrecoverable. All memory is allocated at construction.
#pragma once

#include <cstdint>
#include <vector>

#include "fec/symbol.h"

namespace hitless::fec_internal {

class SourceWindow {
 public:
  enum class State : uint8_t { kEmpty, kPresent, kLost };

  explicit SourceWindow(size_t capacity) : slots_(capacity) {}

  size_t capacity() const { return slots_.size(); }
  bool Has(int64_t seq) const {
    const Slot& s = At(seq);
    return s.seq == seq && s.state == State::kPresent;
  }
  bool IsLost(int64_t seq) const {
    const Slot& s = At(seq);
    return s.seq == seq && s.state == State::kLost;
  }
  // The slot for `seq`, taken over (previous content dropped) for writing.
  SymbolBuffer& Claim(int64_t seq, State state) {
    Slot& s = At(seq);
    s.seq = seq;
    s.state = state;
    return s.symbol;
  }
  // Present symbol of `seq` (requires Has(seq)).
  const uint8_t* Symbol(int64_t seq) const { return At(seq).symbol.data(); }
  uint16_t Length(int64_t seq) const { return MetaLength(At(seq).symbol.data()); }
  void MarkLost(int64_t seq) {
    Slot& s = At(seq);
    if (s.seq != seq) {
      s.seq = seq;
      s.symbol.ZeroTailFrom(0);
    }
    s.state = State::kLost;
  }
  void Invalidate(int64_t seq) {
    Slot& s = At(seq);
    if (s.seq == seq) s.state = State::kEmpty;
  }

 private:
  struct Slot {
    int64_t seq = -1;
    State state = State::kEmpty;
    SymbolBuffer symbol;
  };
  Slot& At(int64_t seq) { return slots_[Index(seq)]; }
  const Slot& At(int64_t seq) const { return slots_[Index(seq)]; }
  size_t Index(int64_t seq) const {
    const auto n = static_cast<int64_t>(slots_.size());
    return static_cast<size_t>(((seq % n) + n) % n);
  }
  std::vector<Slot> slots_;
};

}  // namespace hitless::fec_internal
