// Implements batch_io.h.
#include "transport/io/batch_io.h"

#include <errno.h>
#include <netinet/udp.h>
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
      addresses_(capacity),
      dirty_(capacity) {}

RecvBatch::~RecvBatch() = default;

void RecvBatch::SetControl(bool timestamps, bool gro) {
  timestamps_ = timestamps;
  gro_ = gro;
  control_size_ =
      (timestamps ? CMSG_SPACE(sizeof(::timespec)) : 0) + (gro ? CMSG_SPACE(sizeof(int)) : 0);
  control_.assign(capacity_ * control_size_, 0);
  dirty_ = capacity_;  // every header points at the new control buffers
}

bool RecvBatch::EnableArrivalTimes(int fd) {
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) return false;
  SetControl(true, gro_);
  return true;
}

bool RecvBatch::EnableGro(int fd) {
  if (buffer_size_ < 65535) return false;
  const int on = 1;
  if (::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) != 0) return false;
  views_.reserve(capacity_ * 64);  // the kernel coalesces at most 64 datagrams
  SetControl(timestamps_, true);
  return true;
}

RecvBatch::Clocks RecvBatch::ReadClocks(Time steady_now) {
  ::timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return {steady_now, static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
}

Time RecvBatch::arrival(size_t i, const Clocks& clocks) const {
  if (!timestamps_) return clocks.now;
  const ::msghdr& h = headers_[Message(i)].msg_hdr;
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

void RecvBatch::InitHeaders(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    iovecs_[i].iov_base = buffers_.data() + i * buffer_size_;
    iovecs_[i].iov_len = buffer_size_;
    ::msghdr& h = headers_[i].msg_hdr;
    h = ::msghdr{};
    h.msg_name = &addresses_[i];
    h.msg_namelen = sizeof(::sockaddr_storage);
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
    if (!control_.empty()) {
      h.msg_control = control_.data() + i * control_size_;
      h.msg_controllen = control_size_;
    }
    headers_[i].msg_len = 0;
  }
}

int RecvBatch::Receive(int fd) {
  // The kernel writes back only a header's name and control lengths, flags
  // and msg_len (and may do so on the header after the last it filled):
  // reset those on every header, the rest only after a change of layout.
  InitHeaders(dirty_);
  dirty_ = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    ::msghdr& h = headers_[i].msg_hdr;
    h.msg_namelen = sizeof(::sockaddr_storage);
    h.msg_controllen = control_.empty() ? 0 : control_size_;
    h.msg_flags = 0;
    headers_[i].msg_len = 0;
  }
  int n;
  do {
    n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(capacity_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -errno;
  }
  if (!gro_) return n;
  // Cut coalesced messages back into their datagrams (UDP_GRO: the segment
  // size; every datagram but the last of a message has exactly that size).
  views_.clear();
  for (int m = 0; m < n; ++m) {
    const ::msghdr& h = headers_[static_cast<size_t>(m)].msg_hdr;
    const size_t len = std::min<size_t>(headers_[static_cast<size_t>(m)].msg_len, buffer_size_);
    size_t segment = 0;
    for (const ::cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
         c = CMSG_NXTHDR(const_cast<::msghdr*>(&h), const_cast<::cmsghdr*>(c))) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof(size));
        segment = size > 0 ? static_cast<size_t>(size) : 0;
      }
    }
    if (segment == 0 || len <= segment || (h.msg_flags & MSG_TRUNC) != 0) {
      views_.push_back({static_cast<uint32_t>(m), 0, static_cast<uint32_t>(len)});
      continue;
    }
    ++gro_messages_;
    for (size_t offset = 0; offset < len; offset += segment) {
      views_.push_back({static_cast<uint32_t>(m), static_cast<uint32_t>(offset),
                        static_cast<uint32_t>(std::min(segment, len - offset))});
      ++gro_datagrams_;
    }
  }
  return static_cast<int>(views_.size());
}

std::span<const uint8_t> RecvBatch::data(size_t i) const {
  if (gro_) {
    const View& v = views_[i];
    return {buffers_.data() + v.message * buffer_size_ + v.offset, v.size};
  }
  size_t len = headers_[i].msg_len;
  if (len > buffer_size_) len = buffer_size_;
  return {buffers_.data() + i * buffer_size_, len};
}

