// GenInput (gen://): a constant-bitrate source of test-stream datagrams
// (netem-scenarios/teststream), for measuring the transport end to end with
// VerifyOutput.
//
// Pacing: datagram k is due at start + k * size * 8 / bitrate, computed from
// the absolute start each time (no accumulated drift). One steady_timer is
// armed for the next due time; a late wake-up emits every datagram already
// due in one burst (at most kMaxBurst per handler, then it yields and
// continues). Each datagram carries its emission time (CLOCK_MONOTONIC).
// With a finite duration, exactly ceil(duration / interval) datagrams are
// emitted, then on_end(OkStatus()).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <vector>

#include "transport/base/clock.h"
#include "transport/endpoints/media.h"
#include "transport/endpoints/url.h"

namespace hitless::endpoints {

class GenInput final : public MediaInput {
 public:
  static constexpr uint64_t kMaxBurst = 1024;

  // `spec` must be valid (ParseEndpointUrl checks it); a stream id of
  // nullopt picks one from the clock.
  explicit GenInput(const GenSpec& spec);
  ~GenInput() override;

  absl::Status Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                     EndHandler on_end) override;
  void Stop() override;
  InputStats stats() const override { return stats_; }
  std::string Describe() const override;

  uint32_t stream_id() const { return stream_id_; }
  // Datagrams emitted so far (= the next sequence number).
  uint64_t emitted() const { return next_seq_; }
  // Total datagrams a finite run emits; nullopt when infinite.
  std::optional<uint64_t> planned() const;

 private:
  Time DueTime(uint64_t seq) const;
  void Arm();
  void OnTimer();

  GenSpec spec_;
  uint32_t stream_id_;
  double ns_per_datagram_;
  SteadyClock clock_;
  std::optional<boost::asio::steady_timer> timer_;
  DatagramHandler on_datagram_;
  EndHandler on_end_;
  std::vector<uint8_t> buffer_;
  Time start_;
  uint64_t next_seq_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  InputStats stats_;
  LifetimeToken lifetime_;
};

}  // namespace hitless::endpoints
