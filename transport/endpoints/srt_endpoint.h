// SrtInput / SrtOutput (srt:// as input or output): one SRT leg through
// libsrt in live mode, so an encoder that pushes SRT can feed hitless-send
// and a decoder that pulls SRT can read hitless-recv without any change.
// This file and srt_endpoint.cc are the only places that include libsrt.
//
// Each endpoint owns an SrtLink: the libsrt sockets and one thread that makes
// and keeps the connection (listener: accepts; caller: connects and
// reconnects every second after a failure or a loss; rendezvous: the same
// as a caller), waits on libsrt's epoll (100 ms at most, so Stop is prompt)
// and, for an input, reads the datagrams. An input hands what it read to the
// io_context in batches (one posted handler per batch, each datagram with the
// time libsrt released it); an output sends from the io_context thread
// straight into libsrt's send buffer (non-blocking: a full buffer is a
// counted drop, never a stall).
//
// Connections: an input listener serves one caller: a new caller replaces
// the old one (an encoder that restarted is back at once, not after SRT's
// 5 s peer-idle timeout), counted as `replaced`. An output listener serves
// up to kMaxOutputCallers callers (a decoder and a monitor), each sent every
// datagram. A listener with streamid= accepts only callers presenting it.
// Every connection, loss and refusal is counted (SrtLegStats) and said on
// stderr once, with the reason (a wrong passphrase is named on both sides:
// a caller reads libsrt's reject reason; a listener learns it from libsrt's
// log, which is the only place libsrt reports it).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "transport/endpoints/media.h"
#include "transport/endpoints/url.h"

namespace hitless::endpoints {

class SrtLink;  // srt_endpoint.cc

inline constexpr int kMaxOutputCallers = 8;

class SrtInput final : public MediaInput {
 public:
  // Resolves the host (blocking; startup only). Errors: unresolvable host.
  static absl::StatusOr<std::unique_ptr<SrtInput>> Create(const SrtSpec& spec, std::string url);
  ~SrtInput() override;

  // Errors (Unavailable): the listener cannot bind or listen (port in use).
  absl::Status Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                     EndHandler on_end) override;
  void Stop() override;
  InputStats stats() const override;
  std::string Describe() const override;
  // The listener's bound port once started (0 otherwise).
  uint16_t local_port() const;

 private:
  explicit SrtInput(std::unique_ptr<SrtLink> link);
  struct Shared;  // the batch handed from the link thread to the io_context
  std::unique_ptr<SrtLink> link_;
  std::shared_ptr<Shared> shared_;
};

class SrtOutput final : public MediaOutput {
 public:
  static absl::StatusOr<std::unique_ptr<SrtOutput>> Create(const SrtSpec& spec, std::string url);
  ~SrtOutput() override;

  absl::Status Start(boost::asio::io_context& io, EndHandler on_failure) override;
  void Write(std::span<const uint8_t> datagram, Time now) override;
  void Flush() override {}  // libsrt sends on its own schedule
  absl::Status Close() override;
  OutputStats stats() const override;
  std::string Describe() const override;
  uint16_t local_port() const;

 private:
  explicit SrtOutput(std::unique_ptr<SrtLink> link);
  std::unique_ptr<SrtLink> link_;
  OutputStats stats_;  // datagrams/bytes/errors/drops (io thread only)
  bool closed_ = false;
};

}  // namespace hitless::endpoints
