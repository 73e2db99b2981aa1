// SrtServer: one SRT listener (libsrt, live mode) for many callers, each a
// leg of its own: hitless-relay's SRT publishers and readers, named by their
// streamid. The owner decides each handshake (admit with the passphrase the
// caller must hold, or refuse with a reason the caller reads), then gets
// connect, data and close events on its io_context thread and sends to a
// caller from there.
//
// One thread waits on libsrt's epoll (10 ms at most), accepts, reads every
// caller and notices broken connections; events go to the io_context in
// batches (one posted handler per batch). Sends go straight into libsrt's
// send buffer from the io thread (non-blocking: full is a counted drop).
// A caller's refused handshake, by the owner or by libsrt (a wrong
// passphrase), is counted with its reason.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "transport/base/time.h"
#include "transport/endpoints/media.h"
#include "transport/io/endpoint.h"

namespace hitless::endpoints {

class SrtServer {
 public:
  struct Options {
    io::UdpEndpoint listen;
    Duration latency = Duration::Milliseconds(120);  // SRTO_LATENCY of every leg
    size_t max_callers = 256;
  };
  // A handshake's verdict, given on libsrt's thread (keep it quick and
  // thread-safe). reject = 0 admits; else an SRT_REJX_* code (1401
  // unauthorized, 1402 overload, 1403 forbidden, 1404 not found) the caller
  // reads, and `why` for our counters.
  // SRT's access-control reject codes (libsrt's access_control.h, SRT_REJX_*).
  static constexpr int kRejectBadRequest = 1400;
  static constexpr int kRejectUnauthorized = 1401;
  static constexpr int kRejectOverload = 1402;
  static constexpr int kRejectForbidden = 1403;
  static constexpr int kRejectNotFound = 1404;
  struct Admission {
    int reject = 0;
    std::string passphrase;  // the caller must hold it ("" = none)
    std::string why;
  };
  using AdmitFn = std::function<Admission(std::string_view streamid)>;
  struct Handlers {
    std::function<void(uint64_t caller, const std::string& streamid, const std::string& peer)>
        on_connect;
    std::function<void(uint64_t caller, std::span<const uint8_t> datagram, Time at)> on_data;
    std::function<void(uint64_t caller)> on_close;  // the connection ended (not after Close)
  };
  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused = 0;      // by the admission, or by libsrt (passphrase)
    std::string last_refusal;  // its reason
    uint64_t overflow = 0;     // datagrams dropped: the io thread fell 16 MB behind
  };
  enum class SendResult : uint8_t { kSent, kBufferFull, kGone };

  explicit SrtServer(Options options);
  ~SrtServer();
  SrtServer(const SrtServer&) = delete;
  SrtServer& operator=(const SrtServer&) = delete;

  // Binds and listens. Errors (Unavailable): the port cannot be bound.
  absl::Status Start(boost::asio::io_context& io, AdmitFn admit, Handlers handlers);
  // Closes every caller and the listener; no event follows. Idempotent.
  void Stop();
  // io thread.
  SendResult Send(uint64_t caller, std::span<const uint8_t> datagram);
  void Close(uint64_t caller);
  // libsrt's figures of one caller (srt_bstats; `receiving`: its receive
  // side, else its send side).
  SrtLegStats LegStats(uint64_t caller, bool receiving) const;
  Stats stats() const;
  uint16_t local_port() const;

 private:
  struct State;  // srt_server.cc: sockets, thread, event queue
  std::unique_ptr<State> state_;
};

}  // namespace hitless::endpoints
