// libFuzzer target: the ARQ parts driven by a fuzzed script of operations on
// a fuzzed, non-decreasing clock. The receiver's LossTracker gets fuzzed
// sequence numbers (small steps, reordering, huge jumps, out-of-range values),
// deadlines and abandonments; its NACKs are checked (ascending, disjoint,
// counts 1..65535, at most the requested number of ranges) and fed to the
// sender's RetransmitPolicy, which also gets raw fuzzed ranges, while the
// RetransmitBuffer stores packets with fuzzed gaps and sizes. Invariants
// violated -> __builtin_trap().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "transport/arq/loss_tracker.h"
#include "transport/arq/retransmit_buffer.h"
#include "transport/arq/retransmit_policy.h"
#include "transport/arq/rtt_estimator.h"

namespace {

using hitless::Duration;
using hitless::Time;
namespace arq = hitless::arq;

class Script {
 public:
  explicit Script(std::span<const uint8_t> data) : data_(data) {}
  bool empty() const { return data_.empty(); }
  template <typename T>
  T Take() {
    T v{};
    const size_t n = std::min(sizeof(T), data_.size());
    std::memcpy(&v, data_.data(), n);
    data_ = data_.subspan(n);
    return v;
  }

 private:
  std::span<const uint8_t> data_;
};

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckRanges(const std::vector<arq::NackRange>& ranges, size_t max_ranges) {
  Check(ranges.size() <= max_ranges);
  for (size_t i = 0; i < ranges.size(); ++i) {
    Check(ranges[i].count >= 1 && ranges[i].count <= arq::kMaxNackRangeCount);
    if (i > 0) Check(ranges[i - 1].first + ranges[i - 1].count <= ranges[i].first);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Script in({data, size});
  arq::LossTracker tracker({.max_missing = 256, .receive_window_log2 = 10});
  arq::RetransmitBuffer buffer({.capacity = 256, .retention = Duration::Milliseconds(500)});
  arq::RetransmitPolicy policy({.latency = Duration::Milliseconds(500), .max_seqs_per_nack = 4096},
                               &buffer);
  arq::RttEstimator rtt;
  Time now = Time::Zero();
  int64_t rx_seq = 0;
  int64_t tx_seq = 0;
  std::vector<arq::NackRange> ranges;
  std::vector<arq::Retransmission> out;
  std::vector<uint8_t> payload;

  for (int steps = 0; !in.empty() && steps < 4096; ++steps) {
    const auto op = in.Take<uint8_t>();
    switch (op % 10) {
      case 0: {  // arrival near the highest (reorder, duplicate, small gap)
        rx_seq += in.Take<int8_t>();
        const auto origin = static_cast<arq::ArrivalOrigin>(in.Take<uint8_t>() % 3);
        const arq::ArrivalResult r = tracker.OnPacket(rx_seq, now, origin);
        Check(r.gap_count >= 0 && r.gap_count <= 256);
        Check(r.gap_count == 0 || r.kind == arq::ArrivalKind::kNew ||
              r.kind == arq::ArrivalKind::kLate);
        if (r.gap_count > 0) {
          for (int64_t s = r.gap_first; s < r.gap_first + r.gap_count; ++s) {
            Check(tracker.IsMissing(s));
          }
          tracker.SetDeadline(r.gap_first, r.gap_count,
                              now + Duration::Microseconds(in.Take<uint16_t>()) * 8);
        }
        break;
      }
      case 1: {  // arbitrary sequence (huge jumps, out of range)
        const auto seq = in.Take<int64_t>();
        if (arq::SeqInRange(seq)) rx_seq = seq;
        (void)tracker.OnPacket(seq, now, arq::ArrivalOrigin::kOriginal);
        break;
      }
      case 2: {
        const auto max_ranges = static_cast<size_t>(in.Take<uint8_t>() % 250) + 1;
        const Duration r = Duration::Microseconds(in.Take<uint16_t>()) * 16;
        tracker.CollectNacks(now, r, ranges, max_ranges);
        CheckRanges(ranges, max_ranges);
        for (const arq::NackRange& nr : ranges) Check(tracker.IsMissing(nr.first));
        policy.OnNack(ranges, now);
        break;
      }
      case 3: {
        const auto kind = in.Take<uint8_t>() % 3;
        const int64_t seq = rx_seq - in.Take<uint8_t>();
        if (kind == 0) tracker.Abandon(seq);
        if (kind == 1) tracker.AbandonBefore(seq);
        if (kind == 2) tracker.AbandonExpired(now);
        break;
      }
      case 4:  // time passes (up to ~4.3 s)
        now += Duration::Nanoseconds(in.Take<uint32_t>());
        break;
      case 5: {  // the sender stores a packet after a fuzzed gap
        tx_seq += 1 + in.Take<uint8_t>() % 4 * (in.Take<uint8_t>() < 8 ? 200 : 1);
        payload.assign(1 + in.Take<uint16_t>() % 1500, static_cast<uint8_t>(tx_seq));
        buffer.Expire(now);
        Check(buffer.Store(tx_seq, now, payload));
        Check(buffer.Find(tx_seq) != nullptr &&
              std::equal(buffer.Find(tx_seq)->bytes.begin(), buffer.Find(tx_seq)->bytes.end(),
                         payload.begin(), payload.end()));
        break;
      }
      case 6: {  // raw fuzzed NACK ranges
        ranges.clear();
        const auto n = in.Take<uint8_t>() % 8;
        for (int i = 0; i < n; ++i) {
          const bool near = in.Take<uint8_t>() & 1;
          const int64_t first = near ? tx_seq - in.Take<uint16_t>() % 600 : in.Take<int64_t>();
          const int64_t count = near ? in.Take<uint16_t>() : in.Take<int64_t>();
          ranges.push_back({first, count});
        }
        policy.OnNack(ranges, now);
        break;
      }
      case 7: {
        const size_t max = in.Take<uint8_t>() == 0 ? std::numeric_limits<size_t>::max() : 8;
        policy.PopDue(now, out, max);
        Check(out.size() <= max);
        for (const arq::Retransmission& r : out) {
          const arq::StoredPacket* p = buffer.Find(r.seq);
          Check(p != nullptr && !r.bytes.empty() && r.bytes.size() == p->bytes.size());
          Check(r.copy < r.copies && now < r.send_time + Duration::Milliseconds(500));
        }
        break;
      }
      case 8: {  // link estimate from fuzzed RTT samples and loss
        rtt.OnSample(Duration::Microseconds(in.Take<int32_t>()), now);
        policy.SetLinkEstimate({.srtt = rtt.srtt(),
                                .one_way = rtt.one_way(),
                                .loss_rate = in.Take<uint8_t>() / 255.0});
        Check(rtt.rto() >= Duration::Milliseconds(10) && rtt.rto() <= Duration::Seconds(60));
        break;
      }
      case 9: {  // wake-ups never point into the past once served
        if (const auto wake = tracker.NextWakeup(); wake && *wake <= now) {
          tracker.CollectNacks(now, rtt.srtt(), ranges, std::numeric_limits<size_t>::max());
          CheckRanges(ranges, std::numeric_limits<size_t>::max());
          const auto next = tracker.NextWakeup();
          Check(!next || *next > now);
        }
        // Unbounded, PopDue stops only when nothing is ready or the cap blocks.
        policy.PopDue(now, out);
        const auto next = policy.NextWakeup();
        Check(!next || *next > now);
        break;
      }
    }
    Check(tracker.missing_count() <= 256);
    Check(buffer.size() <= 256);
  }
  const arq::LossTrackerStats& s = tracker.stats();
  Check(s.recovered_by_retransmission + s.recovered_by_reorder + s.recovered_by_fec <=
        s.gaps_detected);
  return 0;
}
