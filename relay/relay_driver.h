// RelayDriver: runs the I/O-free relay core on real UDP sockets.
//
// One listening socket carries every publisher's and subscriber's session
// (the core keys them by session id); each upstream pull has its own
// ephemeral socket towards its relay. Datagrams are read with recvmmsg as
// soon as the socket is readable (no read hold: a relay hop must add no
// latency), handed to the core with their source address, and everything the
// core sends in that handler, the fan-out to every subscriber included, is
// queued and leaves in sendmmsg batches across destinations at the end of
// it. One steady_timer is kept armed at the core's NextWakeup().
// State: sockets, send batch storage, the core, counters. Timers: the
// wake-up timer. Single-threaded: the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "relay/forward_delay.h"
#include "relay/relay.h"
#include "relay/relay_config.h"
#include "transport/base/clock.h"
#include "transport/io/batch_io.h"
#include "transport/io/endpoint.h"
#include "transport/io/read_gate.h"

namespace hitless::relay {

struct RelayDriverOptions {
  io::UdpEndpoint listen;
  RelayConfig config;
  std::vector<UpstreamEntry> upstreams;
  size_t socket_buffer_bytes = 16 << 20;
};

struct SocketStats {
  uint64_t datagrams_in = 0;
  uint64_t bytes_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t bytes_out = 0;
  uint64_t truncated_in = 0;  // larger than any Hitless datagram: dropped
  uint64_t receive_errors = 0;
  uint64_t oversized_out = 0;
  io::SendErrorCounters send_errors;
};

class RelayDriver final : public RelayIo {
 public:
  // Binds the listening socket, creates the core and starts every upstream
  // pull. Errors: bind failures, an invalid configuration.
  static absl::StatusOr<std::unique_ptr<RelayDriver>> Create(boost::asio::io_context& io,
                                                             RelayDriverOptions options);
  ~RelayDriver() override;
  RelayDriver(const RelayDriver&) = delete;
  RelayDriver& operator=(const RelayDriver&) = delete;

  // SIGHUP: new streams, secrets, limits and upstreams. Upstreams that did
  // not change keep running; removed ones are stopped, new ones started.
  // Errors: as the core's Reload (nothing changed then) or a socket that
  // cannot be opened for a new upstream (the others are applied).
  absl::Status Reload(const DaemonConfig& config);
  // SHUTDOWN to every peer and upstream, then closes the sockets.
  void Shutdown();

  const Relay& relay() const { return *relay_; }
  // Runs `f(core, now)` from outside the socket handlers (the SRT legs'
  // events), then sends what it queued and re-arms the timer, as the
  // socket handlers do. Nothing after Shutdown.
  template <typename F>
  void WithCore(F&& f) {
    if (closed_) return;
    f(*relay_, clock_.Now());
    AfterHandler();
  }
  io::UdpEndpoint local_endpoint() const { return listen_.gate->local_endpoint(); }
  const SocketStats& listen_stats() const { return listen_.stats; }
  // Upstream index (as the core's) -> its entry; nullptr when removed.
  const UpstreamEntry* upstream_entry(size_t index) const;
  const SocketStats* upstream_stats(size_t index) const;
  Time now() const { return clock_.Now(); }
  // Relay-in to relay-out delay of what reached the listening socket.
  const ForwardDelay& forward_delay() const { return forward_delay_; }

  // RelayIo
  void SendTo(std::span<const uint8_t> datagram, std::span<const uint8_t> peer) override;
  void SendUpstream(size_t index, std::span<const uint8_t> datagram) override;
  void SendToParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                   std::span<const uint8_t> peer) override;
  void FlushSends() override;

 private:
  struct Socket {
    Socket(boost::asio::io_context& io, size_t batch);
    std::unique_ptr<io::ReadGate> gate;
    io::SendBatch send;
    std::vector<std::array<uint8_t, kMaxDatagramSize>> buffers;
    std::vector<io::UdpEndpoint> destinations;
    SocketStats stats;
  };
  struct UpstreamSocket {
    UpstreamSocket(boost::asio::io_context& io, size_t batch) : socket(io, batch) {}
    UpstreamEntry entry;
    Socket socket;
  };

  RelayDriver(boost::asio::io_context& io, RelayDriverOptions options);
  absl::Status Open(Socket& s, const io::UdpEndpoint& local);
  absl::Status StartUpstream(const UpstreamEntry& entry);
  void WaitReadable(Socket& s, std::optional<size_t> upstream);
  void OnReadable(Socket& s, std::optional<size_t> upstream);
  void Drain(Socket& s, std::optional<size_t> upstream);
  // Queues `head` (copied) followed by `body` (sent in place; empty: a
  // one-part datagram) for `to`.
  void Queue(Socket& s, std::span<const uint8_t> head, std::span<const uint8_t> body,
             const io::UdpEndpoint& to);
  static std::optional<io::UdpEndpoint> EndpointOf(std::span<const uint8_t> peer);
  void Flush();
  // Sends what `s` has queued (and times the datagrams whose sends all left).
  void FlushSocket(Socket& s);
  void ArmTimer();
  void AfterHandler();

  static constexpr size_t kBatch = 256;
  boost::asio::io_context& io_;
  RelayDriverOptions options_;
  ArrivalClock clock_;  // datagrams are stamped with their kernel arrival
  Socket listen_;
  std::vector<std::unique_ptr<UpstreamSocket>> upstreams_;  // by core index; null: removed
  boost::asio::steady_timer timer_;
  std::optional<Time> timer_at_;
  std::optional<Time> last_fire_;
  io::RecvBatch recv_;
  // Arrival stamps of the datagrams this handler took in that caused sends
  // (bounded: one wake-up reads at most 16 x 64); timed at the flush.
  struct CausedSends {
    Time arrival;
    uint64_t last_send;  // listen_.stats.datagrams_out after its sends were queued
  };
  std::vector<CausedSends> caused_sends_;
  ForwardDelay forward_delay_;
  std::unique_ptr<Relay> relay_;
  bool closed_ = false;
};

}  // namespace hitless::relay
