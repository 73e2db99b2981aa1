// Implements udp_input.h.
#include "transport/endpoints/udp_input.h"

#include <algorithm>
#include <boost/asio/ip/multicast.hpp>

#include "absl/strings/str_cat.h"
#include "transport/base/status_macros.h"
#include "transport/endpoints/udp_resolve.h"
#include "transport/io/socket_options.h"

namespace hitless::endpoints {

namespace asio = boost::asio;

absl::StatusOr<UdpInput::Options> UdpInput::OptionsFromSpec(const UdpSpec& spec) {
  Options options;
  ASSIGN_OR_RETURN(options.local, ResolveUdp(spec.host, spec.port));
  if (!spec.iface.empty()) {
    boost::system::error_code ec;
    const asio::ip::address iface = asio::ip::make_address(spec.iface, ec);
    const asio::ip::address local = options.local.address();
    if (ec || !iface.is_v4() || !local.is_multicast() || !local.is_v4()) {
      return absl::InvalidArgumentError(
          absl::StrCat("udp input ", spec.host, ":", spec.port,
                       ": iface= applies to IPv4 multicast groups only (an IPv4 address)"));
    }
    options.iface = iface;
  }
  if (spec.rcvbuf) options.rcvbuf = *spec.rcvbuf;
  return options;
}

UdpInput::UdpInput(Options options)
    : options_(std::move(options)), batch_(options_.batch, options_.max_datagram) {}

UdpInput::~UdpInput() { Stop(); }

absl::Status UdpInput::Start(asio::io_context& io, DatagramHandler on_datagram,
                             EndHandler /*on_end: a UDP input never ends by itself*/) {
  if (started_) return absl::FailedPreconditionError("udp input: Start called twice");
  started_ = true;
  on_datagram_ = std::move(on_datagram);
  const io::UdpEndpoint& local = options_.local;
  const asio::ip::address group = local.address();
  const bool multicast = group.is_multicast();
  auto fail = [&](const char* what, const boost::system::error_code& ec) {
    socket_.reset();
    return absl::UnavailableError(
        absl::StrCat("udp input ", io::FormatEndpoint(local), ": ", what, ": ", ec.message()));
  };
  boost::system::error_code ec;
  socket_.emplace(io);
  socket_->open(local.protocol(), ec);
  if (ec) return fail("cannot open a socket", ec);
  if (multicast) {
    // Several receivers of one group on this host must be able to share it.
    socket_->set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("SO_REUSEADDR", ec);
  }
  socket_->non_blocking(true, ec);
  if (ec) return fail("cannot make the socket non-blocking", ec);
  effective_rcvbuf_ = io::SetSocketBuffers(socket_->native_handle(), options_.rcvbuf, 0).receive;
  socket_->bind(local, ec);
  if (ec) return fail("cannot bind", ec);
  if (multicast) {
    if (group.is_v4()) {
      const asio::ip::address_v4 iface =
          options_.iface ? options_.iface->to_v4() : asio::ip::address_v4::any();
      socket_->set_option(asio::ip::multicast::join_group(group.to_v4(), iface), ec);
    } else {
      socket_->set_option(asio::ip::multicast::join_group(group), ec);
    }
    if (ec) return fail("cannot join the multicast group", ec);
  }
  // Without kernel arrival stamps a held datagram would be stamped late:
  // then read on readiness only.
  if (!batch_.EnableArrivalTimes(socket_->native_handle())) options_.hold = Duration::Zero();
  auto gate = io::ReadGate::Take(io, *socket_);
  socket_.reset();
  if (!gate.ok()) {
    return absl::UnavailableError(
        absl::StrCat("udp input ", io::FormatEndpoint(local), ": ", gate.status().message()));
  }
  gate_ = *std::move(gate);
  hold_timer_.emplace(io);
  Arm();
  return absl::OkStatus();
}

void UdpInput::Stop() {
  stopped_ = true;
  if (hold_timer_) hold_timer_->cancel();
  if (gate_) gate_->Close();  // cancels the pending wait; nothing to report
}

std::optional<io::UdpEndpoint> UdpInput::local_endpoint() const {
  if (!gate_ || gate_->fd() < 0) return std::nullopt;
  io::UdpEndpoint endpoint = gate_->local_endpoint();
  if (endpoint.size() == 0) return std::nullopt;
  return endpoint;
}

void UdpInput::Arm() {
  gate_->Wait([this] {
    if (!stopped_) OnReadable();
  });
}

void UdpInput::OnReadable() {
  const size_t delivered = Drain();
  if (stopped_) return;
  const Time now = clock_.Now();
  if (delivered == 0 || options_.hold <= Duration::Zero()) {
    last_read_.reset();
    Arm();
    return;
  }
  // Datagrams are flowing: read again after the hold rather than on the next
  // one's readiness (one wake-up per hold instead of one per datagram). A
  // slow stream's hold stretches to find about kHoldBatch datagrams.
  current_hold_ = options_.hold;
  if (last_read_ && options_.max_hold > options_.hold) {
    const Duration per_datagram = (now - *last_read_) / static_cast<int64_t>(delivered);
    current_hold_ = std::clamp(per_datagram * kHoldBatch, options_.hold, options_.max_hold);
  }
  last_read_ = now;
  hold_timer_->expires_after(std::chrono::nanoseconds(current_hold_.ToNanoseconds()));
  hold_timer_->async_wait([this, alive = lifetime_.Weak()](const boost::system::error_code& ec) {
    if (ec || alive.expired() || stopped_) return;
    OnReadable();
  });
}

size_t UdpInput::Drain() {
  const int fd = gate_->fd();
  size_t delivered = 0;
  for (int round = 0; round < kMaxBatchesPerWake; ++round) {
    const int n = batch_.Receive(fd);
    if (n < 0) {
      ++stats_.errors;  // e.g. a pending ICMP error; the socket stays usable
      break;
    }
    if (n == 0) break;
    const io::RecvBatch::Clocks clocks = io::RecvBatch::ReadClocks(clock_.Now());
    for (int i = 0; i < n; ++i) {
      if (batch_.truncated(static_cast<size_t>(i))) {
        stats_.drops.Count(DropReason::kOversized);
        continue;
      }
      const std::span<const uint8_t> data = batch_.data(static_cast<size_t>(i));
      ++stats_.datagrams;
      ++delivered;
      stats_.bytes += data.size();
      on_datagram_(data, batch_.arrival(static_cast<size_t>(i), clocks));
      if (stopped_) return delivered;
    }
    if (static_cast<size_t>(n) < batch_.capacity()) break;
  }
  return delivered;
}

std::string UdpInput::Describe() const {
  const auto local = local_endpoint();
  return absl::StrCat("udp://", options_.local.address().is_multicast() ? "@" : "",
                      io::FormatEndpoint(local ? *local : options_.local));
}

}  // namespace hitless::endpoints
