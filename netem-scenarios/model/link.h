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

#include <cstddef>
#include <cstdint>
#include <deque>
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
  uint64_t enqueued = 0;   // packets offered to the link
  uint64_t delivered = 0;  // packets handed out by DequeueDue
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
  // The parameters in effect for the most recent Enqueue (timeline changes
  // are applied when a packet arrives at or after their time).
  const ImpairmentParams& current_params() const { return params_; }
  // Whether `now` falls inside an outage window of the timeline.
  bool in_outage(Time now) const;

 private:
  // A packet scheduled for delivery. `order` is a per-link counter assigned at
  // scheduling time: it breaks delivery-time ties (FIFO) and detects
  // reordering.
  struct InFlight {
    Time delivery;
    uint64_t order = 0;
    Packet packet;
  };
  // Heap comparator: the earliest (delivery, order) on top.
  struct Later {
    bool operator()(const InFlight& a, const InFlight& b) const {
      return a.delivery != b.delivery ? a.delivery > b.delivery : a.order > b.order;
    }
  };
  // A packet occupying the bottleneck FIFO until `departure`.
  struct Queued {
    Time departure;
    uint64_t bytes = 0;
  };
  struct Outage {
    Time begin;
    Time end;
  };

  void ApplyTimeline(Time now);
  bool DecideLoss();
  // netem-style chance with correlation: with probability `correlation` the
  // previous decision repeats, otherwise a fresh Bernoulli(probability).
  bool Chance(const ChanceParams& chance, bool& last);
  // Runs corrupt -> rate -> delay -> reorder for one copy of a packet.
  void Schedule(Packet packet, Time now);
  // Standardised jitter sample (see link.cc for each distribution's scale).
  double JitterSample();
  double Latent(double& state);

  ImpairmentParams params_;
  std::vector<TimelineEvent> changes_;  // kSetParams, sorted by `at`
  size_t next_change_ = 0;
  std::vector<Outage> outages_;  // sorted by begin
  Time start_;
  Random rng_;

  bool last_loss_ = false;
  bool ge_bad_ = false;
  bool last_duplicate_ = false;
  bool last_corrupt_ = false;
  bool last_reorder_ = false;
  uint32_t reorder_counter_ = 0;
  double jitter_latent_ = 0.0;   // AR(1) state of the correlated jitter
  double jitter_latent2_ = 0.0;  // second state (paretonormal's normal part)

  Time busy_until_;
  std::deque<Queued> queue_;  // bottleneck FIFO, oldest first
  uint64_t queue_bytes_ = 0;

  Time last_delivery_;
  std::vector<InFlight> heap_;  // binary heap ordered by Later
  uint64_t next_order_ = 0;
  // in_flight_flags_[i] != 0 while the packet with order (first_order_ + i)
  // is in flight; lets DequeueDue tell in O(1) amortised whether an earlier
  // packet is still held.
  std::deque<uint8_t> in_flight_flags_;
  uint64_t first_order_ = 0;

  LinkStats stats_;
};

}  // namespace hitless::netem