bool RecvBatch::truncated(size_t i) const {
  return (headers_[Message(i)].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

UdpEndpoint RecvBatch::source(size_t i) const {
  UdpEndpoint endpoint;
  const size_t m = Message(i);
  const size_t len = headers_[m].msg_hdr.msg_namelen;
  if (len == 0 || len > endpoint.capacity()) return endpoint;
  std::memcpy(endpoint.data(), &addresses_[m], len);
  endpoint.resize(len);
  return endpoint;
}

namespace {

constexpr size_t kGsoControlSize = CMSG_SPACE(sizeof(uint16_t));
constexpr size_t kGsoMaxSegments = 64;  // the kernel's UDP_MAX_SEGMENTS
constexpr size_t kGsoMaxBytes = 65507;  // largest UDP payload over IPv4

bool GsoRefusal(int error) { return error == EIO || error == EINVAL || error == EOPNOTSUPP; }

}  // namespace

SendBatch::SendBatch(size_t capacity)
    : capacity_(capacity),
      headers_(capacity),
      iovecs_(capacity),
      part_iovecs_(2 * capacity),
      messages_(capacity),
      counts_(capacity),
      ones_(capacity, 1),
      firsts_(capacity),
      control_(capacity * kGsoControlSize) {}

SendBatch::~SendBatch() = default;

bool SendBatch::EnableGso(int fd) {
  int size = 0;
  socklen_t len = sizeof(size);
  gso_ = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
  return gso_;
}

bool SendBatch::SameDestination(size_t a, size_t b) const {
  const ::msghdr& x = headers_[a].msg_hdr;
  const ::msghdr& y = headers_[b].msg_hdr;
  if (x.msg_namelen != y.msg_namelen) return false;
  return x.msg_name == y.msg_name || std::memcmp(x.msg_name, y.msg_name, x.msg_namelen) == 0;
}

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

bool SendBatch::AddParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                         const UdpEndpoint* destination) {
  if (full()) return false;
  // iov_len 0 in iovecs_ keeps it out of every GSO run (see Flush).
  iovecs_[size_].iov_base = nullptr;
  iovecs_[size_].iov_len = 0;
  ::iovec* parts = &part_iovecs_[2 * size_];
  parts[0].iov_base = const_cast<uint8_t*>(head.data());
  parts[0].iov_len = head.size();
  parts[1].iov_base = const_cast<uint8_t*>(body.data());
  parts[1].iov_len = body.size();
  ::msghdr& h = headers_[size_].msg_hdr;
  h = ::msghdr{};
  if (destination != nullptr) {
    h.msg_name = const_cast<::sockaddr*>(destination->data());
    h.msg_namelen = static_cast<socklen_t>(destination->size());
  }
  h.msg_iov = parts;
  h.msg_iovlen = 2;
  ++size_;
  return true;
}

size_t SendBatch::SendMessages(int fd, ::mmsghdr* headers, const uint16_t* counts, size_t n,
                               SendErrorCounters& errors, Sent& sent, bool gso) {
  size_t next = 0;
  const auto bytes_of = [&](size_t m) {
    size_t b = 0;
    for (size_t k = 0; k < headers[m].msg_hdr.msg_iovlen; ++k)
      b += headers[m].msg_hdr.msg_iov[k].iov_len;
    return b;
  };
  while (next < n) {
    const int r = ::sendmmsg(fd, headers + next, static_cast<unsigned>(n - next),
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r > 0) {
      for (int i = 0; i < r; ++i) {
        const size_t m = next + static_cast<size_t>(i);
        sent.bytes += bytes_of(m);
        sent.datagrams += counts[m];
        if (counts[m] > 1) {
          ++gso_stats_.messages;
          gso_stats_.segments += counts[m];
        }
      }
      next += static_cast<size_t>(r);
      continue;
    }
    const int error = r == 0 ? EAGAIN : errno;
    if (error == EINTR) continue;
    if (gso && counts[next] > 1 && GsoRefusal(error)) return next;  // resend without GSO
    if (error == EAGAIN || error == EWOULDBLOCK) {
      for (; next < n; ++next) {
        for (uint16_t k = 0; k < counts[next]; ++k) errors.Count(error);
      }
      break;
    }
    for (uint16_t k = 0; k < counts[next]; ++k) errors.Count(error);  // failed; try the rest
    ++next;
  }
  return n;
}

SendBatch::Sent SendBatch::Flush(int fd, SendErrorCounters& errors) {
  Sent sent;
  size_t from = 0;  // first datagram still to send
  if (gso_ && size_ > 1) {
    // Runs of one destination and one size (the last may be shorter).
    size_t n = 0;
    for (size_t i = 0; i < size_;) {
      const size_t segment = iovecs_[i].iov_len;
      size_t j = i + 1;
      size_t total = segment;
      while (j < size_ && j - i < kGsoMaxSegments && iovecs_[j].iov_len <= segment &&
             iovecs_[j].iov_len > 0 && total + iovecs_[j].iov_len <= kGsoMaxBytes &&
             SameDestination(i, j)) {
        total += iovecs_[j].iov_len;
        ++j;
        if (iovecs_[j - 1].iov_len < segment) break;  // a short one ends the run
      }
      ::msghdr& h = messages_[n].msg_hdr;
      h = headers_[i].msg_hdr;  // a lone datagram (parts too) as queued
      if (j - i > 1) {
        h.msg_iovlen = j - i;  // the iovecs are consecutive
        uint8_t* control = control_.data() + n * kGsoControlSize;
        std::memset(control, 0, kGsoControlSize);
        h.msg_control = control;
        h.msg_controllen = kGsoControlSize;
        ::cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto size16 = static_cast<uint16_t>(segment);
        std::memcpy(CMSG_DATA(c), &size16, sizeof(size16));
      }
      counts_[n] = static_cast<uint16_t>(j - i);
      firsts_[n] = i;
      ++n;
      i = j;
    }
    const size_t stopped =
        SendMessages(fd, messages_.data(), counts_.data(), n, errors, sent, true);
    if (stopped == n) {
      size_ = 0;
      return sent;
    }
    gso_ = false;  // the kernel or the device refuses GSO: datagram by datagram from here
    ++gso_stats_.fallbacks;
    from = firsts_[stopped];
  }
  SendMessages(fd, headers_.data() + from, ones_.data(), size_ - from, errors, sent, false);
  size_ = 0;
  return sent;
}

}  // namespace hitless::io
