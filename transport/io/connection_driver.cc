#include "transport/io/connection_driver.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
#include "transport/base/status_macros.h"
#include "transport/io/socket_options.h"
#include "transport/wire/header.h"

namespace hitless::io {
namespace {

std::chrono::steady_clock::time_point ToSteady(Time t) {
  // SteadyClock and std::chrono::steady_clock both read CLOCK_MONOTONIC.
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t.ToNanoseconds()));
}

// See ArmTimer.
constexpr Duration kTimerSlack = Duration::Microseconds(250);
constexpr Duration kReadHold = Duration::Milliseconds(2);

std::span<const uint8_t> AddressBytes(const UdpEndpoint& e) {
  return {reinterpret_cast<const uint8_t*>(e.data()), e.size()};
}

}  // namespace

ConnectionDriver::PathSocket::PathSocket(boost::asio::io_context& io, size_t batch)
    : socket(io), send(batch), buffers(batch), destinations(batch) {}

absl::Status ConnectionDriver::OpenSocket(PathSocket& s, const UdpEndpoint& local) {
  boost::system::error_code ec;
  s.socket.open(local.protocol(), ec);
  if (!ec) s.socket.non_blocking(true, ec);
  if (!ec) s.socket.bind(local, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrFormat("cannot bind UDP %s: %s", FormatEndpoint(local), ec.message()));
  }
  SetSocketBuffers(s.socket.native_handle(), options_.socket_buffer_bytes,
                   options_.socket_buffer_bytes);
  if (options_.connection.role == session::Role::kCaller) {
    // A caller's socket is not connected (replies may come from another
    // address of a multi-homed listener), so Linux reports ICMP errors such
    // as "port unreachable" only with IP_RECVERR: then a receive fails with
    // ECONNREFUSED and the user is told there is no listener.
    const int on = 1;
    if (local.address().is_v4()) {
      ::setsockopt(s.socket.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
    } else {
      ::setsockopt(s.socket.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    }
  }
  auto gate = ReadGate::Take(io_, s.socket);
  if (!gate.ok()) return gate.status();
  s.gate = *std::move(gate);
  s.send.EnableGso(s.gate->fd());  // where the kernel has UDP_SEGMENT
  recv_.EnableGro(s.gate->fd());   // and UDP_GRO
  // Reads wait up to kReadHold to batch: each datagram keeps its arrival.
  recv_.EnableArrivalTimes(s.gate->fd());
  return absl::OkStatus();
}

void ConnectionDriver::DrainErrorQueue(int fd) {
  // The ICMP errors IP_RECVERR queues take receive-buffer space: read them.
  std::array<uint8_t, 512> data;
  std::array<uint8_t, 512> control;
  for (int i = 0; i < 64; ++i) {
    ::iovec iov{data.data(), data.size()};
    ::msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
  }
}

absl::StatusOr<std::unique_ptr<ConnectionDriver>> ConnectionDriver::Create(
    boost::asio::io_context& io, ConnectionDriverOptions options, session::MediaSink* media) {
  std::unique_ptr<ConnectionDriver> d(new ConnectionDriver(io, std::move(options)));
  const ConnectionDriverOptions& o = d->options_;
  d->caller_ = o.connection.role == session::Role::kCaller;
  const size_t paths = 1 + o.extra_paths.size();
  if (paths > kMaxPaths) return absl::InvalidArgumentError("at most 8 paths");
  if (!d->caller_ && !o.extra_paths.empty()) {
    return absl::InvalidArgumentError(
        "extra paths are for a caller; a listener accepts every path on one socket");
  }
  const int configured = o.connection.paths ? o.connection.paths->path_count : 1;
  if (d->caller_ && static_cast<size_t>(configured) != paths) {
    return absl::InvalidArgumentError("multipath path count differs from the paths given");
  }
  for (size_t p = 0; p < paths; ++p) {
    d->sockets_.push_back(std::make_unique<PathSocket>(io, kBatch));
    RETURN_IF_ERROR(
        d->OpenSocket(*d->sockets_.back(), p == 0 ? o.local : o.extra_paths[p - 1].local));
  }
  d->peers_[0] = o.remote;
  for (size_t p = 1; p < paths; ++p) d->peers_[p] = o.extra_paths[p - 1].remote;
  auto connection =
      session::Connection::Create(d->options_.connection, d->clock_.Now(), d.get(), media);
  if (!connection.ok()) return connection.status();
  d->connection_ = *std::move(connection);
  d->last_state_ = d->connection_->state();
  for (size_t p = 0; p < paths; ++p) d->WaitReadable(p);
  d->AfterHandler();
  return d;
}

ConnectionDriver::ConnectionDriver(boost::asio::io_context& io, ConnectionDriverOptions options)
    : io_(io),
      options_(std::move(options)),
      timer_(io),
      // 64 KB buffers: with UDP GRO a message holds up to 64 datagrams.
      recv_(kBatch, 65536),
      reply_(kMaxDatagramSize) {}

ConnectionDriver::~ConnectionDriver() = default;

UdpEndpoint ConnectionDriver::local_endpoint() const { return sockets_[0]->gate->local_endpoint(); }

void ConnectionDriver::WaitReadable(size_t socket) {
  sockets_[socket]->gate->Wait([this, socket] {
    if (!closed_) OnReadable(socket);
  });
}

void ConnectionDriver::OnReadable(size_t socket) {
  const size_t read = Drain(socket);
  HoldOrWait(socket, read, clock_.Now());
  AfterHandler();
}

void ConnectionDriver::HoldOrWait(size_t socket, size_t read, Time now) {
  if (read >= 2) {
    sockets_[socket]->read_at = now + kReadHold;
  } else {
    sockets_[socket]->read_at.reset();
    WaitReadable(socket);
  }
}

size_t ConnectionDriver::Drain(size_t socket) {
  const int fd = sockets_[socket]->gate->fd();
  size_t read = 0;
  for (int round = 0; round < 16; ++round) {  // bounded: let timers run too
    const int n = recv_.Receive(fd);
    if (n < 0) {
      ++stats_.receive_errors;  // e.g. ECONNREFUSED from an ICMP error
      if (n == -ECONNREFUSED) ++stats_.receive_refused;
      DrainErrorQueue(fd);
      continue;
    }
    if (n == 0) break;
    read += static_cast<size_t>(n);
    const io::RecvBatch::Clocks clocks = io::RecvBatch::ReadClocks(clock_.Now());
    for (int i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {
        ++stats_.truncated_in;
        continue;
      }
      const auto data = recv_.data(i);
      ++stats_.datagrams_in;
      stats_.bytes_in += data.size();
      // A caller knows the path by the socket; a listener by the header.
      const size_t path = caller_ ? socket : (data.size() > 3 ? data[3] % kMaxPaths : 0);
      ++stats_.paths[path].datagrams_in;
      stats_.paths[path].bytes_in += data.size();
      const UdpEndpoint source = recv_.source(i);
      const session::DatagramResult r = connection_->OnDatagram(
          data, AddressBytes(source), clock_.Arrival(recv_.arrival(i, clocks)), reply_);
      if (r.adopt_source_as_peer && !caller_) peers_[r.path_id] = source;
      if (r.reply_size > 0) {
        SendTo(socket, std::span<const uint8_t>(reply_).first(r.reply_size), source);
      }
    }
    if (static_cast<size_t>(n) < recv_.capacity()) break;
  }
  return read;
}

void ConnectionDriver::AfterHandler() {
  Flush();
  ArmTimer();
  const session::ConnectionState state = connection_->state();
  if (state != last_state_) {
    last_state_ = state;
    if (state_handler_) state_handler_(state);
  }
}

void ConnectionDriver::OnMedia(std::span<const uint8_t> payload, std::optional<Time> arrived) {
  connection_->OnMedia(payload, clock_.Now(), arrived);
  ScheduleFlush();
}

void ConnectionDriver::SendDatagram(std::span<const uint8_t> datagram, uint8_t path_id) {
  if (path_id >= kMaxPaths || !peers_[path_id]) {
    ++stats_.no_peer;
    return;
  }
  const size_t socket = caller_ && path_id < sockets_.size() ? path_id : 0;
  ++stats_.paths[path_id].datagrams_out;
  stats_.paths[path_id].bytes_out += datagram.size();
  SendTo(socket, datagram, *peers_[path_id]);
}

void ConnectionDriver::SendTo(size_t socket, std::span<const uint8_t> datagram,
                              const UdpEndpoint& to) {
  PathSocket& s = *sockets_[socket];
  if (datagram.size() > kMaxDatagramSize) {
    // The sessions never build one; a truncated datagram would be corrupt.
    ++stats_.oversized_out;
    return;
  }
  if (s.send.full()) s.send.Flush(s.gate->fd(), stats_.send_errors);
  const size_t slot = s.send.size();
  const size_t size = datagram.size();
  std::memcpy(s.buffers[slot].data(), datagram.data(), size);
  s.destinations[slot] = to;
  s.send.Add(std::span<const uint8_t>(s.buffers[slot].data(), size), &s.destinations[slot]);
  ++stats_.datagrams_out;
  stats_.bytes_out += size;
}

void ConnectionDriver::Flush() {
  for (const auto& s : sockets_) {
    if (s->send.size() > 0) s->send.Flush(s->gate->fd(), stats_.send_errors);
  }
}

void ConnectionDriver::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(io_, [this] {
    flush_posted_ = false;
    if (closed_) return;
    AfterHandler();
  });
}

