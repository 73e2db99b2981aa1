#include "tests/sim/session_harness.h"

#include <memory>
#include <vector>

#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "transport/session/receiver_session.h"
#include "transport/session/sender_session.h"
#include "transport/wire/header.h"

namespace hitless::sim {
namespace {

netem::DirectionConfig Spec(const std::string& spec) {
  auto params = netem::ParseNetemSpec(spec);
  if (!params.ok()) std::abort();  // test configuration error
  return netem::DirectionConfig{*params, {}};
}

// Forwards a session's datagrams into the simulator.
class SimSink final : public session::DatagramSink {
 public:
  SimSink(Simulator& sim, NodeId node) : sim_(sim), node_(node) {}
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    bytes += d.size();
    sim_.Send(node_, port, std::vector<uint8_t>(d.begin(), d.end()));
  }
  PortId port = -1;
  uint64_t bytes = 0;

 private:
  Simulator& sim_;
  NodeId node_;
};

class SenderNode final : public Node {
 public:
  SenderNode(Simulator& sim, const ArqRun& run, const session::SenderConfig& config)
      : sink(sim, 0),
        session(config, sim.now(), &sink),
        start_(sim.now()),
        end_(sim.now() + run.duration),
        interval_(Duration::Nanoseconds(
            static_cast<int64_t>(1316 * 8e9 / static_cast<double>(run.bitrate_bps)))),
        payload_(1316) {}
  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    auto view = ParseHeader(d);
    if (view.ok()) session.OnPacket(*view, now);
    NoteFecChange(now);
  }
  void OnWakeup(Time now) override {
    while (next_media() && *next_media() <= now) {
      teststream::WriteDatagram(payload_, 7, sent, *next_media());
      ++sent;
      session.OnMedia(payload_, now);
    }
    if (const auto t = session.NextWakeup(); t && *t <= now) session.OnTimer(now);
    NoteFecChange(now);
  }
  void NoteFecChange(Time now) {
    const int m = session.stats().fec_m;
    if (session.fec_policy() == nullptr) return;
    if (fec_m_changes.empty() || fec_m_changes.back().second != m) {
      fec_m_changes.emplace_back((now - start_).ToMillisecondsF() / 1000, m);
    }
  }
  std::vector<std::pair<double, int>> fec_m_changes;
  std::optional<Time> NextWakeup() const override {
    auto t = session.NextWakeup();
    if (const auto m = next_media()) t = t ? std::min(*t, *m) : *m;
    return t;
  }
  std::optional<Time> next_media() const {
    const Time t = start_ + interval_ * static_cast<int64_t>(sent);
    return t < end_ ? std::optional<Time>(t) : std::nullopt;
  }

  SimSink sink;
  session::SenderSession session;
  uint64_t sent = 0;

 private:
  Time start_, end_;
  Duration interval_;
  std::vector<uint8_t> payload_;
};

class ReceiverNode final : public Node, public session::MediaSink {
 public:
  ReceiverNode(Simulator& sim, const session::ReceiverConfig& config)
      : sink(sim, 1), session(config, sim.now(), &sink, this) {}
  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    auto view = ParseHeader(d);
    if (view.ok()) session.OnPacket(*view, now);
  }
  void OnWakeup(Time now) override { session.OnTimer(now); }
  std::optional<Time> NextWakeup() const override { return session.NextWakeup(); }
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }

  SimSink sink;
  session::ReceiverSession session;
  teststream::Checker checker;
};

}  // namespace

ArqResult RunArq(const ArqRun& run) {
  Simulator sim(run.seed);
  session::SenderConfig sender_config;
  sender_config.latency = run.latency;
  sender_config.initial_sequence = run.initial_sequence;
  sender_config.fec = run.fec;
  if (run.fec_adaptive) {
    if (!sender_config.fec) sender_config.fec = FecEncoderConfig{};
    sender_config.fec->mode = FecCodec::kReedSolomon;
    sender_config.fec->max_block_delay = run.fec_adaptive->max_block_delay;
    sender_config.fec_adaptive = run.fec_adaptive;
  }
  session::ReceiverConfig receiver_config;
  receiver_config.latency = run.latency;
  receiver_config.fec = sender_config.fec.has_value();
  receiver_config.arq = run.arq;
  sender_config.arq = run.arq;

  SenderNode sender(sim, run, sender_config);
  ReceiverNode receiver(sim, receiver_config);
  const NodeId a = sim.AddNode(&sender);
  const NodeId b = sim.AddNode(&receiver);
  netem::DirectionConfig forward = Spec(run.forward);
  for (const auto& [at, spec] : run.forward_changes) {
    netem::TimelineEvent e;
    e.kind = netem::TimelineEvent::Kind::kSetParams;
    e.at = at;
    e.params = Spec(spec).params;
    forward.timeline.push_back(e);
  }
  const auto [pa, pb] = sim.Connect(a, b, forward, Spec(run.reverse));
  sender.sink.port = pa;  // the sinks were built for node ids 0 and 1
  receiver.sink.port = pb;
  if (a != 0 || b != 1) std::abort();
  sim.Wake(a);
  sim.Wake(b);
  sim.RunFor(run.duration + run.latency + Duration::Seconds(2));

  ArqResult r;
  const auto& c = receiver.checker;
  r.sent = sender.sent;
  r.delivered = c.unique();
  r.missing = c.missing(sender.sent);
  r.duplicates_out = c.duplicates();
  r.out_of_order = c.reordered();
  r.lost_on_network = sim.outgoing_stats(pa).Dropped(netem::ImpairmentDrop::kLoss);
  const auto& s = sender.session.stats();
  r.retransmitted = s.retransmitted;
  r.nacks = receiver.session.stats().nacks_sent;
  r.retransmit_overhead =
      static_cast<double>(s.retransmitted_bytes) / static_cast<double>(s.data_bytes);
  r.control_overhead = static_cast<double>(receiver.sink.bytes) / static_cast<double>(s.data_bytes);
  r.fec_overhead = static_cast<double>(s.fec_bytes) / static_cast<double>(s.data_bytes);
  r.fec_recovered = receiver.session.stats().fec_recovered;
  r.arq_recovered = receiver.session.loss_stats().recovered_by_retransmission;
  r.latency_min_ms = c.min_delay().ToMillisecondsF();
  r.latency_max_ms = c.max_delay().ToMillisecondsF();
  r.latency_p99_ms = c.delay_percentile(0.99).ToMillisecondsF();
  r.fec_m_changes = sender.fec_m_changes;
  return r;
}

}  // namespace hitless::sim
