#include "transport/io/connection_driver.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
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

std::span<const uint8_t> AddressBytes(const UdpEndpoint& e) {
  return {reinterpret_cast<const uint8_t*>(e.data()), e.size()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionDriver>> ConnectionDriver::Create(
    boost::asio::io_context& io, ConnectionDriverOptions options, session::MediaSink* media) {
  std::unique_ptr<ConnectionDriver> d(new ConnectionDriver(io, std::move(options)));
  boost::system::error_code ec;
  d->socket_.open(d->options_.local.protocol(), ec);
  if (!ec) d->socket_.non_blocking(true, ec);
  if (!ec) d->socket_.bind(d->options_.local, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrFormat("cannot bind UDP %s: %s", FormatEndpoint(d->options_.local), ec.message()));
  }
  SetSocketBuffers(d->socket_.native_handle(), d->options_.socket_buffer_bytes,
                   d->options_.socket_buffer_bytes);
  d->peer_ = d->options_.remote;
  auto connection =
      session::Connection::Create(d->options_.connection, d->clock_.Now(), d.get(), media);
  if (!connection.ok()) return connection.status();
  d->connection_ = *std::move(connection);
  d->last_state_ = d->connection_->state();
  d->WaitReadable();
  d->AfterHandler();
  return d;
}

ConnectionDriver::ConnectionDriver(boost::asio::io_context& io, ConnectionDriverOptions options)
    : io_(io),
      options_(std::move(options)),
      socket_(io),
      timer_(io),
      recv_(kBatch, 2048),
      send_(kBatch),
      send_buffers_(kBatch),
      send_destinations_(kBatch),
      reply_(kMaxDatagramSize) {}

ConnectionDriver::~ConnectionDriver() = default;

UdpEndpoint ConnectionDriver::local_endpoint() const {
  boost::system::error_code ec;
  return socket_.local_endpoint(ec);
}

void ConnectionDriver::WaitReadable() {
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (ec || closed_) return;
                       OnReadable();
                       WaitReadable();
                     });
}

void ConnectionDriver::OnReadable() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < 16; ++round) {  // bounded: let timers run too
    const int n = recv_.Receive(fd);
    if (n < 0) {
      ++stats_.receive_errors;  // e.g. ECONNREFUSED from an ICMP error
      continue;
    }
    if (n == 0) break;
    const Time now = clock_.Now();
    for (int i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {
        ++stats_.truncated_in;
        continue;
      }
      const auto data = recv_.data(i);
      ++stats_.datagrams_in;
      stats_.bytes_in += data.size();
      const UdpEndpoint source = recv_.source(i);
      const session::DatagramResult r =
          connection_->OnDatagram(data, AddressBytes(source), now, reply_);
      if (r.adopt_source_as_peer) peer_ = source;
      if (r.reply_size > 0) SendTo(std::span<const uint8_t>(reply_).first(r.reply_size), source);
    }
    if (static_cast<size_t>(n) < recv_.capacity()) break;
  }
  AfterHandler();
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

void ConnectionDriver::OnMedia(std::span<const uint8_t> payload) {
  connection_->OnMedia(payload, clock_.Now());
  ScheduleFlush();
}

void ConnectionDriver::SendDatagram(std::span<const uint8_t> datagram, uint8_t /*path_id*/) {
  if (!peer_) {
    ++stats_.no_peer;
    return;
  }
  SendTo(datagram, *peer_);
}

void ConnectionDriver::SendTo(std::span<const uint8_t> datagram, const UdpEndpoint& to) {
  if (send_.full()) Flush();
  const size_t slot = send_.size();
  const size_t size = std::min(datagram.size(), send_buffers_[slot].size());
  std::memcpy(send_buffers_[slot].data(), datagram.data(), size);
  send_destinations_[slot] = to;
  send_.Add(std::span<const uint8_t>(send_buffers_[slot].data(), size), &send_destinations_[slot]);
  ++stats_.datagrams_out;
  stats_.bytes_out += size;
}

void ConnectionDriver::Flush() {
  if (send_.size() > 0) send_.Flush(socket_.native_handle(), stats_.send_errors);
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
  if (!next) return;
  // At high packet rates every packet's release would be a wake-up of its
  // own; waking at most once per kTimerSlack releases the few packets due
  // in that span together (at most kTimerSlack late, well inside the
  // latency tolerance) and sends them in one sendmmsg.
  if (last_fire_) next = std::max(*next, *last_fire_ + kTimerSlack);
  if (timer_at_ && *timer_at_ == *next) return;
  timer_at_ = next;
  timer_.expires_at(ToSteady(*next));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || closed_) return;
    timer_at_.reset();
    const Time now = clock_.Now();
    last_fire_ = now;
    connection_->OnTimer(now);
    AfterHandler();
  });
}

void ConnectionDriver::Close() {
  if (closed_) return;
  connection_->Close(clock_.Now());
  Flush();
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.close(ec);
}

}  // namespace hitless::io
