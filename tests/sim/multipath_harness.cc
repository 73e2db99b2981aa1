#include "tests/sim/multipath_harness.h"

#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "netem-scenarios/model/spec.h"
#include "netem-scenarios/sim/simulator.h"
#include "tests/sim/session_nodes.h"

namespace hitless::sim {
namespace {

netem::DirectionConfig Direction(const std::string& spec,
                                 const std::vector<std::pair<Duration, Duration>>& outages) {
  auto params = netem::ParseNetemSpec(spec);
  if (!params.ok()) std::abort();  // test configuration error
  netem::DirectionConfig d{*params, {}};
  for (const auto& [at, duration] : outages) {
    netem::TimelineEvent e;
    e.kind = netem::TimelineEvent::Kind::kOutage;
    e.at = at;
    e.duration = duration;
    d.timeline.push_back(e);
  }
  return d;
}

double Ms(std::optional<Time> t, Time start) { return (*t - start).ToMillisecondsF(); }

}  // namespace

MultipathResult RunMultipath(const MultipathRun& run) {
  Simulator sim(run.seed);
  const Time start = sim.now();
  session::SenderConfig sender_config;
  sender_config.latency = run.latency;
  sender_config.fec = run.fec;
  sender_config.arq = run.arq;
  sender_config.paths = run.config;
  sender_config.paths->path_count = static_cast<int>(run.paths.size());
  session::ReceiverConfig receiver_config;
  receiver_config.latency = run.latency;
  receiver_config.fec = run.fec.has_value();
  receiver_config.arq = run.arq;

  SenderNode sender(sim, run.bitrate_bps, run.duration, sender_config);
  ReceiverNode receiver(sim, receiver_config);
  const NodeId a = sim.AddNode(&sender);
  const NodeId b = sim.AddNode(&receiver);
  if (a != 0 || b != 1) std::abort();
  for (const PathLink& link : run.paths) {
    const auto [pa, pb] = sim.Connect(a, b, Direction(link.forward, link.outages),
                                      Direction(link.reverse, link.outages));
    sender.sink.ports.push_back(pa);
    receiver.sink.ports.push_back(pb);
  }
  sim.Wake(a);
  sim.Wake(b);
  if (run.trace) {
    for (Duration t = run.trace_interval; t < run.duration; t = t + run.trace_interval) {
      sim.Schedule(start + t, [&run, &sender, t] { run.trace(t, sender.session); });
    }
  }
  sim.RunFor(run.duration + run.latency + Duration::Seconds(2));

  MultipathResult r;
  const auto& c = receiver.checker;
  r.sent = sender.sent;
  r.delivered = c.unique();
  r.missing = c.missing(sender.sent);
  r.duplicates_out = c.duplicates();
  r.out_of_order = c.reordered();
  const auto& s = sender.session.stats();
  r.retransmitted = s.retransmitted;
  r.retransmit_overhead =
      static_cast<double>(s.retransmitted_bytes) / static_cast<double>(s.data_bytes);
  r.nacks = receiver.session.stats().nacks_sent;
  r.path_duplicates = receiver.session.stats().path_duplicates;
  const path::SenderPaths* paths = sender.session.paths();
  for (size_t p = 0; p < run.paths.size(); ++p) {
    r.data_per_path.push_back(paths->figures(static_cast<int>(p)).data_sent);
    r.times_down.push_back(paths->figures(static_cast<int>(p)).times_down);
    r.lost_per_path.push_back(
        sim.outgoing_stats(sender.sink.ports[p]).Dropped(netem::ImpairmentDrop::kLoss) +
        sim.outgoing_stats(sender.sink.ports[p]).Dropped(netem::ImpairmentDrop::kOutage) +
        sim.outgoing_stats(sender.sink.ports[p]).Dropped(netem::ImpairmentDrop::kQueueFull));
  }
  r.switches = paths->stats().switches;
  r.failovers = paths->stats().failovers;
  const path::SenderPathsStats& ps = paths->stats();
  if (ps.last_failover_outage_start)
    r.failover_outage_ms = Ms(ps.last_failover_outage_start, start);
  if (ps.last_failover_detected) r.failover_detected_ms = Ms(ps.last_failover_detected, start);
  if (ps.last_failover_first_packet) {
    r.failover_first_packet_ms = Ms(ps.last_failover_first_packet, start);
  }
  r.delivered_bps = static_cast<double>(r.delivered) * 1316 * 8 /
                    (static_cast<double>(run.duration.ToNanoseconds()) * 1e-9);
  r.latency_p99_ms = c.delay_percentile(0.99).ToMillisecondsF();
  r.latency_max_ms = c.max_delay().ToMillisecondsF();
  const auto& pol = sender.session.policy_stats();
  const auto& loss = receiver.session.loss_stats();
  r.details = absl::StrFormat(
      "sender: nack seqs %d, answered %d, copies %d, too late %d/%d, suppressed %d, unknown %d, "
      "capped %d, srtt %.1f ms | receiver: gaps %d, by retx %d, by reorder %d, abandoned %d, "
      "nack seqs %d, repeats %d, reorder tolerance %.1f ms, srtt %.1f ms",
      pol.nack_seqs, pol.retransmitted, pol.copies, pol.too_late, pol.too_late_in_queue,
      pol.suppressed, pol.unknown_seq, pol.capped, sender.session.rtt().srtt().ToMillisecondsF(),
      loss.gaps_detected, loss.recovered_by_retransmission, loss.recovered_by_reorder,
      loss.abandoned, loss.nack_seqs, loss.nack_repeats,
      receiver.session.reorder_tolerance(sim.now()).ToMillisecondsF(),
      receiver.session.rtt().srtt().ToMillisecondsF());
  return r;
}

std::string Describe(const MultipathResult& r) {
  std::string s = absl::StrFormat(
      "sent %d delivered %d missing %d | retransmitted %d (%.2f%%), NACKs %d, path copies %d | "
      "switches %d failovers %d | delivered %.2f Mbit/s, latency p99 %.1f max %.1f ms",
      r.sent, r.delivered, r.missing, r.retransmitted, 100 * r.retransmit_overhead, r.nacks,
      r.path_duplicates, r.switches, r.failovers, r.delivered_bps / 1e6, r.latency_p99_ms,
      r.latency_max_ms);
  for (size_t p = 0; p < r.data_per_path.size(); ++p) {
    absl::StrAppendFormat(&s, "\n  path %d: %d data sent, %d lost on the link, down %d times", p,
                          r.data_per_path[p], r.lost_per_path[p], r.times_down[p]);
  }
  s += "\n  " + r.details;
  if (r.failover_outage_ms) {
    absl::StrAppendFormat(&s,
                          "\n  last failover: last heard %.1f ms, detected %.1f ms, first packet "
                          "on the new path %.1f ms",
                          *r.failover_outage_ms, *r.failover_detected_ms,
                          r.failover_first_packet_ms ? *r.failover_first_packet_ms : -1.0);
  }
  return s;
}

}  // namespace hitless::sim
