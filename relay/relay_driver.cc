// RelayDriver: the relay core on UDP sockets (see relay_driver.h).
#include "relay/relay_driver.h"

#include <algorithm>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
#include "transport/base/bug.h"
#include "transport/base/status_macros.h"
#include "transport/io/socket_options.h"

namespace hitless::relay {
namespace {

std::chrono::steady_clock::time_point ToSteady(Time t) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t.ToNanoseconds()));
}

// Timer wake-ups at most this often (see ConnectionDriver::ArmTimer).
constexpr Duration kTimerSlack = Duration::Microseconds(250);

std::span<const uint8_t> AddressBytes(const io::UdpEndpoint& e) {
  return {reinterpret_cast<const uint8_t*>(e.data()), e.size()};
}

}  // namespace

RelayDriver::Socket::Socket(boost::asio::io_context&, size_t batch)
    : send(batch), buffers(batch), destinations(batch) {}

RelayDriver::RelayDriver(boost::asio::io_context& io, RelayDriverOptions options)
    : io_(io),
      options_(std::move(options)),
      listen_(io, kBatch),
      timer_(io),
      recv_(64, kMaxDatagramSize + 1) {}

RelayDriver::~RelayDriver() = default;

absl::Status RelayDriver::Open(Socket& s, const io::UdpEndpoint& local) {
  boost::asio::ip::udp::socket socket(io_);
  boost::system::error_code ec;
  socket.open(local.protocol(), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) socket.bind(local, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrFormat("cannot bind UDP %s: %s", io::FormatEndpoint(local), ec.message()));
  }
  io::SetSocketBuffers(socket.native_handle(), options_.socket_buffer_bytes,
                       options_.socket_buffer_bytes);
  ASSIGN_OR_RETURN(s.gate, io::ReadGate::Take(io_, socket));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RelayDriver>> RelayDriver::Create(boost::asio::io_context& io,
                                                                 RelayDriverOptions options) {
  std::unique_ptr<RelayDriver> d(new RelayDriver(io, std::move(options)));
  RETURN_IF_ERROR(d->Open(d->listen_, d->options_.listen));
  // Kernel arrival stamps: the relay-in to relay-out delay counts from there.
  d->recv_.EnableArrivalTimes(d->listen_.gate->fd());
  d->caused_sends_.reserve(16 * 64);
  ASSIGN_OR_RETURN(d->relay_, Relay::Create(d->options_.config, d->clock_.Now(), d.get()));
  for (const UpstreamEntry& e : d->options_.upstreams) RETURN_IF_ERROR(d->StartUpstream(e));
  d->WaitReadable(d->listen_, std::nullopt);
  d->AfterHandler();
  return d;
}

absl::Status RelayDriver::StartUpstream(const UpstreamEntry& entry) {
  auto up = std::make_unique<UpstreamSocket>(io_, 64);
  up->entry = entry;
  const io::UdpEndpoint any = entry.address.address().is_v4()
                                  ? io::UdpEndpoint(boost::asio::ip::address_v4::any(), 0)
                                  : io::UdpEndpoint(boost::asio::ip::address_v6::any(), 0);
  RETURN_IF_ERROR(Open(up->socket, any));
  recv_.EnableArrivalTimes(up->socket.gate->fd());
  // The socket must exist before the core's first SendUpstream.
  const size_t expected = relay_->upstream_count();
  if (upstreams_.size() < expected + 1) upstreams_.resize(expected + 1);
  upstreams_[expected] = std::move(up);
  auto index = relay_->AddUpstream(entry.upstream, clock_.Now());
  if (!index.ok()) {
    upstreams_[expected]->socket.gate->Close();
    upstreams_[expected].reset();
    return index.status();
  }
  if (*index != expected) HITLESS_BUG("upstream index mismatch");
  WaitReadable(upstreams_[*index]->socket, *index);
  return absl::OkStatus();
}

