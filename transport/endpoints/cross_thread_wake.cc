// Implements cross_thread_wake.h.
#include "transport/endpoints/cross_thread_wake.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace hitless::endpoints {

CrossThreadWake::CrossThreadWake(boost::asio::io_context& io, std::function<void()> on_wake)
    : descriptor_(io), on_wake_(std::move(on_wake)) {}

CrossThreadWake::~CrossThreadWake() { Close(); }

absl::Status CrossThreadWake::Start() {
  fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("eventfd: ", std::strerror(errno)));
  descriptor_.assign(fd_);
  Arm();
  return absl::OkStatus();
}

void CrossThreadWake::Signal() {
  if (fd_ < 0) return;
  const uint64_t one = 1;
  // EAGAIN only when the counter is at its maximum: a wake-up is pending.
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

void CrossThreadWake::Close() {
  if (fd_ < 0) return;
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  descriptor_.close(ignored);  // closes fd_
  fd_ = -1;
}

void CrossThreadWake::Arm() {
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this, alive = alive_](const boost::system::error_code& ec) {
                           if (ec || !*alive) return;
                           uint64_t count = 0;
                           [[maybe_unused]] const ssize_t n = ::read(fd_, &count, sizeof count);
                           on_wake_();
                           if (*alive) Arm();
                         });
}

}  // namespace hitless::endpoints
