// Link: one direction of an impaired network path, I/O-free.
//
// The same object serves the deterministic simulator (virtual clock) and
// hitless-netem (steady clock): callers pass `now`, the link never reads a
// clock. Pipeline per packet, in order:
//   timeline (outage? params change?) -> loss -> duplicate -> corrupt ->
//   rate bottleneck (bounded FIFO, tail drop) -> delay + jitter -> reorder
// State: the loss/duplicate/corrupt correlation state, the Gilbert-Elliott
// state, the bottleneck's busy-until time and queue occupancy, and the set of
// packets in flight ordered by delivery time (ties keep enqueue order).
// Timers: NextDelivery() is the only wake-up the caller must honour.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "netem-scenarios/model/params.h"
#include "transport/base/random.h"
#include "transport/base/time.h"

namespace hitless::netem {

struct Packet {
  std::vector<uint8_t> data;
  uint64_t tag = 0;  // opaque to the link (the emulator keeps a flow id here)
};

enum class ImpairmentDrop : uint8_t { kLoss, kOutage, kQueueFull, kCount };
const char* ImpairmentDropName(ImpairmentDrop d);

struct LinkStats {
  uint64_t enqueued = 0;    // packets offered to the link
  uint64_t delivered = 0;   // packets handed out by DequeueDue
  uint64_t dropped[static_cast<int>(ImpairmentDrop::kCount)] = {};
  uint64_t duplicated = 0;  // extra copies created
  uint64_t corrupted = 0;   // packets with a bit flipped
  uint64_t reordered = 0;   // packets delivered before one enqueued earlier
  uint64_t in_flight = 0;   // currently held (queue + propagation)
  uint64_t bytes_delivered = 0;
  uint64_t Dropped(ImpairmentDrop d) const { return dropped[static_cast<int>(d)]; }
  uint64_t DroppedTotal() const;
};

class Link {
 public:
  // `start` anchors the timeline; `seed` makes every random choice repeatable.
  Link(DirectionConfig config, uint64_t seed, Time start);

  // Offers a packet at `now` (non-decreasing across calls). The packet is
  // dropped (counted), or scheduled for delivery (possibly twice).
  void Enqueue(Packet packet, Time now);
  // Removes and returns the earliest packet due at or before `now`, if any.
  std::optional<Packet> DequeueDue(Time now);
  // When the next packet becomes due; nullopt when nothing is in flight.
  std::optional<Time> NextDelivery() const;

  const LinkStats& stats() const { return stats_; }
  const ImpairmentParams& current_params() const;
  bool in_outage(Time now) const;

 private:
  // Implementation-defined members (see link.cc).
  struct Impl;
  // The implementation may replace this comment with concrete members; the
  // public interface above is the contract shared with the simulator and the
  // emulator.
};

}  // namespace hitless::netem
