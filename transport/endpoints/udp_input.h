// UdpInput (udp:// as input): receives datagrams on a bound UDP socket,
// unicast or multicast (a group address as the bind address joins it).
//
// One asynchronous readiness wait on the socket; when readable, up to
// kMaxBatchesPerWake recvmmsg batches (io::RecvBatch) are drained, each
// timestamped once, then the wait is re-armed (so one flooding socket cannot
// starve the rest of the loop). Datagrams larger than max_datagram are
// truncated by the kernel: they are counted (DropReason::kOversized) and
// dropped. SO_RCVBUF is raised (default 8 MiB; above net.core.rmem_max only
// with CAP_NET_ADMIN) and the effective size is reported.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "transport/base/clock.h"
#include "transport/endpoints/media.h"
#include "transport/endpoints/url.h"
#include "transport/io/batch_io.h"
#include "transport/io/endpoint.h"
#include "transport/io/read_gate.h"

namespace hitless::endpoints {

class UdpInput final : public MediaInput {
 public:
  static constexpr size_t kDefaultRcvbuf = 8 << 20;
  static constexpr size_t kDefaultMaxDatagram = 2048;
  static constexpr int kMaxBatchesPerWake = 16;
  static constexpr int kHoldBatch = 8;  // datagrams a stretched hold aims to find

  struct Options {
    io::UdpEndpoint local;  // bind here; a multicast group address = join it
    std::optional<boost::asio::ip::address> iface;  // multicast join interface (IPv4)
    size_t rcvbuf = kDefaultRcvbuf;
    size_t max_datagram = kDefaultMaxDatagram;
    size_t batch = 64;  // datagrams per recvmmsg
    // Read batching: after a wake-up that delivered datagrams, the socket
    // is read again this much later instead of on readiness, so a steady
    // stream costs one wake-up per `hold`, not one per datagram; a read that
    // finds nothing returns to readiness (an idle or sparse input is read
    // at once). Each datagram keeps its kernel arrival time (SO_TIMESTAMPNS),
    // so holding adds no jitter to the output: it spends up to `hold` of the
    // latency budget. Zero: read on readiness only.
    Duration hold = Duration::Milliseconds(2);
    // A slow stream is held longer, up to this: the hold stretches so that a
    // read finds about kHoldBatch datagrams (a 10 Mbit/s stream of 1316-byte
    // datagrams: 8 ms, so max_hold decides), which is a wake-up per several
    // datagrams instead of one per two. The owner bounds it by the latency
    // (it is spent from the budget). At most `hold` below it: no stretching.
    Duration max_hold = Duration::Milliseconds(2);
  };

  // Resolves the spec's host (blocking; startup only). Errors: unresolvable
  // host, iface given for a unicast address or an IPv6 group.
  static absl::StatusOr<Options> OptionsFromSpec(const UdpSpec& spec);

  explicit UdpInput(Options options);
  ~UdpInput() override;

  // Errors (Unavailable, naming the address): socket, bind, multicast join.
  absl::Status Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                     EndHandler on_end) override;
  void Stop() override;
  InputStats stats() const override { return stats_; }
  std::string Describe() const override;

  // The bound address (port 0 resolved) once started.
  std::optional<io::UdpEndpoint> local_endpoint() const;
  // SO_RCVBUF the kernel granted (0 before Start).
  size_t effective_rcvbuf() const { return effective_rcvbuf_; }

 private:
  void Arm();
  void OnReadable();
  size_t Drain();  // reads what is queued; returns the datagrams delivered

  Options options_;
  SteadyClock clock_;
  std::optional<boost::asio::ip::udp::socket> socket_;
  std::unique_ptr<io::ReadGate> gate_;  // the socket, once started
  std::optional<boost::asio::steady_timer> hold_timer_;
  Duration current_hold_;          // this hold (hold .. max_hold)
  std::optional<Time> last_read_;  // when the previous held read ran
  io::RecvBatch batch_;
  DatagramHandler on_datagram_;
  size_t effective_rcvbuf_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  InputStats stats_;
  LifetimeToken lifetime_;
};

}  // namespace hitless::endpoints
