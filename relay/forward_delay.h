// ForwardDelay: how long a datagram spends in the relay, from the kernel's
// arrival stamp on the listening socket to the end of the sendmmsg that
// carried what it caused (the forwarded copies, a retransmission): the
// relay-in to relay-out delay, the one thing cut-through promises.
//
// A fixed histogram (10 us bins up to 20 ms, then one overflow bin): no
// allocation per sample, percentiles to 10 us, and Prometheus buckets.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "transport/base/time.h"

namespace hitless::relay {

class ForwardDelay {
 public:
  static constexpr int64_t kBinUs = 10;
  static constexpr size_t kBins = 2000;  // 0..20 ms; one more for beyond

  void Add(Duration delay) {
    const int64_t us = std::max<int64_t>(delay.ToMicroseconds(), 0);
    const auto bin = static_cast<size_t>(std::min<int64_t>(us / kBinUs, kBins));
    ++bins_[bin];
    ++count_;
    sum_us_ += us;
    max_us_ = std::max(max_us_, us);
  }
  uint64_t count() const { return count_; }
  double sum_seconds() const { return static_cast<double>(sum_us_) / 1e6; }
  int64_t max_us() const { return max_us_; }
  // The q-quantile (0..1), as its bin's upper edge (max beyond 20 ms); 0
  // without samples.
  int64_t PercentileUs(double q) const {
    if (count_ == 0) return 0;
    const auto target = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < kBins; ++b) {
      seen += bins_[b];
      if (seen >= target) return std::min<int64_t>((static_cast<int64_t>(b) + 1) * kBinUs, max_us_);
    }
    return max_us_;
  }
  // Samples under `us` (a multiple of kBinUs): a Prometheus bucket's
  // cumulative count, to the bin. Beyond 20 ms only whole: the overflow bin
  // counts once every sample is under `us`.
  uint64_t UnderUs(int64_t us) const {
    if (us > max_us_ && us > static_cast<int64_t>(kBins) * kBinUs) return count_;
    uint64_t n = 0;
    const auto last = static_cast<size_t>(std::min<int64_t>(us / kBinUs, kBins));
    for (size_t b = 0; b < last; ++b) n += bins_[b];
    return n;
  }

 private:
  std::array<uint64_t, kBins + 1> bins_{};
  uint64_t count_ = 0;
  int64_t sum_us_ = 0;
  int64_t max_us_ = 0;
};

}  // namespace hitless::relay
