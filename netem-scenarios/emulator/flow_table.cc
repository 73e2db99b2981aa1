// Implements flow_table.h.
#include "netem-scenarios/emulator/flow_table.h"

#include <array>
#include <tuple>

#include "absl/hash/hash.h"

namespace hitless::netem {

size_t FlowTable::EndpointHash::operator()(const io::UdpEndpoint& e) const {
  const auto address = e.address();
  const std::array<unsigned char, 16> bytes =
      address.is_v6()
          ? address.to_v6().to_bytes()
          : boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4())
                .to_bytes();
  return absl::Hash<std::tuple<std::array<unsigned char, 16>, uint16_t>>()(
      std::make_tuple(bytes, e.port()));
}

FlowTable::FlowTable(size_t max_flows, Duration idle_timeout)
    : max_flows_(max_flows), idle_timeout_(idle_timeout) {}

std::optional<FlowTable::Lookup> FlowTable::FindOrOpen(const io::UdpEndpoint& client, Time now) {
  if (const auto it = by_client_.find(client); it != by_client_.end()) {
    by_id_[it->second].last_active = now;
    return Lookup{it->second, false};
  }
  if (by_id_.size() >= max_flows_) {
    ++counters_.refused;
    return std::nullopt;
  }
  const uint64_t id = next_id_++;
  by_client_.emplace(client, id);
  by_id_.emplace(id, Flow{id, client, now});
  ++counters_.opened;
  return Lookup{id, true};
}

void FlowTable::Touch(uint64_t id, Time now) {
  if (const auto it = by_id_.find(id); it != by_id_.end()) it->second.last_active = now;
}

const FlowTable::Flow* FlowTable::Get(uint64_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

void FlowTable::Remove(uint64_t id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_client_.erase(it->second.client);
  by_id_.erase(it);
}

std::vector<uint64_t> FlowTable::ExpireIdle(Time now) {
  std::vector<uint64_t> expired;
  for (const auto& [id, flow] : by_id_) {
    if (now - flow.last_active >= idle_timeout_) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    Remove(id);
    ++counters_.expired;
  }
  return expired;
}

}  // namespace hitless::netem
