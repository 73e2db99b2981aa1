// Test-stream nodes for the simulator: a constant-bitrate source of
// TS-shaped test datagrams (netem-scenarios/teststream) and a sink that
// verifies them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "transport/base/time.h"

namespace hitless::sim {

// Sends `payload_size`-byte test datagrams at a fixed bitrate on one port,
// from its construction time for `duration`.
class CbrSource final : public Node {
 public:
  struct Config {
    uint64_t bitrate_bps = 10'000'000;
    size_t payload_size = 1316;  // at least teststream::kHeaderSize
    Duration duration = Duration::Seconds(60);
    uint32_t stream_id = 1;
  };
  CbrSource(Simulator& sim, Config config);

  // Call after Simulator::Connect, then Simulator::Wake(self).
  void AttachPort(NodeId self, PortId port) {
    self_ = self;
    port_ = port;
  }
  void OnReceive(PortId, std::span<const uint8_t>, Time) override {}
  void OnWakeup(Time now) override;
  std::optional<Time> NextWakeup() const override;

  uint64_t sent() const { return next_seq_; }
  Duration interval() const { return interval_; }

 private:
  Simulator& sim_;
  Config config_;
  Duration interval_;
  Time start_;
  Time end_;
  NodeId self_ = -1;
  PortId port_ = -1;
  uint64_t next_seq_ = 0;
};

// Verifies whatever test datagrams arrive on any of its ports.
class StreamSink final : public Node {
 public:
  void OnReceive(PortId, std::span<const uint8_t> datagram, Time now) override {
    checker_.OnDatagram(datagram, now);
  }
  const teststream::Checker& checker() const { return checker_; }

 private:
  teststream::Checker checker_;
};

}  // namespace hitless::sim