void ConnectionDriver::ArmTimer() {
  if (closed_) return;
  std::optional<Time> next = connection_->NextWakeup();
  for (const auto& s : sockets_) {
    if (s->read_at) next = next ? std::min(*next, *s->read_at) : *s->read_at;
  }
  if (!next) return;
  // At high packet rates every packet's release would be a wake-up of its
  // own; waking at most once per kTimerSlack releases the few packets due
  // in that span together (at most kTimerSlack late, well inside the
  // latency tolerance) and sends them in one sendmmsg.
  if (last_fire_) next = std::max(*next, *last_fire_ + kTimerSlack);
  // Re-arming costs a timerfd_settime and a cancelled wait: keep an armed
  // timer unless the connection needs to wake earlier than it (by more than
  // the slack). A timer that fires early finds nothing due, and re-arms.
  if (timer_at_ && *timer_at_ <= *next + kTimerSlack) return;
  timer_at_ = next;
  timer_.expires_at(ToSteady(*next));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || closed_) return;
    timer_at_.reset();
    const Time now = clock_.Now();
    last_fire_ = now;
    for (size_t i = 0; i < sockets_.size(); ++i) {
      const auto& read_at = sockets_[i]->read_at;
      // A wake-up for something else in the second half of the hold reads
      // the socket too (one wake instead of two).
      if (read_at && *read_at <= now + kReadHold / 2) HoldOrWait(i, Drain(i), now);
    }
    connection_->OnTimer(now);
    AfterHandler();
  });
}

void ConnectionDriver::Close() {
  if (closed_) return;
  connection_->Close(clock_.Now());
  Flush();
  closed_ = true;
  timer_.cancel();
  for (const auto& sock : sockets_) sock->gate->Close();
}

}  // namespace hitless::io
