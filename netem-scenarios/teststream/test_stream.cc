#include "netem-scenarios/teststream/test_stream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "transport/base/byte_io.h"

namespace hitless::teststream {
namespace {
// Sequence numbers beyond this are treated as malformed: it bounds the
// checker's memory (2^32 datagrams is 11 days at 200 Mbit/s).
constexpr uint64_t kMaxSeq = uint64_t{1} << 32;
}  // namespace

bool WriteDatagram(std::span<uint8_t> out, uint32_t stream_id, uint64_t seq, Time sent) {
  if (out.size() < kHeaderSize) return false;
  ByteWriter w(out);
  w.WriteU32(kMagic);
  w.WriteU32(stream_id);
  w.WriteU64(seq);
  w.WriteU64(static_cast<uint64_t>(sent.ToNanoseconds()));
  std::memset(out.data() + kHeaderSize, 0x47, out.size() - kHeaderSize);
  return w.ok();
}

std::optional<ParsedDatagram> ParseDatagram(std::span<const uint8_t> datagram) {
  ByteReader r(datagram);
  uint32_t magic = 0, stream_id = 0;
  uint64_t seq = 0, sent = 0;
  if (!r.ReadU32(magic) || magic != kMagic || !r.ReadU32(stream_id) || !r.ReadU64(seq) ||
      !r.ReadU64(sent) || seq >= kMaxSeq) {
    return std::nullopt;
  }
  return ParsedDatagram{stream_id, seq, Time::FromNanoseconds(static_cast<int64_t>(sent))};
}

void Checker::OnDatagram(std::span<const uint8_t> datagram, Time now) {
  ++received_;
  const auto parsed = ParseDatagram(datagram);
  if (!parsed || (stream_id_ && parsed->stream_id != *stream_id_)) {
    ++malformed_;
    return;
  }
  if (!stream_id_) stream_id_ = parsed->stream_id;
  const uint64_t seq = parsed->seq;
  if (seq >= seen_.size()) seen_.resize(std::max<uint64_t>(seq + 1, seen_.size() * 2), false);
  if (seen_[seq]) {
    ++duplicates_;
    return;
  }
  seen_[seq] = true;
  ++unique_;
  if (highest_ && seq < *highest_) ++reordered_;
  if (!highest_ || seq > *highest_) highest_ = seq;

  const Duration delay = now - parsed->sent;
  min_delay_ = std::min(min_delay_, delay);
  max_delay_ = std::max(max_delay_, delay);
  const double ms = delay.ToMillisecondsF();
  delay_sum_ms_ += ms;
  delay_sq_ms_ += ms * ms;
  const int64_t bin = std::clamp<int64_t>(delay.ToNanoseconds() / kBinNs, 0, kBins - 1);
  ++histogram_[static_cast<size_t>(bin)];
}

uint64_t Checker::missing(std::optional<uint64_t> expected) const {
  const uint64_t span = std::max(highest_ ? *highest_ + 1 : 0, expected.value_or(0));
  return span - unique_;
}

double Checker::mean_delay_ms() const {
  return unique_ ? delay_sum_ms_ / static_cast<double>(unique_) : 0.0;
}

double Checker::stddev_delay_ms() const {
  if (unique_ < 2) return 0.0;
  const double mean = mean_delay_ms();
  return std::sqrt(std::max(0.0, delay_sq_ms_ / static_cast<double>(unique_) - mean * mean));
}

Duration Checker::delay_percentile(double q) const {
  if (unique_ == 0) return Duration::Zero();
  const auto rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) *
                                                    static_cast<double>(unique_)));
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBins; ++i) {
    cumulative += histogram_[i];
    if (cumulative >= std::max<uint64_t>(rank, 1)) {
      return Duration::Nanoseconds(static_cast<int64_t>(i + 1) * kBinNs);
    }
  }
  return max_delay_;
}

}  // namespace hitless::teststream
