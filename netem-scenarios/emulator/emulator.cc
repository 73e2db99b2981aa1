// Implements emulator.h.
#include "netem-scenarios/emulator/emulator.h"

#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/io/endpoint.h"
#include "transport/io/socket_options.h"

namespace hitless::netem {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr size_t kBatch = 64;
constexpr size_t kBufferSize = 2048;
// recvmmsg calls per readiness event before yielding to other sockets.
constexpr int kBatchesPerWake = 8;

// hitless::SteadyClock and std::chrono::steady_clock both read
// CLOCK_MONOTONIC on Linux, so a Time converts to a timer deadline directly.
std::chrono::steady_clock::time_point ToTimePoint(Time t) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t.ToNanoseconds()));
}

void Count(io::SendBatch::Sent sent, DirectionCounters& counters) {
  counters.sent += sent.datagrams;
  counters.bytes_sent += sent.bytes;
}

}  // namespace

struct Emulator::Upstream {
  explicit Upstream(asio::io_context& io) : socket(io) {}
  Socket socket;
};

Emulator::Emulator(EmulatorConfig config)
    : config_(std::move(config)),
      start_(clock_.Now()),
      listen_socket_(io_),
      delivery_timer_(io_),
      housekeeping_timer_(io_),
      status_timer_(io_),
      signals_(io_),
      flows_(config_.max_flows, config_.idle_timeout),
      recv_(kBatch, kBufferSize),
      send_(kBatch),
      last_status_time_(start_) {
  links_[kForward] = std::make_unique<Link>(config_.forward, config_.seed, start_);
  links_[kReverse] = std::make_unique<Link>(config_.reverse, ReverseSeed(config_.seed), start_);
  due_.reserve(kBatch * kBatchesPerWake);
}

Emulator::~Emulator() = default;

absl::Status Emulator::Run() {
  error_code ec;
  listen_socket_.open(config_.listen.protocol(), ec);
  if (!ec) listen_socket_.non_blocking(true, ec);
  if (!ec) listen_socket_.bind(config_.listen, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot bind --listen ", io::FormatEndpoint(config_.listen), ": ", ec.message()));
  }
  io::SetSocketBuffers(listen_socket_.native_handle(), config_.socket_buffer_bytes,
                       config_.socket_buffer_bytes);
  const io::UdpEndpoint bound = listen_socket_.local_endpoint(ec);
  if (ec) return absl::InternalError(absl::StrCat("getsockname: ", ec.message()));
  config_.listen = bound;  // the JSON summary reports the real port
  printf("listening %s\n", io::FormatEndpoint(bound).c_str());
  fflush(stdout);

  signals_.add(SIGINT, ec);
  signals_.add(SIGTERM, ec);
  signals_.async_wait([this](const error_code& error, int) {
    if (!error) Stop();
  });
  WaitListen();
  ArmHousekeeping();
  if (!config_.quiet) ArmStatus();
  io_.run();
  if (!stop_time_.has_value()) stop_time_ = clock_.Now();
  return absl::OkStatus();
}

void Emulator::Stop() {
  stopping_ = true;
  stop_time_ = clock_.Now();
  io_.stop();
}

void Emulator::WaitListen() {
  listen_socket_.async_wait(Socket::wait_read, [this](const error_code& ec) {
    if (!ec) OnListenReadable();
  });
}

void Emulator::OnListenReadable() {
  if (stopping_) return;
  DirectionCounters& counters = counters_[kForward];
  bool drained = false;
  for (int round = 0; round < kBatchesPerWake && !drained; ++round) {
    const int n = recv_.Receive(listen_socket_.native_handle());
    if (n < 0) ++counters.receive_errors;
    if (n <= 0) {
      drained = true;
      break;
    }
    const Time now = clock_.Now();
    for (int i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {
        ++counters.oversized;
        continue;
      }
      const std::optional<FlowTable::Lookup> flow = flows_.FindOrOpen(recv_.source(i), now);
      if (!flow.has_value()) continue;  // refused: counted by the table
      if (flow->opened && !OpenUpstream(flow->id)) {
        flows_.Remove(flow->id);
        continue;
      }
      const std::span<const uint8_t> data = recv_.data(i);
      ++counters.received;
      counters.bytes_received += data.size();
      links_[kForward]->Enqueue(Packet{std::vector<uint8_t>(data.begin(), data.end()), flow->id},
                                now);
    }
    if (static_cast<size_t>(n) < recv_.capacity()) drained = true;
  }
  FlushDue(clock_.Now());
  if (drained) {
    WaitListen();
  } else {
    asio::post(io_, [this] { OnListenReadable(); });
  }
}

bool Emulator::OpenUpstream(uint64_t flow_id) {
  auto upstream = std::make_unique<Upstream>(io_);
  error_code ec;
  upstream->socket.open(config_.target.protocol(), ec);
  if (!ec) upstream->socket.non_blocking(true, ec);
  if (!ec) upstream->socket.connect(config_.target, ec);
  if (ec) {
    ++upstream_open_failures_;
    return false;
  }
  io::SetSocketBuffers(upstream->socket.native_handle(), config_.socket_buffer_bytes,
                       config_.socket_buffer_bytes);
  upstreams_[flow_id] = std::move(upstream);
  WaitUpstream(flow_id);
  return true;
}

void Emulator::WaitUpstream(uint64_t flow_id) {
  const auto it = upstreams_.find(flow_id);
  if (it == upstreams_.end()) return;
  it->second->socket.async_wait(Socket::wait_read, [this, flow_id](const error_code& ec) {
    if (!ec) OnUpstreamReadable(flow_id);
  });
}

