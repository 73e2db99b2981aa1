// Implements read_gate.h.
#include "transport/io/read_gate.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace hitless::io {

absl::StatusOr<std::unique_ptr<ReadGate>> ReadGate::Take(boost::asio::io_context& io,
                                                         boost::asio::ip::udp::socket& socket) {
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::UnavailableError(absl::StrCat("epoll_create1: ", strerror(errno)));
  boost::system::error_code ec;
  const int fd = socket.release(ec);
  if (ec) {
    ::close(epoll_fd);
    return absl::UnavailableError(absl::StrCat("cannot take the socket: ", ec.message()));
  }
  // Registered disarmed (no events); Wait() arms it.
  ::epoll_event ev{};
  ev.events = EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int error = errno;
    ::close(epoll_fd);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("epoll_ctl: ", strerror(error)));
  }
  return std::unique_ptr<ReadGate>(new ReadGate(io, epoll_fd, fd));
}

ReadGate::ReadGate(boost::asio::io_context& io, int epoll_fd, int fd)
    : epoll_(io, epoll_fd), fd_(fd) {}

ReadGate::~ReadGate() { Close(); }

UdpEndpoint ReadGate::local_endpoint() const {
  UdpEndpoint endpoint;
  socklen_t len = static_cast<socklen_t>(endpoint.capacity());
  if (fd_ < 0 || ::getsockname(fd_, endpoint.data(), &len) != 0) return UdpEndpoint();
  endpoint.resize(len);
  return endpoint;
}

void ReadGate::Wait(std::function<void()> on_readable) {
  on_readable_ = std::move(on_readable);
  if (waiting_ || fd_ < 0) return;
  ::epoll_event ev{};
  ev.events = EPOLLIN | EPOLLERR | EPOLLONESHOT;
  ev.data.fd = fd_;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd_, &ev) != 0) {
    // Cannot happen for a registered descriptor; read now rather than stall.
    boost::asio::post(epoll_.get_executor(), [this, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired() || fd_ < 0) return;
      on_readable_();
    });
    return;
  }
  waiting_ = true;
  epoll_.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired()) return;
        waiting_ = false;
        // Consume the one-shot event (the socket is disarmed).
        ::epoll_event ev;
        while (::epoll_wait(epoll_.native_handle(), &ev, 1, 0) < 0 && errno == EINTR) {
        }
        if (fd_ >= 0) on_readable_();
      });
}

void ReadGate::Close() {
  alive_ = std::make_shared<bool>(true);  // pending handlers see theirs expire
  waiting_ = false;
  boost::system::error_code ec;
  if (epoll_.is_open()) epoll_.close(ec);
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace hitless::io
