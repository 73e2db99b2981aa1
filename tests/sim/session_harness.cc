#include "tests/sim/session_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "tests/sim/session_nodes.h"

namespace hitless::sim {
namespace {

netem::DirectionConfig Spec(const std::string& spec) {
  auto params = netem::ParseNetemSpec(spec);
  if (!params.ok()) std::abort();  // test configuration error
  return netem::DirectionConfig{*params, {}};
}

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
  receiver_config.release_window = run.release_window;
  sender_config.arq = run.arq;
  sender_config.send_budget = run.send_budget;

  SenderNode sender(sim, run.bitrate_bps, run.duration, sender_config);
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
  netem::DirectionConfig reverse = Spec(run.reverse);
  for (const auto& [at, length] : run.outages) {
    netem::TimelineEvent e;
    e.kind = netem::TimelineEvent::Kind::kOutage;
    e.at = at;
    e.duration = length;
    forward.timeline.push_back(e);
    reverse.timeline.push_back(e);
  }
  const auto [pa, pb] = sim.Connect(a, b, forward, reverse);
  sender.sink.ports = {pa};  // the sinks were built for node ids 0 and 1
  receiver.sink.ports = {pb};
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
  r.no_time_to_repair = receiver.session.loss_stats().no_time_to_repair;
  r.too_late_at_sender =
      sender.session.policy_stats().too_late + sender.session.policy_stats().too_late_in_queue;
  r.latency_min_ms = c.min_delay().ToMillisecondsF();
  r.receiver_wakeups = receiver.wakeups;
  r.latency_max_ms = c.max_delay().ToMillisecondsF();
  r.latency_p99_ms = c.delay_percentile(0.99).ToMillisecondsF();
  r.fec_m_changes = sender.fec_m_changes;
  if (const path::SendBudget* b = sender.session.budget()) {
    r.congestion_events = b->stats().congestion_events;
  }
  r.fec_withheld = s.fec_repairs_withheld;
  r.late = receiver.session.stats().late;
  double sum = 0;
  size_t n = 0;
  for (const auto& sample : sender.budget_samples) {
    r.budget_samples.emplace_back(sample.t, sample.budget_bps, sample.queueing_ms);
    if (sample.t > run.duration.ToMillisecondsF() / 1000) continue;  // the stream is over
    sum += sample.queueing_ms;
    ++n;
    r.queueing_max_ms = std::max(r.queueing_max_ms, sample.queueing_ms);
  }
  r.queueing_mean_ms = n ? sum / static_cast<double>(n) : 0;
  return r;
}

std::string BottleneckSpec(double factor, int queue_ms, const std::string& loss,
                           uint64_t bitrate_bps) {
  const double bps = static_cast<double>(bitrate_bps) * factor;
  const int limit = std::max(2, static_cast<int>(bps * queue_ms / 1000.0 / 8 / 1330));
  char buf[160];
  std::snprintf(buf, sizeof(buf), "delay 30ms rate %.0fbit limit %d loss %s", bps, limit,
                loss.c_str());
  return buf;
}

ArqRun WithFixedFec(ArqRun run, int k, int m) {
  FecEncoderConfig fec;
  fec.mode = FecCodec::kReedSolomon;
  fec.k = k;
  fec.m = m;
  fec.max_block_delay = std::min(run.latency / 4, Duration::Milliseconds(100));
  run.fec = fec;
  return run;
}

ArqRun WithAdaptiveFec(ArqRun run) {
  AdaptiveFecConfig adaptive;
  adaptive.max_block_delay = std::min(run.latency / 4, Duration::Milliseconds(100));
  run.fec_adaptive = adaptive;
  return run;
}

}  // namespace hitless::sim
