// Implements socket_options.h.
#include "transport/io/socket_options.h"

#include <sys/socket.h>

namespace hitless::io {
namespace {

void SetOne(int fd, int force_option, int option, size_t bytes) {
  if (bytes == 0) return;
  const int value = bytes > (1u << 30) ? (1 << 30) : static_cast<int>(bytes);
  if (setsockopt(fd, SOL_SOCKET, force_option, &value, sizeof(value)) == 0) return;
  (void)setsockopt(fd, SOL_SOCKET, option, &value, sizeof(value));
}

size_t GetOne(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return 0;
  return static_cast<size_t>(value);
}

}  // namespace

BufferSizes SetSocketBuffers(int fd, size_t receive_bytes, size_t send_bytes) {
  SetOne(fd, SO_RCVBUFFORCE, SO_RCVBUF, receive_bytes);
  SetOne(fd, SO_SNDBUFFORCE, SO_SNDBUF, send_bytes);
  return BufferSizes{GetOne(fd, SO_RCVBUF), GetOne(fd, SO_SNDBUF)};
}

}  // namespace hitless::io
