// UdpOutput (udp:// as output): sends datagrams to one unicast or multicast
// destination from a connected, non-blocking UDP socket.
//
// Write copies the datagram into one of `batch` slots and queues it in an
// io::SendBatch; the batch goes out with one sendmmsg when full, and at the
// end of the current io_context handler (Write posts one flush per batch),
// so a burst delivered in one handler leaves in one system call. The send
// path never blocks: when the socket buffer is full the rest of the batch is
// dropped and counted (io::SendErrorCounters, `errors` in stats). Multicast:
// `ttl` sets the hop limit (kernel default 1), `iface` the sending
// interface; unicast `ttl` sets IP_TTL.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <optional>
#include <vector>

#include "transport/endpoints/media.h"
#include "transport/endpoints/url.h"
#include "transport/io/batch_io.h"
#include "transport/io/endpoint.h"

namespace hitless::endpoints {

class UdpOutput final : public MediaOutput {
 public:
  static constexpr size_t kDefaultSndbuf = 4 << 20;

  struct Options {
    io::UdpEndpoint destination;
    std::optional<boost::asio::ip::address> iface;  // multicast sending interface (IPv4)
    std::optional<int> ttl;                         // 0..255
    size_t sndbuf = kDefaultSndbuf;
    size_t batch = 64;  // datagrams per sendmmsg
  };

  // Resolves the spec's host (blocking; startup only). Errors: unresolvable
  // host, iface for a non-IPv4-multicast destination.
  static absl::StatusOr<Options> OptionsFromSpec(const UdpSpec& spec);

  explicit UdpOutput(Options options);
  ~UdpOutput() override;

  // Errors (Unavailable, naming the destination): socket, options, connect.
  absl::Status Start(boost::asio::io_context& io, EndHandler on_failure) override;
  void Write(std::span<const uint8_t> datagram, Time now) override;
  void Flush() override;
  absl::Status Close() override;
  OutputStats stats() const override { return stats_; }
  std::string Describe() const override;

  const io::SendErrorCounters& send_errors() const { return send_errors_; }
  std::optional<io::UdpEndpoint> local_endpoint() const;

 private:
  Options options_;
  boost::asio::io_context* io_ = nullptr;
  std::optional<boost::asio::ip::udp::socket> socket_;
  io::SendBatch batch_;
  std::vector<std::vector<uint8_t>> slots_;  // copies of queued datagrams
  io::SendErrorCounters send_errors_;
  bool flush_posted_ = false;
  bool closed_ = false;
  OutputStats stats_;
  LifetimeToken lifetime_;
};

}  // namespace hitless::endpoints
