// Batched UDP I/O with recvmmsg / sendmmsg on a socket's native handle, and
// UDP GSO (UDP_SEGMENT, Linux >= 4.18) where the kernel has it.
//
// RecvBatch owns `capacity` receive buffers of `buffer_size` bytes plus the
// mmsghdr/iovec/sockaddr arrays, reused across calls (no allocation per
// packet). SendBatch gathers up to `capacity` datagrams that the caller keeps
// alive until Flush, then sends them with as few sendmmsg calls as possible.
// Neither holds a timer or a socket; both are single-threaded. Errors are
// returned as errno values (a per-packet condition is a counter, not a Status).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "transport/base/time.h"
#include "transport/io/endpoint.h"

namespace hitless::io {

// Send failures by errno class, so a status line can say *why* sends fail.
enum class SendErrorClass : uint8_t {
  kWouldBlock,   // EAGAIN / EWOULDBLOCK / ENOBUFS: socket buffer full
  kRefused,      // ECONNREFUSED: ICMP port unreachable from the peer
  kUnreachable,  // ENETUNREACH / EHOSTUNREACH / EHOSTDOWN / ENETDOWN
  kTooBig,       // EMSGSIZE
  kOther,
  kCount,
};
const char* SendErrorClassName(SendErrorClass c);
SendErrorClass ClassifySendError(int error);

struct SendErrorCounters {
  std::array<uint64_t, static_cast<size_t>(SendErrorClass::kCount)> counts{};
  void Count(int error) { ++counts[static_cast<size_t>(ClassifySendError(error))]; }
  uint64_t Get(SendErrorClass c) const { return counts[static_cast<size_t>(c)]; }
  uint64_t Total() const;
};

class RecvBatch {
 public:
  // `capacity` datagrams per call, each up to `buffer_size` bytes (both > 0).
  RecvBatch(size_t capacity, size_t buffer_size);
  ~RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;

  // Receives up to capacity() messages from the non-blocking socket `fd`
  // without waiting. Returns the number of datagrams received (>= 0, 0 =
  // nothing pending: EAGAIN) or -errno on another error (e.g. -ECONNREFUSED
  // after an ICMP error on a connected socket). Results stay valid until the
  // next call. With GRO a message may hold several datagrams: the count is
  // of datagrams, and may exceed capacity().
  int Receive(int fd);
  // UDP generic receive offload (UDP_GRO, Linux >= 5.0): the kernel may hand
  // over several datagrams of one sender as one message (what a GSO sender
  // sent as one, over loopback; what the NIC coalesced); Receive cuts them
  // back into the datagrams, each with the message's source and arrival
  // time. Needs buffers of 65,535 bytes (else false, nothing changed); false
  // (errno kept) if the kernel refuses.
  bool EnableGro(int fd);
  // Messages that held more than one datagram, and the datagrams they held.
  uint64_t gro_messages() const { return gro_messages_; }
  uint64_t gro_datagrams() const { return gro_datagrams_; }

  size_t capacity() const { return capacity_; }
  // Asks the kernel for each datagram's arrival time (SO_TIMESTAMPNS on
  // `fd`, control buffers here): a reader that lets datagrams wait in the
  // socket to batch them still knows when each arrived. False (errno kept)
  // if the socket refuses; arrival() then answers `now`.
  bool EnableArrivalTimes(int fd);
  // When datagram `i` reached the socket, on the steady clock: the kernel's
  // CLOCK_REALTIME stamp moved by (steady now - realtime now), clamped to
  // [now - 1 s, now]; `now` without a stamp. `now`/`real_now_ns` are read
  // once per batch by the caller (ReadClocks()).
  struct Clocks {
    Time now;
    int64_t real_now_ns = 0;
  };
  static Clocks ReadClocks(Time steady_now);
  Time arrival(size_t i, const Clocks& clocks) const;
  // Payload of datagram `i` (< last Receive result), at most buffer_size bytes.
  // (With GRO, `i` counts datagrams; the accessors below map it to its message.)
  std::span<const uint8_t> data(size_t i) const;
  // True when datagram `i` was larger than buffer_size (MSG_TRUNC): its
  // payload is incomplete and the caller should drop it.
  bool truncated(size_t i) const;
  // Source address of datagram `i`.
  UdpEndpoint source(size_t i) const;

