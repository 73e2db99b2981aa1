// The ARQ parts end to end in the deterministic simulator: a tiny sender
// (RetransmitBuffer + RetransmitPolicy + RttEstimator) and receiver
// (LossTracker) exchanging trivially encoded DATA, NACK and REPORT datagrams
// (not the wire format) over links with 10% random loss in BOTH directions,
// RTT 60 ms and latency 240 ms (4 x RTT), 10 Mbit/s for 60 s. The policy must
// leave zero residual loss; the retransmission overhead is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "netem-scenarios/sim/simulator.h"
#include "transport/arq/loss_tracker.h"
#include "transport/arq/retransmit_buffer.h"
#include "transport/arq/retransmit_policy.h"
#include "transport/arq/rtt_estimator.h"

namespace hitless::arq {
namespace {

enum : uint8_t { kData = 1, kNack = 2, kReport = 3 };
constexpr size_t kDataHeader = 26;  // type, flags, seq, send time, sender srtt

void Put64(std::vector<uint8_t>& b, int64_t v) {
  uint8_t raw[8];
  std::memcpy(raw, &v, 8);
  b.insert(b.end(), raw, raw + 8);
}
int64_t Get64(std::span<const uint8_t> b, size_t off) {
  int64_t v = 0;
  std::memcpy(&v, b.data() + off, 8);
  return v;
}

struct Scenario {
  Duration latency = Duration::Milliseconds(240);
  Duration duration = Duration::Seconds(60);
  Duration tail = Duration::Seconds(1);  // stream keeps going so tail losses are seen
  uint64_t bitrate = 10'000'000;
  size_t payload = 1316;
};

class Sender final : public sim::Node {
 public:
  Sender(sim::Simulator& sim, const Scenario& sc)
      : sim_(sim),
        sc_(sc),
        interval_(Duration::Nanoseconds(
            static_cast<int64_t>(sc.payload * 8 * 1'000'000'000 / sc.bitrate))),
        buffer_({.capacity = 4096, .retention = sc.latency}),
        policy_({.latency = sc.latency}, &buffer_),
        rtt_() {}

  void Attach(sim::NodeId self, sim::PortId port) {
    self_ = self;
    port_ = port;
  }
  void OnReceive(sim::PortId, std::span<const uint8_t> d, Time now) override {
    if (d.empty()) return;
    if (d[0] == kReport && d.size() == 33) {
      rtt_.OnSample(now - Time::FromNanoseconds(Get64(d, 1)) - Duration::Nanoseconds(Get64(d, 9)),
                    now);
      const int64_t highest = Get64(d, 17);
      const int64_t lost = Get64(d, 25);
      if (highest >= 100) loss_ = static_cast<double>(lost) / static_cast<double>(highest + 1);
    } else if (d[0] == kNack && d.size() >= 3) {
      const size_t n = d[1] | (size_t{d[2]} << 8);
      if (d.size() != 3 + 16 * n) return;
      ranges_.clear();
      for (size_t i = 0; i < n; ++i)
        ranges_.push_back({Get64(d, 3 + 16 * i), Get64(d, 11 + 16 * i)});
      UpdateEstimate();
      policy_.OnNack(ranges_, now);
      SendRetransmissions(now);
    }
  }
  void OnWakeup(Time now) override {
    const Time end = start_ + sc_.duration + sc_.tail;
    while (next_send_ <= now && next_send_ < end) {
      std::vector<uint8_t> pkt = {kData, 0};
      Put64(pkt, next_seq_);
      Put64(pkt, next_send_.ToNanoseconds());
      Put64(pkt, rtt_.srtt().ToNanoseconds());
      pkt.resize(kDataHeader + sc_.payload, 0x47);
      buffer_.Expire(now);
      buffer_.Store(next_seq_, next_send_, pkt);
      sim_.Send(self_, port_, std::move(pkt));
      if (next_send_ < start_ + sc_.duration) measured_ = next_seq_ + 1;
      ++next_seq_;
      next_send_ = start_ + interval_ * next_seq_;
    }
    SendRetransmissions(now);
  }
  std::optional<Time> NextWakeup() const override {
    std::optional<Time> next = policy_.NextWakeup();
    if (next_send_ < start_ + sc_.duration + sc_.tail && (!next || next_send_ < *next)) {
      next = next_send_;
    }
    return next;
  }

  const RetransmitBuffer& buffer() const { return buffer_; }
  const RetransmitPolicy& policy() const { return policy_; }
  const RttEstimator& rtt() const { return rtt_; }
  int64_t measured() const { return measured_; }
  double loss() const { return loss_; }

 private:
  void UpdateEstimate() {
    policy_.SetLinkEstimate({.srtt = rtt_.srtt(), .one_way = rtt_.one_way(), .loss_rate = loss_});
  }
  void SendRetransmissions(Time now) {
    UpdateEstimate();
    policy_.PopDue(now, out_);
    for (const Retransmission& r : out_) {
      std::vector<uint8_t> pkt(r.bytes.begin(), r.bytes.end());
      pkt[1] = 1;  // retransmission flag
      sim_.Send(self_, port_, std::move(pkt));
    }
  }

  sim::Simulator& sim_;
  Scenario sc_;
  Duration interval_;
  RetransmitBuffer buffer_;
  RetransmitPolicy policy_;
  RttEstimator rtt_;
  sim::NodeId self_ = -1;
  sim::PortId port_ = -1;
  Time start_ = Time::Zero();
  Time next_send_ = Time::Zero();
  int64_t next_seq_ = 0;
  int64_t measured_ = 0;
  double loss_ = 0;
  std::vector<NackRange> ranges_;
  std::vector<Retransmission> out_;
};

class Receiver final : public sim::Node {
 public:
  Receiver(sim::Simulator& sim, const Scenario& sc) : sim_(sim), sc_(sc) {}
  void Attach(sim::NodeId self, sim::PortId port) {
    self_ = self;
    port_ = port;
  }
  void OnReceive(sim::PortId, std::span<const uint8_t> d, Time now) override {
    if (d.size() < kDataHeader || d[0] != kData) return;
    const int64_t seq = Get64(d, 2);
    const Time sent = Time::FromNanoseconds(Get64(d, 10));
    rtt_ = Duration::Nanoseconds(Get64(d, 18));
    const bool retx = d[1] != 0;
    const ArrivalResult r = tracker_.OnPacket(
        seq, now, retx ? ArrivalOrigin::kRetransmission : ArrivalOrigin::kOriginal);
    if (r.kind == ArrivalKind::kNew) {
      // A missing packet's release time, interpolated between its neighbours'
      // send times (the jitter buffer's estimate).
      for (int64_t s = r.gap_first; s < r.gap_first + r.gap_count; ++s) {
        const Duration step = (sent - highest_sent_) / (seq - highest_seq_);
        tracker_.SetDeadline(s, 1, highest_sent_ + step * (s - highest_seq_) + sc_.latency);
      }
      highest_seq_ = seq;
      highest_sent_ = sent;
    }
    if (!retx) {
      echo_sent_ = sent;
      echo_at_ = now;
    }
    if (static_cast<size_t>(seq) >= on_time_.size()) on_time_.resize(seq + 1, false);
    if (now <= sent + sc_.latency) on_time_[seq] = true;
  }
  void OnWakeup(Time now) override {
    if (now >= next_report_ && echo_at_) {
      std::vector<uint8_t> rep = {kReport};
      Put64(rep, echo_sent_.ToNanoseconds());
      Put64(rep, (now - *echo_at_).ToNanoseconds());
      const LossReport lr = tracker_.Report();
      Put64(rep, lr.highest.value_or(0));
      Put64(rep, static_cast<int64_t>(lr.lost));
      sim_.Send(self_, port_, std::move(rep));
    }
    if (now >= next_report_) next_report_ = now + Duration::Milliseconds(20);
    while (tracker_.CollectNacks(now, rtt_, ranges_) > 0) {
      std::vector<uint8_t> nack = {kNack, static_cast<uint8_t>(ranges_.size() & 0xFF),
                                   static_cast<uint8_t>(ranges_.size() >> 8)};
      for (const NackRange& r : ranges_) {
        Put64(nack, r.first);
        Put64(nack, r.count);
      }
      sim_.Send(self_, port_, std::move(nack));
      ++nack_packets_;
    }
  }
  std::optional<Time> NextWakeup() const override {
    const std::optional<Time> t = tracker_.NextWakeup();
    return t && *t < next_report_ ? *t : next_report_;
  }

  const LossTracker& tracker() const { return tracker_; }
  uint64_t nack_packets() const { return nack_packets_; }
  int64_t Residual(int64_t count) const {
    int64_t missing = 0;
    for (int64_t s = 0; s < count; ++s) {
      if (static_cast<size_t>(s) >= on_time_.size() || !on_time_[s]) ++missing;
    }
    return missing;
  }

 private:
  sim::Simulator& sim_;
  Scenario sc_;
  LossTracker tracker_;
  sim::NodeId self_ = -1;
  sim::PortId port_ = -1;
  Duration rtt_ = Duration::Milliseconds(100);
  int64_t highest_seq_ = 0;
  Time highest_sent_ = Time::Zero();
  Time echo_sent_ = Time::Zero();
  std::optional<Time> echo_at_;
  Time next_report_ = Time::Zero();
  std::vector<bool> on_time_;
  std::vector<NackRange> ranges_;
  uint64_t nack_packets_ = 0;
};

netem::DirectionConfig Lossy(double loss, Duration one_way) {
  netem::DirectionConfig c;
  c.params.loss.model = netem::LossParams::Model::kRandom;
  c.params.loss.probability = loss;
  c.params.delay.delay = one_way;
  return c;
}

TEST(ArqSimTest, ZeroResidualLossAtTenPercentBothWaysWithLatencyFourRtt) {
  const Scenario sc;
  sim::Simulator sim(20240601);
  Sender sender(sim, sc);
  Receiver receiver(sim, sc);
  const sim::NodeId a = sim.AddNode(&sender);
  const sim::NodeId b = sim.AddNode(&receiver);
  const auto [pa, pb] = sim.Connect(a, b, Lossy(0.10, Duration::Milliseconds(30)),
                                    Lossy(0.10, Duration::Milliseconds(30)));
  sender.Attach(a, pa);
  receiver.Attach(b, pb);
  sim.Wake(a);
  sim.Wake(b);
  sim.RunFor(sc.duration + sc.tail + Duration::Seconds(1));

  const int64_t measured = sender.measured();
  const int64_t residual = receiver.Residual(measured);
  const RetransmitPolicyStats& ps = sender.policy().stats();
  const LossTrackerStats& ls = receiver.tracker().stats();
  const double overhead = static_cast<double>(ps.retransmitted_bytes) /
                          static_cast<double>(sender.buffer().stats().stored_bytes);
  std::printf(
      "[arq sim] packets %lld, network-lost %llu, residual %lld, retransmission overhead "
      "%.2f%% (retransmitted %llu + copies %llu, last-chance %llu, suppressed %llu, "
      "too late %llu, capped %llu)\n"
      "[arq sim] NACK packets %llu, seq-NACKs %llu (repeats %llu), recovered %llu, "
      "duplicate retransmissions %llu, abandoned %llu, margin min %.1f ms mean %.1f ms, "
      "srtt %.1f ms, loss estimate %.3f\n",
      static_cast<long long>(measured), static_cast<unsigned long long>(ls.gaps_detected),
      static_cast<long long>(residual), overhead * 100,
      static_cast<unsigned long long>(ps.retransmitted), static_cast<unsigned long long>(ps.copies),
      static_cast<unsigned long long>(ps.last_chance),
      static_cast<unsigned long long>(ps.suppressed),
      static_cast<unsigned long long>(ps.too_late + ps.too_late_in_queue),
      static_cast<unsigned long long>(ps.capped),
      static_cast<unsigned long long>(receiver.nack_packets()),
      static_cast<unsigned long long>(ls.nack_seqs),
      static_cast<unsigned long long>(ls.nack_repeats),
      static_cast<unsigned long long>(ls.recovered_by_retransmission),
      static_cast<unsigned long long>(ls.duplicate_retransmissions),
      static_cast<unsigned long long>(ls.abandoned), ls.margin.min.ToMillisecondsF(),
      ls.margin.mean().ToMillisecondsF(), sender.rtt().srtt().ToMillisecondsF(), sender.loss());
  EXPECT_GT(measured, 56'000);
  EXPECT_GT(ls.gaps_detected, 5'000u);  // the links really lost ~10%
  EXPECT_EQ(residual, 0);
  EXPECT_LT(overhead, 0.25);
  EXPECT_NEAR(sender.rtt().srtt().ToMillisecondsF(), 60.0, 5.0);
}

}  // namespace
}  // namespace hitless::arq
