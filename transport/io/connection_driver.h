// ConnectionDriver: runs a session::Connection on a real UDP socket.
//
// The only place where the I/O-free Connection meets the network: it owns
// the UDP socket (non-blocking, big buffers), drains it with recvmmsg
// batches when readable (reading the clock once per batch), hands each
// datagram to the Connection with its source address, sends handshake
// replies back to their source and session traffic to the peer (fixed for a
// caller; adopted from the accepted handshake, and followed across NAT
// rebinding, for a listener), batching sends with sendmmsg and flushing at
// the end of each handler. One steady_timer is kept armed at the
// Connection's NextWakeup().
// Read batching: a socket that delivered a batch (two or more datagrams) is
// read again kReadHold (2 ms) later by the wake-up timer instead of on readiness
// (its descriptor sits in a ReadGate, so arrivals in between wake nothing):
// a 100 Mbit/s stream costs one wake-up per hold, not one per packet.
// A read that finds less returns the socket to readiness, so sparse traffic
// (control packets, a low rate) is read at once.
// Multipath: a caller has one socket per path (its own local bind, e.g. one
// per NIC or ISP, and its own remote address); session datagrams go out on
// the socket of their path id and whatever arrives on a path's socket is
// that path's. A listener has one socket and follows one peer address per
// path id (the Connection says which, DatagramResult::path_id).
// State: sockets, peer addresses, send batch storage, the Connection,
// counters. Timers: the wake-up timer.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/base/clock.h"
#include "transport/io/batch_io.h"
#include "transport/io/endpoint.h"
#include "transport/io/read_gate.h"
#include "transport/session/connection.h"
#include "transport/wire/header.h"

namespace hitless::io {

// One more path of a multipath caller: where to bind and whom to call.
struct PathEndpoints {
  UdpEndpoint local;  // port 0: ephemeral
  UdpEndpoint remote;
};

struct ConnectionDriverOptions {
  UdpEndpoint local;                  // bind address (port 0: ephemeral); path 0
  std::optional<UdpEndpoint> remote;  // caller: where to call; path 0
  // Caller: paths 1, 2, ... (connection.paths sets the mode; its path_count
  // must be 1 + extra_paths.size()).
  std::vector<PathEndpoints> extra_paths;
  session::ConnectionConfig connection;
  size_t socket_buffer_bytes = 8 << 20;
};

struct PathIoStats {
  uint64_t datagrams_in = 0;
  uint64_t bytes_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t bytes_out = 0;
};

struct DriverStats {
  uint64_t datagrams_in = 0;
  uint64_t bytes_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t bytes_out = 0;
  uint64_t truncated_in = 0;  // larger than any Hitless datagram: dropped
  uint64_t receive_errors = 0;
  uint64_t receive_refused = 0;  // of which ECONNREFUSED: the peer's port is closed
  uint64_t no_peer = 0;          // session traffic before a peer was known: dropped
  uint64_t oversized_out = 0;    // longer than kMaxDatagramSize: dropped, never cut short
  SendErrorCounters send_errors;
  std::array<PathIoStats, kMaxPaths> paths;  // by path id (caller: by socket)
};

class ConnectionDriver final : public session::DatagramSink {
 public:
  // Opens and binds the socket and creates the Connection (a caller sends
  // its first handshake packet at once). Errors: bind/socket failures,
  // invalid connection configuration.
  static absl::StatusOr<std::unique_ptr<ConnectionDriver>> Create(boost::asio::io_context& io,
                                                                  ConnectionDriverOptions options,
                                                                  session::MediaSink* media);
  ~ConnectionDriver() override;
  ConnectionDriver(const ConnectionDriver&) = delete;
  ConnectionDriver& operator=(const ConnectionDriver&) = delete;

