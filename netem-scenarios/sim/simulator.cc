#include "netem-scenarios/sim/simulator.h"

#include <algorithm>

#include "transport/base/bug.h"

namespace hitless::sim {

Simulator::Simulator(uint64_t seed, Time start) : now_(start), seed_(seed) {}

NodeId Simulator::AddNode(Node* node) {
  nodes_.push_back(NodeSlot{node, std::nullopt});
  const auto id = static_cast<NodeId>(nodes_.size() - 1);
  ArmWakeup(id);
  return id;
}

std::pair<PortId, PortId> Simulator::Connect(NodeId a, NodeId b, netem::DirectionConfig a_to_b,
                                             netem::DirectionConfig b_to_a) {
  const auto pa = static_cast<PortId>(ports_.size());
  const PortId pb = pa + 1;
  // Distinct, repeatable seeds per direction (splitmix-style spread).
  const uint64_t base = seed_ * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(pa);
  ports_.push_back(Port{a, pb, std::make_unique<netem::Link>(std::move(a_to_b), base, now_), {}});
  ports_.push_back(Port{
      b, pa, std::make_unique<netem::Link>(std::move(b_to_a), base ^ 0x5bd1e995ULL, now_), {}});
  return {pa, pb};
}

void Simulator::Send(NodeId from, PortId port, std::vector<uint8_t> datagram) {
  if (port < 0 || static_cast<size_t>(port) >= ports_.size() || ports_[port].owner != from) {
    HITLESS_BUG("Simulator::Send on a port the node does not own");
    return;
  }
  ports_[port].link->Enqueue(netem::Packet{std::move(datagram), static_cast<uint64_t>(port)}, now_);
  ArmDelivery(port);
}

void Simulator::Wake(NodeId node) { ArmWakeup(node); }

void Simulator::Schedule(Time at, std::function<void()> action) {
  events_.push(Event{std::max(at, now_), order_++, std::move(action)});
}

void Simulator::RunUntil(Time end) {
  while (!events_.empty() && events_.top().at <= end) {
    // priority_queue::top is const; move the action out before popping.
    Event event = std::move(const_cast<Event&>(events_.top()));
    events_.pop();
    now_ = event.at;
    ++events_processed_;
    event.action();
  }
  now_ = std::max(now_, end);
}

void Simulator::ArmDelivery(PortId port) {
  Port& p = ports_[port];
  const std::optional<Time> next = p.link->NextDelivery();
  if (!next) return;
  // One pending check per port suffices unless the new delivery is earlier.
  if (p.check_at && *p.check_at <= *next) return;
  p.check_at = std::max(*next, now_);
  Schedule(*p.check_at, [this, port, at = *p.check_at] {
    if (ports_[port].check_at != at) return;  // superseded by an earlier check
    ports_[port].check_at.reset();
    Deliver(port);
  });
}

void Simulator::Deliver(PortId port) {
  const PortId peer = ports_[port].peer;
  const NodeId receiver = ports_[peer].owner;
  while (auto packet = ports_[port].link->DequeueDue(now_)) {
    nodes_[receiver].node->OnReceive(peer, packet->data, now_);
  }
  ArmDelivery(port);
  ArmWakeup(receiver);
}

void Simulator::ArmWakeup(NodeId node) {
  NodeSlot& slot = nodes_[node];
  const std::optional<Time> next = slot.node->NextWakeup();
  if (!next) return;
  if (slot.wakeup_at && *slot.wakeup_at <= *next) return;
  slot.wakeup_at = std::max(*next, now_);
  Schedule(*slot.wakeup_at, [this, node, at = *slot.wakeup_at] { FireWakeup(node, at); });
}

void Simulator::FireWakeup(NodeId node, Time at) {
  NodeSlot& slot = nodes_[node];
  if (slot.wakeup_at != at) return;  // superseded by an earlier wake-up
  slot.wakeup_at.reset();
  // The node may have moved its timer later since this was armed.
  const std::optional<Time> due = slot.node->NextWakeup();
  if (due && *due <= now_) slot.node->OnWakeup(now_);
  ArmWakeup(node);
}

}  // namespace hitless::sim
