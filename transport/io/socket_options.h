// Socket buffer sizing for high-rate UDP.
//
// Stateless. SO_RCVBUFFORCE / SO_SNDBUFFORCE ignore net.core.{r,w}mem_max but
// need CAP_NET_ADMIN; without it we fall back to SO_RCVBUF / SO_SNDBUF, which
// the kernel clamps to the sysctl limit. Either way the effective size is read
// back so callers can log what they got.
#pragma once

#include <cstddef>

namespace hitless::io {

struct BufferSizes {
  size_t receive = 0;  // effective SO_RCVBUF (as reported by the kernel)
  size_t send = 0;     // effective SO_SNDBUF
};

// Requests `receive_bytes` / `send_bytes` (0 = leave unchanged) on `fd`.
// Never fails: returns the sizes in effect afterwards.
BufferSizes SetSocketBuffers(int fd, size_t receive_bytes, size_t send_bytes);

}  // namespace hitless::io
