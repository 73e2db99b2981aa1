// Implements file_output.h.
#include "transport/endpoints/file_output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "transport/base/clock.h"

namespace hitless::endpoints {

namespace asio = boost::asio;

absl::StatusOr<std::unique_ptr<FileOutput>> FileOutput::OpenPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot create output file ", path, ": ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  return std::unique_ptr<FileOutput>(new FileOutput(fd, absl::StrCat("file://", path)));
}

absl::StatusOr<std::unique_ptr<FileOutput>> FileOutput::OpenFd(int fd, std::string name) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot duplicate ", name, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<FileOutput>(new FileOutput(copy, std::move(name)));
}

FileOutput::FileOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  struct stat st {};
  regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
}

FileOutput::~FileOutput() { (void)Close(); }

absl::Status FileOutput::Start(asio::io_context& io, EndHandler on_failure) {
  if (io_ != nullptr) return absl::FailedPreconditionError(absl::StrCat(name_, ": Start twice"));
  io_ = &io;
  on_failure_ = std::move(on_failure);
  if (!regular_) {
    std::signal(SIGPIPE, SIG_IGN);  // see the header: EPIPE must be an error, not a kill
    saved_flags_ = ::fcntl(fd_, F_GETFL);
    stream_.emplace(io, fd_);
    boost::system::error_code ec;
    stream_->non_blocking(true, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat(name_, ": cannot make it non-blocking: ", ec.message()));
    }
  }
  return absl::OkStatus();
}

void FileOutput::Write(std::span<const uint8_t> datagram, Time /*now*/) {
  if (io_ == nullptr || failed_ || closed_) {
    ++stats_.discarded_after_failure;
    return;
  }
  if (pending_bytes() + datagram.size() > kMaxPending) {
    if (regular_) WritePending();
    if (failed_) {
      ++stats_.discarded_after_failure;
      return;
    }
    if (pending_bytes() + datagram.size() > kMaxPending) {
      stats_.drops.Count(DropReason::kBufferFull);
      return;
    }
  }
  buffer_.insert(buffer_.end(), datagram.begin(), datagram.end());
  ++stats_.datagrams;
  if (regular_) {
    if (pending_bytes() >= kFileChunk) WritePending();
    return;  // files are flushed by size, Flush and Close
  }
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(*io_, [this, alive = lifetime_.Weak()] {
      if (alive.expired()) return;
      flush_posted_ = false;
      Flush();
    });
  }
}

bool FileOutput::WritePending() {
  while (head_ < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + head_, buffer_.size() - head_);
    if (n > 0) {
      head_ += static_cast<size_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && stream_) {
      ArmWritable();
      break;
    }
    Fail(n < 0 ? errno : EIO);
    return false;
  }
  if (head_ == buffer_.size()) {
    buffer_.clear();
    head_ = 0;
  } else if (head_ >= kFileChunk) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(head_));
    head_ = 0;
  }
  return true;
}

void FileOutput::ArmWritable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  stream_->async_wait(asio::posix::stream_descriptor::wait_write,
                      [this, alive = lifetime_.Weak()](const boost::system::error_code& ec) {
                        if (alive.expired()) return;
                        waiting_writable_ = false;
                        if (ec || failed_ || closed_) return;
                        WritePending();
                      });
}

void FileOutput::Flush() {
  if (io_ == nullptr || failed_ || closed_ || waiting_writable_) return;
  WritePending();
}

void FileOutput::Fail(int error) {
  ++stats_.errors;
  failed_ = true;
  failure_ = error == EPIPE
                 ? absl::UnavailableError(absl::StrCat(name_, " was closed by its reader (EPIPE)"))
                 : absl::UnavailableError(
                       absl::StrCat("cannot write ", name_, ": ", std::strerror(error)));
  buffer_.clear();
  head_ = 0;
  if (on_failure_ && io_ != nullptr) {
    // Posted: Write's caller must not be re-entered from inside Write.
    asio::post(*io_, [this, alive = lifetime_.Weak()] {
      if (alive.expired() || !on_failure_) return;
      EndHandler handler = std::move(on_failure_);
      on_failure_ = nullptr;
      handler(failure_);
    });
  }
}

absl::Status FileOutput::Close() {
  if (closed_) return failure_;
  if (io_ != nullptr && !failed_) {
    // Drain: a file blocks in write(2); a pipe gets kCloseDrainMs to accept the rest.
    const Time deadline = SteadyClock().Now() + Duration::Milliseconds(kCloseDrainMs);
    while (!failed_ && pending_bytes() > 0) {
      if (!WritePending() || pending_bytes() == 0) break;
      const Duration left = deadline - SteadyClock().Now();
      pollfd pfd{fd_, POLLOUT, 0};
      if (left <= Duration::Zero() ||
          ::poll(&pfd, 1, static_cast<int>(left.ToMilliseconds())) <= 0) {
        break;
      }
    }
    if (!failed_ && pending_bytes() > 0) {
      failure_ = absl::DeadlineExceededError(absl::StrCat(
          name_, ": the reader did not take the last ", pending_bytes(), " bytes in time"));
    }
  }
  closed_ = true;
  on_failure_ = nullptr;
  if (stream_) {
    if (saved_flags_ >= 0) ::fcntl(stream_->native_handle(), F_SETFL, saved_flags_);
    boost::system::error_code ec;
    stream_->close(ec);
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
  return failure_;
}

}  // namespace hitless::endpoints