 private:
  size_t capacity_;
  size_t buffer_size_;
  std::vector<uint8_t> buffers_;
  std::vector<::mmsghdr> headers_;
  std::vector<::iovec> iovecs_;
  std::vector<::sockaddr_storage> addresses_;
  std::vector<uint8_t> control_;  // per message: control_size_ (arrival times / GRO on)
  size_t control_size_ = 0;
  bool gro_ = false;
  // GRO on: datagram i is views_[i] (a slice of message `message`).
  struct View {
    uint32_t message;
    uint32_t offset;
    uint32_t size;
  };
  std::vector<View> views_;
  uint64_t gro_messages_ = 0;
  uint64_t gro_datagrams_ = 0;
  size_t Message(size_t i) const { return gro_ ? views_[i].message : i; }
  void SetControl(bool timestamps, bool gro);
  // (Re)initializes headers [0, count) for recvmmsg.
  void InitHeaders(size_t count);
  size_t dirty_;  // headers [0, dirty_) need InitHeaders (a layout change)
  bool timestamps_ = false;
};

class SendBatch {
 public:
  explicit SendBatch(size_t capacity);
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Queues `data` for `destination` (nullptr: the socket is connected). The
  // bytes and the endpoint must stay alive until Flush. Returns false, and
  // queues nothing, when full() — flush first.
  bool Add(std::span<const uint8_t> data, const UdpEndpoint* destination);
  // Queues one datagram in two parts, `head` then `body` (a gather send: a
  // relay hop's header and a payload shared by every hop). Both must stay
  // alive until Flush. Never joined into a GSO message.
  bool AddParts(std::span<const uint8_t> head, std::span<const uint8_t> body,
                const UdpEndpoint* destination);
  bool full() const { return size_ == capacity_; }
  size_t size() const { return size_; }

  // UDP generic segmentation offload: at Flush, consecutive queued datagrams
  // to one destination, all of one size but the last (which may be
  // shorter), leave as one message the kernel (or the NIC) cuts back into
  // those datagrams: one trip through the stack instead of one per datagram
  // (at most 64 datagrams and 65,507 bytes per message). The receiver sees
  // the same datagrams. True if `fd`'s kernel has UDP_SEGMENT; then it is
  // used until a send refuses it (EIO: no checksum offload on the device,
  // EINVAL, EOPNOTSUPP), after which the batch sends datagram by datagram.
  bool EnableGso(int fd);
  bool gso() const { return gso_; }
  struct GsoStats {
    uint64_t messages = 0;   // GSO messages sent (2 or more datagrams each)
    uint64_t segments = 0;   // datagrams they carried
    uint64_t fallbacks = 0;  // GSO turned off by a refusal
  };
  const GsoStats& gso_stats() const { return gso_stats_; }

  // Sends everything queued on the non-blocking socket `fd`, then empties the
  // batch. A datagram the kernel refuses is skipped and its errno counted in
  // `errors`; on EAGAIN the rest of the batch is dropped and counted too (a
  // UDP emulator must not block). Returns what the kernel accepted.
  struct Sent {
    size_t datagrams = 0;
    size_t bytes = 0;
  };
  Sent Flush(int fd, SendErrorCounters& errors);

 private:
  // sendmmsg of `headers`, each carrying counts[i] datagrams (from the
  // queued datagram firsts[i]). Returns the message index it stopped at:
  // `n` when done, else the GSO message the kernel refused as GSO.
  size_t SendMessages(int fd, ::mmsghdr* headers, const uint16_t* counts, size_t n,
                      SendErrorCounters& errors, Sent& sent, bool gso);
  bool SameDestination(size_t a, size_t b) const;

  size_t capacity_;
  size_t size_ = 0;
  std::vector<::mmsghdr> headers_;
  std::vector<::iovec> iovecs_;       // one per datagram (iov_len 0: parts)
  std::vector<::iovec> part_iovecs_;  // two per datagram queued by AddParts
  bool gso_ = false;
  GsoStats gso_stats_;
  // GSO: one message per run of datagrams, its datagram count and first.
  std::vector<::mmsghdr> messages_;
  std::vector<uint16_t> counts_;
  std::vector<uint16_t> ones_;  // all 1: datagram-by-datagram sends
  std::vector<size_t> firsts_;
  std::vector<uint8_t> control_;  // per message: CMSG_SPACE(uint16_t)
};

}  // namespace hitless::io