  // Media to send (publisher); sent now, flushed at the end of the handler,
  // stamped with `arrived` (when it reached the input; see
  // SenderSession::OnMedia).
  void OnMedia(std::span<const uint8_t> payload, std::optional<Time> arrived = {});
  // Sends SHUTDOWN to the peer (if connected), flushes, closes the socket.
  void Close();
  // Called (from a handler) whenever the connection's state changes, e.g. to
  // start a media input only once a session is up.
  void SetStateHandler(std::function<void(session::ConnectionState)> handler) {
    state_handler_ = std::move(handler);
  }

  const session::Connection& connection() const { return *connection_; }
  const DriverStats& stats() const { return stats_; }
  // UDP GSO on the session's sockets (SendBatch::EnableGso), summed.
  uint64_t gro_messages() const { return recv_.gro_messages(); }
  uint64_t gro_datagrams() const { return recv_.gro_datagrams(); }
  SendBatch::GsoStats gso_stats() const {
    SendBatch::GsoStats g;
    for (const auto& s : sockets_) {
      g.messages += s->send.gso_stats().messages;
      g.segments += s->send.gso_stats().segments;
      g.fallbacks += s->send.gso_stats().fallbacks;
    }
    return g;
  }
  // Path 0's socket.
  UdpEndpoint local_endpoint() const;
  // Path 0's peer.
  const std::optional<UdpEndpoint>& peer() const { return peers_[0]; }
  const std::optional<UdpEndpoint>& peer(uint8_t path) const { return peers_[path]; }
  size_t socket_count() const { return sockets_.size(); }

  // session::DatagramSink: session traffic to the peer.
  void SendDatagram(std::span<const uint8_t> datagram, uint8_t path_id) override;

 private:
  ConnectionDriver(boost::asio::io_context& io, ConnectionDriverOptions options);
  // One UDP socket and its pending sends.
  struct PathSocket {
    PathSocket(boost::asio::io_context& io, size_t batch);
    boost::asio::ip::udp::socket socket;  // until opened and configured
    std::unique_ptr<ReadGate> gate;       // then the socket's descriptor
    std::optional<Time> read_at;          // held: read again then (no readiness wait)
    SendBatch send;
    std::vector<std::array<uint8_t, kMaxDatagramSize>> buffers;
    std::vector<UdpEndpoint> destinations;
  };

  absl::Status OpenSocket(PathSocket& s, const UdpEndpoint& local);
  static void DrainErrorQueue(int fd);
  void WaitReadable(size_t socket);
  void OnReadable(size_t socket);
  // Reads what is queued on `socket`, hands it to the connection; returns
  // the datagrams read. Then holds the socket (a batch came: read again
  // after kReadHold) or waits for readiness.
  size_t Drain(size_t socket);
  void HoldOrWait(size_t socket, size_t read, Time now);
  void SendTo(size_t socket, std::span<const uint8_t> datagram, const UdpEndpoint& to);
  void Flush();
  void ScheduleFlush();
  void ArmTimer();
  // Runs after every handler: flush, re-arm the timer, report state changes.
  void AfterHandler();

  boost::asio::io_context& io_;
  ConnectionDriverOptions options_;
  ArrivalClock clock_;  // datagrams are stamped with their kernel arrival
  // Caller: one per path (index = path id). Listener: one.
  std::vector<std::unique_ptr<PathSocket>> sockets_;
  boost::asio::steady_timer timer_;
  std::optional<Time> timer_at_;
  std::optional<Time> last_fire_;  // when the wake-up timer last ran
  std::unique_ptr<session::Connection> connection_;
  // Where each path's session traffic goes (caller: the remote addresses).
  std::array<std::optional<UdpEndpoint>, kMaxPaths> peers_;
  bool caller_ = false;
  RecvBatch recv_;
  static constexpr size_t kBatch = 64;
  bool flush_posted_ = false;
  std::vector<uint8_t> reply_;
  DriverStats stats_;
  bool closed_ = false;
  session::ConnectionState last_state_;
  std::function<void(session::ConnectionState)> state_handler_;
};

}  // namespace hitless::io
