// Implements gen_input.h.
#include "transport/endpoints/gen_input.h"

#include <chrono>
#include <cmath>

#include "absl/strings/str_format.h"
#include "netem-scenarios/teststream/test_stream.h"

namespace hitless::endpoints {

GenInput::GenInput(const GenSpec& spec)
    : spec_(spec),
      stream_id_(spec.stream_id.value_or(
          static_cast<uint32_t>(SteadyClock().Now().ToNanoseconds() & 0x7FFFFFFF))),
      ns_per_datagram_(static_cast<double>(spec.size) * 8e9 /
                       static_cast<double>(spec.bitrate_bps)),
      buffer_(spec.size) {}

GenInput::~GenInput() { Stop(); }

std::optional<uint64_t> GenInput::planned() const {
  if (spec_.duration.IsInfinite()) return std::nullopt;
  return static_cast<uint64_t>(
      std::ceil(static_cast<double>(spec_.duration.ToNanoseconds()) / ns_per_datagram_));
}

Time GenInput::DueTime(uint64_t seq) const {
  return start_ + Duration::Nanoseconds(std::llround(static_cast<double>(seq) * ns_per_datagram_));
}

absl::Status GenInput::Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                             EndHandler on_end) {
  if (started_) return absl::FailedPreconditionError("gen://: Start called twice");
  started_ = true;
  on_datagram_ = std::move(on_datagram);
  on_end_ = std::move(on_end);
  timer_.emplace(io);
  start_ = clock_.Now();
  Arm();
  return absl::OkStatus();
}

void GenInput::Stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

void GenInput::Arm() {
  // The timer runs on std::chrono::steady_clock; convert the distance, not
  // the epoch, so a differing epoch cannot matter.
  const Duration wait = DueTime(next_seq_) - clock_.Now();
  timer_->expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, wait.ToNanoseconds())));
  timer_->async_wait([this, alive = lifetime_.Weak()](const boost::system::error_code& ec) {
    if (ec || alive.expired() || stopped_) return;
    OnTimer();
  });
}

void GenInput::OnTimer() {
  const std::optional<uint64_t> total = planned();
  const Time now = clock_.Now();
  for (uint64_t burst = 0; burst < kMaxBurst; ++burst) {
    if ((total && next_seq_ >= *total) || DueTime(next_seq_) > now) break;
    teststream::WriteDatagram(buffer_, stream_id_, next_seq_, now);
    ++next_seq_;
    ++stats_.datagrams;
    stats_.bytes += buffer_.size();
    on_datagram_(buffer_, now);
    if (stopped_) return;
  }
  if (total && next_seq_ >= *total) {
    stopped_ = true;
    if (on_end_) on_end_(absl::OkStatus());
    return;
  }
  Arm();
}

std::string GenInput::Describe() const {
  return absl::StrFormat("gen://?bitrate=%d&size=%d (stream %u)", spec_.bitrate_bps, spec_.size,
                         stream_id_);
}

}  // namespace hitless::endpoints
