// Simulator nodes around a SenderSession and a ReceiverSession, shared by the
// single-path and multipath harnesses: a constant-bitrate test stream into
// the sender, the receiver's output into a teststream::Checker, and sinks
// that route each datagram to the simulator port of its path.
#pragma once

#include <cstdlib>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "netem-scenarios/sim/simulator.h"
#include "netem-scenarios/teststream/test_stream.h"
#include "transport/session/receiver_session.h"
#include "transport/session/sender_session.h"
#include "transport/wire/header.h"

namespace hitless::sim {

// Sends a session's datagrams from the port of their path id.
class PathSink final : public session::DatagramSink {
 public:
  PathSink(Simulator& sim, NodeId node) : sim_(sim), node_(node) {}
  void SendDatagram(std::span<const uint8_t> d, uint8_t path_id) override {
    if (path_id >= ports.size()) std::abort();  // a session bug: no such path
    bytes += d.size();
    sim_.Send(node_, ports[path_id], std::vector<uint8_t>(d.begin(), d.end()));
  }
  std::vector<PortId> ports;  // by path id
  uint64_t bytes = 0;

 private:
  Simulator& sim_;
  NodeId node_;
};

// Node 0: 1316-byte test datagrams at `bitrate_bps` for `duration` into the
// sender session; records every change of its FEC repair count.
class SenderNode final : public Node {
 public:
  SenderNode(Simulator& sim, uint64_t bitrate_bps, Duration duration,
             const session::SenderConfig& config)
      : sink(sim, 0),
        session(config, sim.now(), &sink),
        start_(sim.now()),
        end_(sim.now() + duration),
        interval_(Duration::Nanoseconds(
            static_cast<int64_t>(1316 * 8e9 / static_cast<double>(bitrate_bps)))),
        payload_(1316) {}
  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    auto view = ParseHeader(d);
    if (view.ok()) session.OnPacket(*view, now);
    NoteFecChange(now);
    NoteBudget(now);
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
  std::optional<Time> NextWakeup() const override {
    auto t = session.NextWakeup();
    if (const auto m = next_media()) t = t ? std::min(*t, *m) : *m;
    return t;
  }
  std::optional<Time> next_media() const {
    const Time t = start_ + interval_ * static_cast<int64_t>(sent);
    return t < end_ ? std::optional<Time>(t) : std::nullopt;
  }

  PathSink sink;
  session::SenderSession session;
  uint64_t sent = 0;
  // Adaptive FEC: (seconds since start, m) at every change.
  std::vector<std::pair<double, int>> fec_m_changes;
  // Send budget, sampled every 100 ms: (seconds since start, budget bit/s,
  // queueing delay ms as the sender estimates it).
  struct BudgetSample {
    double t = 0;
    double budget_bps = 0;
    double queueing_ms = 0;
  };
  std::vector<BudgetSample> budget_samples;

 private:
  void NoteBudget(Time now) {
    const path::SendBudget* b = session.budget();
    if (b == nullptr || !b->budget()) return;
    const double t = (now - start_).ToMillisecondsF() / 1000;
    if (!budget_samples.empty() && t - budget_samples.back().t < 0.1) return;
    budget_samples.push_back({t, *b->budget() * 8, b->queueing_delay().ToMillisecondsF()});
  }

  void NoteFecChange(Time now) {
    if (session.fec_policy() == nullptr) return;
    const int m = session.stats().fec_m;
    if (fec_m_changes.empty() || fec_m_changes.back().second != m) {
      fec_m_changes.emplace_back((now - start_).ToMillisecondsF() / 1000, m);
    }
  }

  Time start_, end_;
  Duration interval_;
  std::vector<uint8_t> payload_;
};

// Node 1: the receiver session; its output goes to `checker`.
class ReceiverNode final : public Node, public session::MediaSink {
 public:
  ReceiverNode(Simulator& sim, const session::ReceiverConfig& config)
      : sink(sim, 1), session(config, sim.now(), &sink, this) {}
  void OnReceive(PortId, std::span<const uint8_t> d, Time now) override {
    auto view = ParseHeader(d);
    if (view.ok()) session.OnPacket(*view, now);
  }
  void OnWakeup(Time now) override {
    ++wakeups;
    session.OnTimer(now);
  }
  std::optional<Time> NextWakeup() const override { return session.NextWakeup(); }
  uint64_t wakeups = 0;  // timer wake-ups (arrivals not counted)
  void DeliverMedia(std::span<const uint8_t> payload, Time now) override {
    checker.OnDatagram(payload, now);
  }

  PathSink sink;
  session::ReceiverSession session;
  teststream::Checker checker;
};

}  // namespace hitless::sim