const UpstreamEntry* RelayDriver::upstream_entry(size_t index) const {
  return index < upstreams_.size() && upstreams_[index] ? &upstreams_[index]->entry : nullptr;
}

const SocketStats* RelayDriver::upstream_stats(size_t index) const {
  return index < upstreams_.size() && upstreams_[index] ? &upstreams_[index]->socket.stats
                                                        : nullptr;
}

void RelayDriver::WaitReadable(Socket& s, std::optional<size_t> upstream) {
  Socket* socket = &s;
  s.gate->Wait([this, socket, upstream] { OnReadable(*socket, upstream); });
}

void RelayDriver::OnReadable(Socket& s, std::optional<size_t> upstream) {
  // (The handler that called this is replaced by WaitReadable: use no
  // capture after it.)
  if (closed_) return;
  Drain(s, upstream);
  WaitReadable(s, upstream);
  AfterHandler();
}

void RelayDriver::Drain(Socket& s, std::optional<size_t> upstream) {
  const int fd = s.gate->fd();
  for (int round = 0; round < 16; ++round) {  // bounded: let timers run too
    const int n = recv_.Receive(fd);
    if (n < 0) {
      ++s.stats.receive_errors;
      continue;
    }
    if (n == 0) break;
    const io::RecvBatch::Clocks clocks = io::RecvBatch::ReadClocks(clock_.Now());
    for (int i = 0; i < n; ++i) {
      if (recv_.truncated(i) || recv_.data(i).size() > kMaxDatagramSize) {
        ++s.stats.truncated_in;
        continue;
      }
      const auto data = recv_.data(i);
      ++s.stats.datagrams_in;
      s.stats.bytes_in += data.size();
      const io::UdpEndpoint source = recv_.source(i);
      const Time arrival = recv_.arrival(static_cast<size_t>(i), clocks);
      const Time now = clock_.Arrival(arrival);
      if (upstream) {
        relay_->OnUpstreamDatagram(*upstream, data, AddressBytes(source), now);
      } else {
        const uint64_t out_before = listen_.stats.datagrams_out;
        relay_->OnDatagram(data, AddressBytes(source), now);
        if (listen_.stats.datagrams_out != out_before && caused_sends_.size() < 16 * 64) {
          caused_sends_.push_back({arrival, listen_.stats.datagrams_out});
        }
      }
    }
    if (static_cast<size_t>(n) < recv_.capacity()) break;
  }
}

// The core's opaque peer bytes are a sockaddr we gave it.
std::optional<io::UdpEndpoint> RelayDriver::EndpointOf(std::span<const uint8_t> peer) {
  io::UdpEndpoint to;
  if (peer.size() > to.capacity()) return std::nullopt;  // never: we gave the core these bytes
  std::memcpy(to.data(), peer.data(), peer.size());
  to.resize(peer.size());
  return to;
}

void RelayDriver::SendTo(std::span<const uint8_t> datagram, std::span<const uint8_t> peer) {
  if (const auto to = EndpointOf(peer)) Queue(listen_, datagram, {}, *to);
}

void RelayDriver::SendToParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                              std::span<const uint8_t> peer) {
  if (const auto to = EndpointOf(peer)) Queue(listen_, head, body, *to);
}

void RelayDriver::FlushSends() { Flush(); }

void RelayDriver::SendUpstream(size_t index, std::span<const uint8_t> datagram) {
  if (index >= upstreams_.size() || !upstreams_[index]) return;
  UpstreamSocket& up = *upstreams_[index];
  Queue(up.socket, datagram, {}, up.entry.address);
}

