// ReadGate: one-shot read readiness of a raw socket, for readers that batch.
//
// An Asio socket stays in the reactor's epoll set (edge-triggered) for its
// whole life: every datagram's arrival wakes the event loop, whether or not
// anyone waits for it. A reader that holds off to read many datagrams at once
// (UdpInput, ConnectionDriver) would still wake once per datagram. A gated
// socket is registered only in a private epoll instance (EPOLLONESHOT) whose
// own descriptor the io_context watches: the loop wakes for the socket only
// while a Wait() is pending, and between waits arrivals cost nothing.
//
// The gate owns the socket's file descriptor (taken from an Asio socket with
// Take(), after the socket is opened, bound and configured) and closes it.
// State: the epoll descriptor, the socket descriptor. Single-threaded: the
// io_context's thread only. The relay's seam: a gate per socket, any number
// of gates per io_context (one loop per core), nothing global.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "transport/io/endpoint.h"

namespace hitless::io {

class ReadGate {
 public:
  // Takes `socket`'s descriptor out of Asio (the socket object is left
  // closed) and registers it. Errors: epoll_create1/epoll_ctl failures.
  static absl::StatusOr<std::unique_ptr<ReadGate>> Take(boost::asio::io_context& io,
                                                        boost::asio::ip::udp::socket& socket);
  ~ReadGate();
  ReadGate(const ReadGate&) = delete;
  ReadGate& operator=(const ReadGate&) = delete;

  int fd() const { return fd_; }
  // The socket's bound address (getsockname); empty on error.
  UdpEndpoint local_endpoint() const;

  // Calls `on_readable` once, from the loop, when the socket has something
  // to read (a datagram or a queued error). One wait at a time; a second
  // Wait() before the first fires replaces its handler.
  void Wait(std::function<void()> on_readable);
  // Cancels a pending wait (its handler is not called) and closes both
  // descriptors; fd() is then -1.
  void Close();

 private:
  ReadGate(boost::asio::io_context& io, int epoll_fd, int fd);

  boost::asio::posix::stream_descriptor epoll_;  // the private epoll instance
  int fd_;
  bool waiting_ = false;
  std::function<void()> on_readable_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hitless::io
