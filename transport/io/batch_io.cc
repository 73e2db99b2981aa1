// Implements batch_io.h.
#include "transport/io/batch_io.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>

namespace hitless::io {

const char* SendErrorClassName(SendErrorClass c) {
  switch (c) {
    case SendErrorClass::kWouldBlock:
      return "would_block";
    case SendErrorClass::kRefused:
      return "refused";
    case SendErrorClass::kUnreachable:
      return "unreachable";
    case SendErrorClass::kTooBig:
      return "too_big";
    case SendErrorClass::kOther:
    case SendErrorClass::kCount:
      break;
  }
  return "other";
}

SendErrorClass ClassifySendError(int error) {
  switch (error) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
      return SendErrorClass::kWouldBlock;
    case ECONNREFUSED:
      return SendErrorClass::kRefused;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
      return SendErrorClass::kUnreachable;
    case EMSGSIZE:
      return SendErrorClass::kTooBig;
    default:
      return SendErrorClass::kOther;
  }
}

uint64_t SendErrorCounters::Total() const {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return total;
}

RecvBatch::RecvBatch(size_t capacity, size_t buffer_size)
    : capacity_(capacity),
      buffer_size_(buffer_size),
      buffers_(capacity * buffer_size),
      headers_(capacity),
      iovecs_(capacity),
      addresses_(capacity) {}

RecvBatch::~RecvBatch() = default;

namespace {
constexpr size_t kControlSize = CMSG_SPACE(sizeof(::timespec));
}  // namespace

bool RecvBatch::EnableArrivalTimes(int fd) {
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) return false;
  control_.assign(capacity_ * kControlSize, 0);
  return true;
}

RecvBatch::Clocks RecvBatch::ReadClocks(Time steady_now) {
  ::timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return {steady_now, static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
}

Time RecvBatch::arrival(size_t i, const Clocks& clocks) const {
  if (control_.empty()) return clocks.now;
  const ::msghdr& h = headers_[i].msg_hdr;
  for (const ::cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
       c = CMSG_NXTHDR(const_cast<::msghdr*>(&h), const_cast<::cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    ::timespec ts;
    std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
    const int64_t stamp = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    const int64_t age = std::clamp<int64_t>(clocks.real_now_ns - stamp, 0, 1'000'000'000);
    return clocks.now - Duration::Nanoseconds(age);
  }
  return clocks.now;
}

int RecvBatch::Receive(int fd) {
  for (size_t i = 0; i < capacity_; ++i) {
    iovecs_[i].iov_base = buffers_.data() + i * buffer_size_;
    iovecs_[i].iov_len = buffer_size_;
    ::msghdr& h = headers_[i].msg_hdr;
    h = ::msghdr{};
    h.msg_name = &addresses_[i];
    h.msg_namelen = sizeof(::sockaddr_storage);
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
    if (!control_.empty()) {
      h.msg_control = control_.data() + i * kControlSize;
      h.msg_controllen = kControlSize;
    }
    headers_[i].msg_len = 0;
  }
  int n;
  do {
    n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(capacity_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
  return -errno;
}

std::span<const uint8_t> RecvBatch::data(size_t i) const {
  size_t len = headers_[i].msg_len;
  if (len > buffer_size_) len = buffer_size_;
  return {buffers_.data() + i * buffer_size_, len};
}

bool RecvBatch::truncated(size_t i) const {
  return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

UdpEndpoint RecvBatch::source(size_t i) const {
  UdpEndpoint endpoint;
  const size_t len = headers_[i].msg_hdr.msg_namelen;
  if (len == 0 || len > endpoint.capacity()) return endpoint;
  std::memcpy(endpoint.data(), &addresses_[i], len);
  endpoint.resize(len);
  return endpoint;
}

SendBatch::SendBatch(size_t capacity)
    : capacity_(capacity), headers_(capacity), iovecs_(capacity) {}

SendBatch::~SendBatch() = default;

bool SendBatch::Add(std::span<const uint8_t> data, const UdpEndpoint* destination) {
  if (full()) return false;
  iovecs_[size_].iov_base = const_cast<uint8_t*>(data.data());
  iovecs_[size_].iov_len = data.size();
  ::msghdr& h = headers_[size_].msg_hdr;
  h = ::msghdr{};
  if (destination != nullptr) {
    h.msg_name = const_cast<::sockaddr*>(destination->data());
    h.msg_namelen = static_cast<socklen_t>(destination->size());
  }
  h.msg_iov = &iovecs_[size_];
  h.msg_iovlen = 1;
  ++size_;
  return true;
}

SendBatch::Sent SendBatch::Flush(int fd, SendErrorCounters& errors) {
  size_t next = 0;
  Sent sent;
  while (next < size_) {
    const int n = ::sendmmsg(fd, headers_.data() + next, static_cast<unsigned>(size_ - next),
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      for (int i = 0; i < n; ++i) sent.bytes += iovecs_[next + static_cast<size_t>(i)].iov_len;
      next += static_cast<size_t>(n);
      sent.datagrams += static_cast<size_t>(n);
      continue;
    }
    const int error = n == 0 ? EAGAIN : errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      for (; next < size_; ++next) errors.Count(error);
      break;
    }
    errors.Count(error);  // this datagram failed; try the rest
    ++next;
  }
  size_ = 0;
  return sent;
}

}  // namespace hitless::io
