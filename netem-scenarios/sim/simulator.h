// Deterministic discrete-event simulator on a virtual clock.
//
// Nodes (protocol cores behind small adapters, or test sources and sinks)
// exchange datagrams over links built from the I/O-free impairment models
// (netem-scenarios/model/link.h), one Link per direction. Nothing here reads a
// real clock or touches a socket: time advances from event to event, so a
// 60-second stream simulates in a fraction of a second, and a given seed
// always produces the same run.
//
// State: the event queue (time, insertion order, action), the nodes (not
// owned), and the ports. A port is one end of a connection; sending on a port
// enqueues into that port's outgoing Link. Timers: one pending delivery check
// per port (at its Link's NextDelivery) and one pending wake-up per node (at
// its NextWakeup); both are re-armed whenever they could have moved earlier.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <utility>
#include <vector>

#include "netem-scenarios/model/link.h"
#include "netem-scenarios/model/params.h"
#include "transport/base/time.h"

namespace hitless::sim {

using NodeId = int;
using PortId = int;

// A participant in the simulation. The simulator calls it; it sends through
// Simulator::Send and reports its next timer through NextWakeup.
class Node {
 public:
  virtual ~Node() = default;
  // A datagram arrived on `port` (one of this node's ports) at `now`.
  virtual void OnReceive(PortId port, std::span<const uint8_t> datagram, Time now) = 0;
  // Called at (never before) the time NextWakeup() last returned.
  virtual void OnWakeup(Time /*now*/) {}
  // The node's next timer, or nullopt for none. Queried after every call into
  // the node and after Simulator::Wake.
  virtual std::optional<Time> NextWakeup() const { return std::nullopt; }
};

class Simulator {
 public:
  // `seed` derives every link's seed (in Connect order), so one number fixes a run.
  explicit Simulator(uint64_t seed, Time start = Time::Zero());
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Time now() const { return now_; }

  // Registers a node (not owned; must outlive the simulator's use of it).
  NodeId AddNode(Node* node);
  // Joins nodes a and b. `a_to_b` impairs datagrams a sends, `b_to_a` those b
  // sends; the links' timelines start now. Returns {a's port, b's port}.
  std::pair<PortId, PortId> Connect(NodeId a, NodeId b, netem::DirectionConfig a_to_b,
                                    netem::DirectionConfig b_to_a);

  // Sends a datagram from `port` at now(). The port must belong to the caller
  // (checked; a mismatch is a bug and the datagram is dropped).
  void Send(NodeId from, PortId port, std::vector<uint8_t> datagram);
  // Re-reads node's NextWakeup (call after changing a node from outside).
  void Wake(NodeId node);
  // Runs `action` at time `at` (clamped to now()).
  void Schedule(Time at, std::function<void()> action);

  // Processes events in time order up to and including `end`; now() == end after.
  void RunUntil(Time end);
  void RunFor(Duration d) { RunUntil(now_ + d); }

  NodeId port_owner(PortId port) const { return ports_[port].owner; }
  PortId peer_port(PortId port) const { return ports_[port].peer; }
  // Statistics of the link carrying what `port` sends.
  const netem::LinkStats& outgoing_stats(PortId port) const { return ports_[port].link->stats(); }
  uint64_t events_processed() const { return events_processed_; }

 private:
  struct Event {
    Time at;
    uint64_t order;
    std::function<void()> action;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };
  struct Port {
    NodeId owner = -1;
    PortId peer = -1;
    std::unique_ptr<netem::Link> link;  // outgoing direction
    std::optional<Time> check_at;       // pending delivery check
  };
  struct NodeSlot {
    Node* node = nullptr;
    std::optional<Time> wakeup_at;  // pending wake-up event
  };

  void ArmDelivery(PortId port);
  void Deliver(PortId port);
  void ArmWakeup(NodeId node);
  void FireWakeup(NodeId node, Time at);

  Time now_;
  uint64_t seed_;
  uint64_t order_ = 0;
  uint64_t events_processed_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  std::vector<NodeSlot> nodes_;
  std::vector<Port> ports_;
};

}  // namespace hitless::sim
