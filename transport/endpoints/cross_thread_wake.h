// CrossThreadWake: another thread wakes an io_context's thread, safely even
// on an io_context made with BOOST_ASIO_CONCURRENCY_HINT_UNSAFE (as the
// programs' are: no locking in the scheduler), where boost::asio::post from
// a foreign thread is a data race (it lost handlers and miscounted the
// scheduler's outstanding work: a stalled input and a run() that never
// returned). The foreign thread only writes to an eventfd; the io thread
// waits on it like any descriptor and runs `on_wake`.
//
// Signal() may be called from any thread, any number of times (wake-ups
// coalesce); on_wake runs on the io thread. Close() (io thread) stops it;
// destroy it on the io thread after the signalling thread has stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>

#include "absl/status/status.h"

namespace hitless::endpoints {

class CrossThreadWake {
 public:
  CrossThreadWake(boost::asio::io_context& io, std::function<void()> on_wake);
  ~CrossThreadWake();
  CrossThreadWake(const CrossThreadWake&) = delete;
  CrossThreadWake& operator=(const CrossThreadWake&) = delete;

  // Errors (Unavailable): eventfd could not be made.
  absl::Status Start();
  void Signal();  // any thread
  void Close();   // io thread; idempotent

 private:
  void Arm();

  boost::asio::posix::stream_descriptor descriptor_;
  std::function<void()> on_wake_;
  int fd_ = -1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hitless::endpoints
