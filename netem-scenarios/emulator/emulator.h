// Emulator: hitless-netem's event loop (Boost.Asio, one thread).
//
// Sockets: the listen socket (clients -> us) and one connected upstream socket
// per flow (us <-> target). Each is non-blocking; readability is awaited with
// async_wait and the socket drained with recvmmsg (64 x 2048 bytes), with
// `now` read once per batch. Packets go through one netem::Link per direction
// (tag = flow id) and leave, when due, through sendmmsg batches.
// Timers: the delivery timer (armed at the earliest Link::NextDelivery), the
// housekeeping timer (idle flow expiry) and the status-line timer.
// Signals: SIGINT/SIGTERM stop the loop; Run() then returns.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "netem-scenarios/emulator/config.h"
#include "netem-scenarios/emulator/flow_table.h"
#include "netem-scenarios/emulator/stats.h"
#include "netem-scenarios/model/link.h"
#include "transport/base/clock.h"
#include "transport/io/batch_io.h"

namespace hitless::netem {

class Emulator {
 public:
  explicit Emulator(EmulatorConfig config);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds the listen socket, prints "listening IP:PORT" on stdout and runs
  // until SIGINT/SIGTERM. Errors: the listen socket cannot be opened or bound.
  absl::Status Run();

  // Counters as of now (valid during and after Run).
  EmulatorSnapshot Snapshot() const;
  const EmulatorConfig& config() const { return config_; }

 private:
  struct Upstream;
  using Socket = boost::asio::ip::udp::socket;

  void WaitListen();
  void OnListenReadable();
  void WaitUpstream(uint64_t flow_id);
  void OnUpstreamReadable(uint64_t flow_id);
  // Opens the connected upstream socket of a new flow; false on failure.
  bool OpenUpstream(uint64_t flow_id);
  // Sends every packet due at `now` in both directions, then re-arms the timer.
  void FlushDue(Time now);
  void FlushForward(Time now);
  void FlushReverse(Time now);
  void ArmDeliveryTimer();
  void ArmHousekeeping();
  void ArmStatus();
  void Stop();

  EmulatorConfig config_;
  SteadyClock clock_;
  Time start_;
  std::optional<Time> stop_time_;
  boost::asio::io_context io_;
  Socket listen_socket_;
  boost::asio::steady_timer delivery_timer_;
  std::optional<Time> delivery_armed_at_;
  boost::asio::steady_timer housekeeping_timer_;
  boost::asio::steady_timer status_timer_;
  boost::asio::signal_set signals_;
  std::unique_ptr<Link> links_[kDirectionCount];
  FlowTable flows_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Upstream>> upstreams_;
  io::RecvBatch recv_;
  io::SendBatch send_;
  std::vector<Packet> due_;  // reused between flushes
  DirectionCounters counters_[kDirectionCount];
  uint64_t upstream_open_failures_ = 0;
  EmulatorSnapshot last_status_;
  Time last_status_time_;
  bool stopping_ = false;
};

}  // namespace hitless::netem
