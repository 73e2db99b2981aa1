// FlowTable: the emulator's client address -> flow id map, I/O-free.
//
// hitless-netem gives every distinct client source address its own flow (and,
// in the emulator, its own upstream socket), so replies can be routed back.
// State: the flows, keyed both by client address and by id (ids are never
// reused, so a packet still in flight for an expired flow cannot reach the
// wrong client), and opened/expired/refused counters. No timers: the owner
// calls ExpireIdle(now) periodically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "transport/base/time.h"
#include "transport/io/endpoint.h"

namespace hitless::netem {

class FlowTable {
 public:
  struct Flow {
    uint64_t id = 0;
    io::UdpEndpoint client;
    Time last_active;
  };
  struct Counters {
    uint64_t opened = 0;
    uint64_t expired = 0;
    uint64_t refused = 0;  // packets from new clients turned away (table full)
  };
  struct Lookup {
    uint64_t id = 0;
    bool opened = false;  // true when this call created the flow
  };

  // At most `max_flows` (> 0) flows; a flow idle for `idle_timeout` expires.
  FlowTable(size_t max_flows, Duration idle_timeout);

  // Returns the flow of `client`, marking it active at `now`, or opens one.
  // Returns nullopt (and counts a refusal) when the table is full.
  std::optional<Lookup> FindOrOpen(const io::UdpEndpoint& client, Time now);
  // Marks flow `id` active (return traffic); ignored for unknown ids.
  void Touch(uint64_t id, Time now);
  // The flow with `id`, or nullptr (never opened, expired or removed). The
  // pointer stays valid until that flow is removed.
  const Flow* Get(uint64_t id) const;
  // Removes a flow (e.g. its upstream socket could not be opened). Not
  // counted as expired.
  void Remove(uint64_t id);
  // Removes every flow idle for at least idle_timeout at `now` and returns
  // their ids (for the owner to release per-flow resources).
  std::vector<uint64_t> ExpireIdle(Time now);

  size_t size() const { return by_id_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  struct EndpointHash {
    size_t operator()(const io::UdpEndpoint& e) const;
  };

  size_t max_flows_;
  Duration idle_timeout_;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<io::UdpEndpoint, uint64_t, EndpointHash> by_client_;
  absl::node_hash_map<uint64_t, Flow> by_id_;
  Counters counters_;
};

}  // namespace hitless::netem
