// MediaInput / MediaOutput: where hitless-send reads its stream and where
// hitless-recv writes it. The session driver owns one of each and runs them
// on its single-threaded boost::asio::io_context.
//
// Contract shared by every implementation:
//   - Construction (factory.h) validates and opens what can fail early
//     (files, name resolution); Start binds sockets and arms the first
//     asynchronous operation. Nothing runs before Start.
//   - Callbacks run on the io_context thread only. A callback may call Stop()
//     (or Close()) on the endpoint that called it, but must not destroy it:
//     destroy it from a later handler or after the loop returns.
//   - After Stop()/Close() no callback is invoked again. Handlers still queued
//     in the io_context when the object is destroyed are harmless (they hold
//     a weak lifetime token, see LifetimeToken).
//   - Destroy every endpoint before the io_context it was started on (Asio
//     I/O objects must not outlive their context): declare the context first.
//   - `now` is CLOCK_MONOTONIC (SteadyClock) read once per batch.
//   - Every discarded datagram is counted with a DropReason; failed system
//     calls count in `errors`. Stats are cheap snapshots.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "transport/base/drop_reason.h"
#include "transport/base/time.h"

namespace hitless::endpoints {

// One datagram from an input, valid only during the call.
using DatagramHandler = std::function<void(std::span<const uint8_t> datagram, Time now)>;
// Ok when the input ended normally (EOF, gen:// duration over), else why it
// failed (read error, closed stdout...). Called at most once.
using EndHandler = std::function<void(absl::Status status)>;

// An srt:// leg's own figures: its connections (Hitless's view) and libsrt's
// counters (srt_bstats), summed over every connection the leg has had.
struct SrtLegStats {
  uint32_t connected = 0;      // connections up now
  uint64_t connects = 0;       // connections made (accepted or called)
  uint64_t disconnects = 0;    // connections lost (peer closed, broken, timed out)
  uint64_t refused = 0;        // handshakes refused: by the peer (caller) or by us (listener)
  uint64_t replaced = 0;       // input listener: a new caller took over from the old one
  uint64_t not_connected = 0;  // output: datagrams written with no SRT peer connected
  std::string last_refusal;    // why the last handshake was refused ("" = none)
  // libsrt (srt_bstats), this leg's direction: packets lost on the SRT link
  // (receiver: detected, sender: reported), retransmitted, and dropped by
  // SRT as too late (its own TLPKTDROP at its latency).
  uint64_t srt_lost = 0;
  uint64_t srt_retransmitted = 0;
  uint64_t srt_dropped = 0;
  uint64_t srt_packets = 0;  // data packets sent / received by libsrt (originals)
  double rtt_ms = 0;         // current connection's smoothed RTT (0 = none)
  double buffer_ms = 0;      // current connection's buffer (receive or send), ms
  double latency_ms = 0;     // negotiated TSBPD latency of the current connection
};

struct InputStats {
  uint64_t datagrams = 0;          // delivered to the handler
  uint64_t bytes = 0;              // delivered to the handler
  uint64_t errors = 0;             // failed receive/read calls
  DropCounters drops;              // read but not delivered (kOversized: larger than the buffer)
  std::optional<SrtLegStats> srt;  // srt:// inputs only
};

struct OutputStats {
  uint64_t datagrams = 0;  // accepted by the kernel / written / checked
  uint64_t bytes = 0;
  uint64_t errors = 0;  // failed send/write calls (UDP: datagrams the kernel refused)
  DropCounters drops;   // discarded before a write (kBufferFull: a slow pipe reader)
  uint64_t discarded_after_failure = 0;  // written after the output failed for good
  std::optional<SrtLegStats> srt;        // srt:// outputs only
};

class MediaInput {
 public:
  virtual ~MediaInput() = default;

  // Starts delivering datagrams to `on_datagram` from handlers on `io`.
  // `on_end` reports the end of the stream (see EndHandler); after it no
  // datagram follows. Errors: socket setup (bind, multicast join), called
  // twice. `io` must outlive this object's activity (until Stop()).
  [[nodiscard]] virtual absl::Status Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                                           EndHandler on_end) = 0;
  // Stops reading and cancels timers; idempotent; on_end is not called.
  virtual void Stop() = 0;
  virtual InputStats stats() const = 0;
  // What it reads, for logs: the URL, or a resolved address once started.
  virtual std::string Describe() const = 0;
};

class MediaOutput {
 public:
  virtual ~MediaOutput() = default;

  // Binds to `io` (sockets, posted flushes). `on_failure` is called at most
  // once, from a handler, when the output can no longer write (EPIPE on
  // stdout, disk full); the driver should end the run with that status.
  [[nodiscard]] virtual absl::Status Start(boost::asio::io_context& io, EndHandler on_failure) = 0;
  // Queues one datagram (copied; the span need not outlive the call).
  // Batched outputs send when their batch fills and at the end of the
  // current io_context handler (a posted flush), so callers need not Flush
  // after every Write. Before Start or after a failure it is discarded.
  virtual void Write(std::span<const uint8_t> datagram, Time now) = 0;
  // Sends/writes everything queued now, without blocking (pipes may keep a
  // remainder for when they become writable).
  virtual void Flush() = 0;
  // Flushes (blocking briefly if needed), releases the descriptor and writes
  // final artefacts (verify's JSON report). Errors: the final write failed.
  // Idempotent; after Close the output discards writes.
  [[nodiscard]] virtual absl::Status Close() = 0;
  virtual OutputStats stats() const = 0;
  virtual std::string Describe() const = 0;
};

// Guards handlers queued in an io_context against the object's destruction:
// capture Weak() and run only if it still locks.
class LifetimeToken {
 public:
  std::weak_ptr<const char> Weak() const { return token_; }

 private:
  std::shared_ptr<const char> token_ = std::make_shared<const char>(0);
};

}  // namespace hitless::endpoints
