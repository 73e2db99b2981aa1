// Implements file_input.h.
#include "transport/endpoints/file_input.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace hitless::endpoints {

namespace asio = boost::asio;

namespace {

constexpr uint64_t kMaxBurst = 1024;

absl::Status ErrnoStatus(int error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileInput>> FileInput::OpenPath(const std::string& path,
                                                               Options options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open input file ", path));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("input file ", path, " is a directory"));
  }
  return std::unique_ptr<FileInput>(new FileInput(fd, absl::StrCat("file://", path), options));
}

absl::StatusOr<std::unique_ptr<FileInput>> FileInput::OpenFd(int fd, std::string name,
                                                             Options options) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ErrnoStatus(errno, absl::StrCat("cannot duplicate ", name));
  return std::unique_ptr<FileInput>(new FileInput(copy, std::move(name), options));
}

FileInput::FileInput(int fd, std::string name, Options options)
    : fd_(fd), name_(std::move(name)), options_(options) {
  if (options_.datagram_size == 0) options_.datagram_size = 1316;
}

FileInput::~FileInput() {
  Stop();
  if (stream_) {
    boost::system::error_code ec;
    // The flags live on the open file description we share with the
    // original descriptor (stdin): give it back blocking as we found it.
    if (saved_flags_ >= 0) ::fcntl(stream_->native_handle(), F_SETFL, saved_flags_);
    stream_->close(ec);
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
}

absl::Status FileInput::Start(asio::io_context& io, DatagramHandler on_datagram,
                              EndHandler on_end) {
  if (started_) return absl::FailedPreconditionError(absl::StrCat(name_, ": Start called twice"));
  started_ = true;
  io_ = &io;
  on_datagram_ = std::move(on_datagram);
  on_end_ = std::move(on_end);
  struct stat st {};
  regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  if (!regular_) {
    saved_flags_ = ::fcntl(fd_, F_GETFL);
    stream_.emplace(io, fd_);
    ArmStreamRead();
  } else if (options_.rate_bps) {
    timer_.emplace(io);
    start_ = clock_.Now();
    ArmPaced();
  } else {
    PostRead();
  }
  return absl::OkStatus();
}

void FileInput::Stop() {
  stopped_ = true;
  boost::system::error_code ec;
  if (timer_) timer_->cancel();
  if (stream_) stream_->cancel(ec);
}

void FileInput::Finish(absl::Status status) {
  if (stopped_) return;
  Stop();
  if (on_end_) on_end_(std::move(status));
}

void FileInput::Deliver(std::span<const uint8_t> datagram, Time now) {
  ++stats_.datagrams;
  stats_.bytes += datagram.size();
  on_datagram_(datagram, now);
}

void FileInput::DeliverBuffered(bool eof, Time now) {
  const size_t size = options_.datagram_size;
  while (buffer_.size() - head_ >= size && !stopped_) {
    Deliver(std::span<const uint8_t>(buffer_).subspan(head_, size), now);
    head_ += size;
  }
  if (eof && head_ < buffer_.size() && !stopped_) {
    Deliver(std::span<const uint8_t>(buffer_).subspan(head_), now);
    head_ = buffer_.size();
  }
}

bool FileInput::FillFromFile() {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(head_));
  head_ = 0;
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunkBytes);
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data() + old, kChunkBytes);
  } while (n < 0 && errno == EINTR);
  buffer_.resize(old + static_cast<size_t>(n > 0 ? n : 0));
  if (n > 0) return true;
  if (n == 0) {
    eof_ = true;
  } else {
    ++stats_.errors;
    Finish(ErrnoStatus(errno, absl::StrCat("cannot read ", name_)));
  }
  return false;
}

void FileInput::PostRead() {
  asio::post(*io_, [this, alive = lifetime_.Weak()] {
    if (alive.expired() || stopped_) return;
    FillFromFile();
    if (stopped_) return;
    DeliverBuffered(eof_, clock_.Now());
    if (stopped_) return;
    if (eof_) {
      Finish(absl::OkStatus());
    } else {
      PostRead();
    }
  });
}

Time FileInput::DueTime(uint64_t index) const {
  const double ns_per_datagram =
      static_cast<double>(options_.datagram_size) * 8e9 / static_cast<double>(*options_.rate_bps);
  return start_ + Duration::Nanoseconds(std::llround(static_cast<double>(index) * ns_per_datagram));
}

void FileInput::ArmPaced() {
  const Duration wait = DueTime(paced_index_) - clock_.Now();
  timer_->expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, wait.ToNanoseconds())));
  timer_->async_wait([this, alive = lifetime_.Weak()](const boost::system::error_code& ec) {
    if (ec || alive.expired() || stopped_) return;
    OnPacedTimer();
  });
}

void FileInput::OnPacedTimer() {
  const Time now = clock_.Now();
  const size_t size = options_.datagram_size;
  for (uint64_t burst = 0; burst < kMaxBurst && DueTime(paced_index_) <= now; ++burst) {
    while (buffer_.size() - head_ < size && !eof_) {
      if (!FillFromFile() && stopped_) return;
    }
    const size_t take = std::min(size, buffer_.size() - head_);
    if (take == 0) {
      Finish(absl::OkStatus());
      return;
    }
    Deliver(std::span<const uint8_t>(buffer_).subspan(head_, take), now);
    head_ += take;
    ++paced_index_;
    if (stopped_) return;
  }
  ArmPaced();
}

void FileInput::ArmStreamRead() {
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(head_));
  head_ = 0;
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunkBytes);
  stream_->async_read_some(
      asio::buffer(buffer_.data() + old, kChunkBytes),
      [this, old, alive = lifetime_.Weak()](const boost::system::error_code& ec, size_t n) {
        if (alive.expired() || stopped_ || ec == asio::error::operation_aborted) return;
        buffer_.resize(old + n);
        const bool eof = ec == asio::error::eof;
        if (ec && !eof) {
          ++stats_.errors;
          Finish(absl::UnavailableError(absl::StrCat("cannot read ", name_, ": ", ec.message())));
          return;
        }
        DeliverBuffered(eof, clock_.Now());
        if (stopped_) return;
        if (eof) {
          Finish(absl::OkStatus());
        } else {
          ArmStreamRead();
        }
      });
}

}  // namespace hitless::endpoints
