// Implements udp_output.h.
#include "transport/endpoints/udp_output.h"

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/unicast.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "transport/base/status_macros.h"
#include "transport/endpoints/udp_resolve.h"
#include "transport/io/socket_options.h"

namespace hitless::endpoints {

namespace asio = boost::asio;

absl::StatusOr<UdpOutput::Options> UdpOutput::OptionsFromSpec(const UdpSpec& spec) {
  Options options;
  ASSIGN_OR_RETURN(options.destination, ResolveUdp(spec.host, spec.port));
  const asio::ip::address destination = options.destination.address();
  if (!spec.iface.empty()) {
    boost::system::error_code ec;
    const asio::ip::address iface = asio::ip::make_address(spec.iface, ec);
    if (ec || !iface.is_v4() || !destination.is_multicast() || !destination.is_v4()) {
      return absl::InvalidArgumentError(
          absl::StrCat("udp output ", io::FormatEndpoint(options.destination),
                       ": iface= applies to IPv4 multicast groups only (an IPv4 address)"));
    }
    options.iface = iface;
  }
  options.ttl = spec.ttl;
  if (spec.sndbuf) options.sndbuf = *spec.sndbuf;
  return options;
}

UdpOutput::UdpOutput(Options options)
    : options_(std::move(options)), batch_(options_.batch), slots_(options_.batch) {}

UdpOutput::~UdpOutput() { (void)Close(); }

absl::Status UdpOutput::Start(asio::io_context& io, EndHandler /*on_failure: UDP never fails*/) {
  if (io_ != nullptr) return absl::FailedPreconditionError("udp output: Start called twice");
  io_ = &io;
  const io::UdpEndpoint& to = options_.destination;
  auto fail = [&](const char* what, const boost::system::error_code& ec) {
    socket_.reset();
    return absl::UnavailableError(
        absl::StrCat("udp output ", io::FormatEndpoint(to), ": ", what, ": ", ec.message()));
  };
  boost::system::error_code ec;
  socket_.emplace(io);
  socket_->open(to.protocol(), ec);
  if (ec) return fail("cannot open a socket", ec);
  socket_->non_blocking(true, ec);
  if (ec) return fail("cannot make the socket non-blocking", ec);
  io::SetSocketBuffers(socket_->native_handle(), 0, options_.sndbuf);
  if (to.address().is_multicast()) {
    if (options_.ttl) socket_->set_option(asio::ip::multicast::hops(*options_.ttl), ec);
    if (ec) return fail("cannot set the multicast TTL", ec);
    if (options_.iface) {
      socket_->set_option(asio::ip::multicast::outbound_interface(options_.iface->to_v4()), ec);
      if (ec) return fail("cannot set the multicast interface", ec);
    }
  } else if (options_.ttl) {
    socket_->set_option(asio::ip::unicast::hops(*options_.ttl), ec);
    if (ec) return fail("cannot set the TTL", ec);
  }
  socket_->connect(to, ec);
  if (ec) return fail("cannot connect", ec);
  batch_.EnableGso(socket_->native_handle());  // where the kernel has UDP_SEGMENT
  return absl::OkStatus();
}

void UdpOutput::Write(std::span<const uint8_t> datagram, Time /*now*/) {
  if (closed_ || !socket_) {
    ++stats_.discarded_after_failure;
    return;
  }
  if (batch_.full()) Flush();
  std::vector<uint8_t>& slot = slots_[batch_.size()];
  slot.assign(datagram.begin(), datagram.end());
  batch_.Add(slot, nullptr);
  if (batch_.full()) {
    Flush();
  } else if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(*io_, [this, alive = lifetime_.Weak()] {
      if (alive.expired()) return;
      flush_posted_ = false;
      Flush();
    });
  }
}

void UdpOutput::Flush() {
  if (!socket_ || batch_.size() == 0) return;
  const size_t queued = batch_.size();
  const io::SendBatch::Sent sent = batch_.Flush(socket_->native_handle(), send_errors_);
  stats_.datagrams += sent.datagrams;
  stats_.bytes += sent.bytes;
  stats_.errors += queued - sent.datagrams;
}

absl::Status UdpOutput::Close() {
  if (closed_) return absl::OkStatus();
  Flush();
  closed_ = true;
  if (socket_) {
    boost::system::error_code ec;
    socket_->close(ec);
  }
  return absl::OkStatus();
}

std::optional<io::UdpEndpoint> UdpOutput::local_endpoint() const {
  if (!socket_ || !socket_->is_open()) return std::nullopt;
  boost::system::error_code ec;
  io::UdpEndpoint endpoint = socket_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return endpoint;
}

std::string UdpOutput::Describe() const {
  return absl::StrCat("udp://", io::FormatEndpoint(options_.destination));
}

}  // namespace hitless::endpoints
