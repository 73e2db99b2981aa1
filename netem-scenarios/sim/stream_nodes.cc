#include "netem-scenarios/sim/stream_nodes.h"

#include <algorithm>
#include <vector>

namespace hitless::sim {

CbrSource::CbrSource(Simulator& sim, Config config)
    : sim_(sim), config_(config), start_(sim.now()), end_(sim.now() + config.duration) {
  config_.payload_size = std::max(config_.payload_size, teststream::kHeaderSize);
  interval_ = Duration::Nanoseconds(static_cast<int64_t>(
      static_cast<double>(config_.payload_size) * 8e9 / static_cast<double>(config_.bitrate_bps)));
}

std::optional<Time> CbrSource::NextWakeup() const {
  if (port_ < 0) return std::nullopt;
  const Time next = start_ + interval_ * static_cast<int64_t>(next_seq_);
  if (next >= end_) return std::nullopt;
  return next;
}

void CbrSource::OnWakeup(Time now) {
  // Catch up on every datagram due by now (the simulator never fires early).
  while (auto due = NextWakeup()) {
    if (*due > now) break;
    std::vector<uint8_t> datagram(config_.payload_size);
    teststream::WriteDatagram(datagram, config_.stream_id, next_seq_, *due);
    sim_.Send(self_, port_, std::move(datagram));
    ++next_seq_;
  }
}

}  // namespace hitless::sim