void Emulator::OnUpstreamReadable(uint64_t flow_id) {
  if (stopping_) return;
  const auto it = upstreams_.find(flow_id);
  if (it == upstreams_.end()) return;  // expired meanwhile
  const int fd = it->second->socket.native_handle();
  DirectionCounters& counters = counters_[kReverse];
  bool drained = false;
  for (int round = 0; round < kBatchesPerWake && !drained; ++round) {
    const int n = recv_.Receive(fd);
    // A connected UDP socket reports ICMP errors (ECONNREFUSED while the target
    // is not listening) on receive: count it and keep going.
    if (n < 0) ++counters.receive_errors;
    if (n < 0) continue;
    if (n == 0) {
      drained = true;
      break;
    }
    const Time now = clock_.Now();
    flows_.Touch(flow_id, now);
    for (int i = 0; i < n; ++i) {
      if (recv_.truncated(i)) {
        ++counters.oversized;
        continue;
      }
      const std::span<const uint8_t> data = recv_.data(i);
      ++counters.received;
      counters.bytes_received += data.size();
      links_[kReverse]->Enqueue(Packet{std::vector<uint8_t>(data.begin(), data.end()), flow_id},
                                now);
    }
    if (static_cast<size_t>(n) < recv_.capacity()) drained = true;
  }
  FlushDue(clock_.Now());
  if (drained) {
    WaitUpstream(flow_id);
  } else {
    asio::post(io_, [this, flow_id] { OnUpstreamReadable(flow_id); });
  }
}

void Emulator::FlushDue(Time now) {
  FlushForward(now);
  FlushReverse(now);
  ArmDeliveryTimer();
}

void Emulator::FlushForward(Time now) {
  DirectionCounters& counters = counters_[kForward];
  due_.clear();
  while (std::optional<Packet> packet = links_[kForward]->DequeueDue(now)) {
    due_.push_back(*std::move(packet));
  }
  if (due_.empty()) return;
  // Group by flow (each flow has its own socket); stable keeps each flow's order.
  std::stable_sort(due_.begin(), due_.end(),
                   [](const Packet& a, const Packet& b) { return a.tag < b.tag; });
  size_t begin = 0;
  while (begin < due_.size()) {
    const uint64_t flow_id = due_[begin].tag;
    size_t end = begin;
    while (end < due_.size() && due_[end].tag == flow_id) ++end;
    const auto it = upstreams_.find(flow_id);
    if (it == upstreams_.end()) {
      counters.no_flow += end - begin;
      begin = end;
      continue;
    }
    const int fd = it->second->socket.native_handle();
    for (size_t i = begin; i < end; ++i) {
      send_.Add(due_[i].data, nullptr);
      if (send_.full() || i + 1 == end) Count(send_.Flush(fd, counters.send_errors), counters);
    }
    begin = end;
  }
  due_.clear();
}

void Emulator::FlushReverse(Time now) {
  DirectionCounters& counters = counters_[kReverse];
  const int fd = listen_socket_.native_handle();
  while (std::optional<Packet> packet = links_[kReverse]->DequeueDue(now)) {
    const FlowTable::Flow* flow = flows_.Get(packet->tag);
    if (flow == nullptr) {
      ++counters.no_flow;
      continue;
    }
    due_.push_back(*std::move(packet));
    send_.Add(due_.back().data, &flow->client);
    if (send_.full()) {
      Count(send_.Flush(fd, counters.send_errors), counters);
      due_.clear();
    }
  }
  if (send_.size() > 0) Count(send_.Flush(fd, counters.send_errors), counters);
  due_.clear();
}

void Emulator::ArmDeliveryTimer() {
  std::optional<Time> next;
  for (const auto& link : links_) {
    const std::optional<Time> t = link->NextDelivery();
    if (t.has_value() && (!next.has_value() || *t < *next)) next = t;
  }
  if (!next.has_value()) return;  // an armed timer just fires and finds nothing
  if (delivery_armed_at_.has_value() && *delivery_armed_at_ <= *next) return;
  delivery_armed_at_ = next;
  delivery_timer_.expires_at(ToTimePoint(*next));
  delivery_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    delivery_armed_at_.reset();
    FlushDue(clock_.Now());
  });
}

void Emulator::ArmHousekeeping() {
  Duration period = config_.idle_timeout / 4;
  if (period > Duration::Seconds(1)) period = Duration::Seconds(1);
  if (period < Duration::Milliseconds(10)) period = Duration::Milliseconds(10);
  housekeeping_timer_.expires_after(std::chrono::nanoseconds(period.ToNanoseconds()));
  housekeeping_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    for (uint64_t id : flows_.ExpireIdle(clock_.Now())) {
      // Closing the socket aborts its pending wait (handler sees an error).
      upstreams_.erase(id);
    }
    ArmHousekeeping();
  });
}

void Emulator::ArmStatus() {
  status_timer_.expires_after(std::chrono::nanoseconds(config_.status_interval.ToNanoseconds()));
  status_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    const Time now = clock_.Now();
    const EmulatorSnapshot current = Snapshot();
    const std::string line = FormatStatusLine(current, last_status_, now - last_status_time_);
    fprintf(stderr, "%s\n", line.c_str());
    last_status_ = current;
    last_status_time_ = now;
    ArmStatus();
  });
}

EmulatorSnapshot Emulator::Snapshot() const {
  EmulatorSnapshot snapshot;
  for (int d = 0; d < kDirectionCount; ++d) {
    snapshot.link[d] = links_[d]->stats();
    snapshot.io[d] = counters_[d];
  }
  snapshot.flows = flows_.counters();
  snapshot.active_flows = flows_.size();
  snapshot.upstream_open_failures = upstream_open_failures_;
  snapshot.runtime = stop_time_.value_or(clock_.Now()) - start_;
  return snapshot;
}

}  // namespace hitless::netem
