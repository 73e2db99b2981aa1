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
  if (highest_ && seq + kWindow <= *highest_) {
    ++stale_;
    return;
  }
  if (!highest_ || seq > *highest_) {
    // Forget the ring slots the window slides over (at most kWindow of them).
    const uint64_t first = highest_ ? *highest_ + 1 : 0;
    const uint64_t clear_from = seq - first >= kWindow ? seq + 1 - kWindow : first;
    for (uint64_t s = clear_from; s < seq; ++s) Seen(s) = false;
    Seen(seq) = false;
  }
  if (Seen(seq)) {
    ++duplicates_;
    return;
  }
  Seen(seq) = true;
  ++unique_;
  if (highest_ && seq < *highest_) ++reordered_;
  if (!highest_ || seq > *highest_) highest_ = seq;

  const Duration delay = now - parsed->sent;
  min_delay_ = std::min(min_delay_, delay);
  max_delay_ = std::max(max_delay_, delay);
  const double ms = delay.ToMillisecondsF();
  delay_sum_ms_ += ms;
  delay_sq_ms_ += ms * ms;
  ++histogram_[BinOf(delay)];
}

uint64_t Checker::missing(std::optional<uint64_t> expected) const {
  const uint64_t span = std::max(highest_ ? *highest_ + 1 : 0, expected.value_or(0));
  return span - std::min(span, unique_ + stale_);
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
  const auto rank =
      static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(unique_)));
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram_.size(); ++i) {
    cumulative += histogram_[i];
    // The bin's upper edge, but never beyond what was actually seen (coarse
    // bins above 2 s would otherwise overstate by up to 10 ms).
    if (cumulative >= std::max<uint64_t>(rank, 1)) {
      return std::clamp(BinUpperEdge(i), min_delay_, max_delay_);
    }
  }
  return max_delay_;
}

size_t Checker::BinOf(Duration delay) {
  const int64_t ns = std::max<int64_t>(delay.ToNanoseconds(), 0);
  const auto fine_limit = static_cast<int64_t>(kFineBins) * kFineBinNs;
  if (ns < fine_limit) return static_cast<size_t>(ns / kFineBinNs);
  return kFineBins +
         std::min(static_cast<size_t>((ns - fine_limit) / kCoarseBinNs), kCoarseBins - 1);
}

Duration Checker::BinUpperEdge(size_t bin) {
  if (bin < kFineBins) return Duration::Nanoseconds(static_cast<int64_t>(bin + 1) * kFineBinNs);
  return Duration::Nanoseconds(static_cast<int64_t>(kFineBins) * kFineBinNs +
                               static_cast<int64_t>(bin - kFineBins + 1) * kCoarseBinNs);
}

}  // namespace hitless::teststream