void RelayDriver::Queue(Socket& s, std::span<const uint8_t> head, std::span<const uint8_t> body,
                        const io::UdpEndpoint& to) {
  if (closed_ || !s.gate) return;
  if (head.size() + body.size() > kMaxDatagramSize) {
    ++s.stats.oversized_out;
    return;
  }
  if (s.send.full()) FlushSocket(s);
  // `head` is copied into the batch; a `body` is sent from where it lies (a
  // stream ring's payload: the core flushes before the ring moves).
  const size_t slot = s.send.size();
  std::memcpy(s.buffers[slot].data(), head.data(), head.size());
  s.destinations[slot] = to;
  const std::span<const uint8_t> copied(s.buffers[slot].data(), head.size());
  if (body.empty()) {
    s.send.Add(copied, &s.destinations[slot]);
  } else {
    s.send.AddParts(copied, body, &s.destinations[slot]);
  }
  ++s.stats.datagrams_out;
  s.stats.bytes_out += head.size() + body.size();
}

void RelayDriver::FlushSocket(Socket& s) {
  s.send.Flush(s.gate->fd(), s.stats.send_errors);
  if (&s != &listen_ || caused_sends_.empty()) return;
  // Every datagram whose last send has now left: its relay-in to relay-out.
  const uint64_t left = listen_.stats.datagrams_out - listen_.send.size();
  const Time sent = clock_.Now();
  size_t done = 0;
  while (done < caused_sends_.size() && caused_sends_[done].last_send <= left) {
    forward_delay_.Add(sent - caused_sends_[done].arrival);
    ++done;
  }
  caused_sends_.erase(caused_sends_.begin(), caused_sends_.begin() + static_cast<ptrdiff_t>(done));
}

void RelayDriver::Flush() {
  if (listen_.gate && listen_.send.size() > 0) FlushSocket(listen_);
  caused_sends_.clear();  // a socket that was closed sends nothing more
  for (const auto& up : upstreams_) {
    if (up && up->socket.send.size() > 0) FlushSocket(up->socket);
  }
}

void RelayDriver::AfterHandler() {
  Flush();
  ArmTimer();
}

void RelayDriver::ArmTimer() {
  if (closed_) return;
  std::optional<Time> next = relay_->NextWakeup();
  if (!next) return;
  if (last_fire_) next = std::max(*next, *last_fire_ + kTimerSlack);
  if (timer_at_ && *timer_at_ <= *next + kTimerSlack) return;
  timer_at_ = next;
  timer_.expires_at(ToSteady(*next));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || closed_) return;
    timer_at_.reset();
    const Time now = clock_.Now();
    last_fire_ = now;
    relay_->OnTimer(now);
    AfterHandler();
  });
}

absl::Status RelayDriver::Reload(const DaemonConfig& config) {
  const Time now = clock_.Now();
  RETURN_IF_ERROR(relay_->Reload(config.relay, now));
  // Upstreams: keep the unchanged, stop the removed, start the new.
  for (size_t i = 0; i < upstreams_.size(); ++i) {
    if (!upstreams_[i]) continue;
    const bool kept = std::find(config.upstreams.begin(), config.upstreams.end(),
                                upstreams_[i]->entry) != config.upstreams.end();
    if (kept) continue;
    relay_->RemoveUpstream(i, now);
    Flush();  // its SHUTDOWN leaves before the socket closes
    upstreams_[i]->socket.gate->Close();
    // The gate's pending wait is cancelled; the socket object may go.
    upstreams_[i].reset();
  }
  absl::Status result;
  for (const UpstreamEntry& e : config.upstreams) {
    bool running = false;
    for (const auto& up : upstreams_) running = running || (up && up->entry == e);
    if (running) continue;
    if (auto started = StartUpstream(e); !started.ok() && result.ok()) result = started;
  }
  AfterHandler();
  return result;
}

void RelayDriver::Shutdown() {
  if (closed_) return;
  relay_->Shutdown(clock_.Now());
  Flush();
  closed_ = true;
  timer_.cancel();
  listen_.gate->Close();
  for (const auto& up : upstreams_) {
    if (up) up->socket.gate->Close();
  }
}

}  // namespace hitless::relay
