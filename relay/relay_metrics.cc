// hitless-relay's Prometheus text, JSON and status line (relay_metrics.h).
#include "relay/relay_metrics.h"

#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "transport/io/endpoint.h"

namespace hitless::relay {
namespace {

std::string AddressText(std::span<const uint8_t> bytes) {
  io::UdpEndpoint e;
  if (bytes.empty() || bytes.size() > e.capacity()) return "";
  std::memcpy(e.data(), bytes.data(), bytes.size());
  e.resize(bytes.size());
  return io::FormatEndpoint(e);
}

// Escapes for a JSON string or a Prometheus label value (both: backslash,
// quote, newline; JSON also every other control byte).
std::string Escape(std::string_view in, bool json) {
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (json && static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  return out;
}

// Samples grouped by family (HELP and TYPE once, samples contiguous), in
// the order families first appear.
class Exposition {
 public:
  void Counter(std::string_view name, std::string_view help, std::string labels, double value) {
    Add(name, "counter", help, std::move(labels), value);
  }
  void Gauge(std::string_view name, std::string_view help, std::string labels, double value) {
    Add(name, "gauge", help, std::move(labels), value);
  }
  // A histogram without labels: cumulative buckets (upper bound in the
  // family's unit, count), then +Inf, _sum and _count.
  void Histogram(std::string_view name, std::string_view help,
                 const std::vector<std::pair<double, uint64_t>>& buckets, double sum,
                 uint64_t count) {
    Family f{std::string(name), "histogram", std::string(help), ""};
    for (const auto& [le, n] : buckets) {
      f.samples += absl::StrFormat("%s_bucket{le=\"%.12g\"} %d\n", name, le, n);
    }
    f.samples += absl::StrFormat("%s_bucket{le=\"+Inf\"} %d\n", name, count);
    f.samples += absl::StrFormat("%s_sum %.12g\n%s_count %d\n", name, sum, name, count);
    index_.try_emplace(std::string(name), families_.size());
    families_.push_back(std::move(f));
  }
  std::string Text() const {
    std::string out;
    for (const Family& f : families_) {
      out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n" +
             f.samples;
    }
    return out;
  }

 private:
  struct Family {
    std::string name, type, help, samples;
  };
  void Add(std::string_view name, std::string_view type, std::string_view help, std::string labels,
           double value) {
    auto [it, added] = index_.try_emplace(std::string(name), families_.size());
    if (added) families_.push_back({std::string(name), std::string(type), std::string(help), ""});
    Family& f = families_[it->second];
    f.samples += std::string(name);
    if (!labels.empty()) f.samples += "{" + labels + "}";
    f.samples += absl::StrFormat(" %.12g\n", value);
  }
  std::vector<Family> families_;
  absl::flat_hash_map<std::string, size_t> index_;
};

std::string Label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + Escape(value, false) + "\"";
}

std::string Join(std::initializer_list<std::string> labels) {
  std::string out;
  for (const std::string& l : labels) {
    if (l.empty()) continue;
    if (!out.empty()) out += ",";
    out += l;
  }
  return out;
}

void AddDrops(Exposition& e, std::string_view name, std::string_view help, const std::string& base,
              const DropCounters& drops) {
  drops.ForEach([&](DropReason r, uint64_t n) {
    e.Counter(name, help, Join({base, Label("reason", DropReasonName(r))}), static_cast<double>(n));
  });
}

void AddSocket(Exposition& e, const std::string& base, const SocketStats& s) {
  e.Counter("hitless_relay_received_datagrams_total", "UDP datagrams received", base,
            static_cast<double>(s.datagrams_in));
  e.Counter("hitless_relay_received_bytes_total", "UDP payload bytes received", base,
            static_cast<double>(s.bytes_in));
  e.Counter("hitless_relay_sent_datagrams_total", "UDP datagrams queued for sending", base,
            static_cast<double>(s.datagrams_out));
  e.Counter("hitless_relay_sent_bytes_total", "UDP payload bytes queued for sending", base,
            static_cast<double>(s.bytes_out));
  e.Counter("hitless_relay_truncated_datagrams_total",
            "datagrams larger than any Hitless datagram, dropped", base,
            static_cast<double>(s.truncated_in));
  for (size_t c = 0; c < static_cast<size_t>(io::SendErrorClass::kCount); ++c) {
    const auto cls = static_cast<io::SendErrorClass>(c);
    e.Counter("hitless_relay_send_errors_total", "datagrams the kernel refused, by cause",
              Join({base, Label("cause", io::SendErrorClassName(cls))}),
              static_cast<double>(s.send_errors.Get(cls)));
  }
}

void AddReceiver(Exposition& e, const std::string& base, const session::ReceiverSession& r) {
  const auto& st = r.stats();
  const auto& loss = r.loss_stats();
  e.Counter("hitless_relay_source_data_packets_total",
            "DATA datagrams received from the stream's source, every copy", base,
            static_cast<double>(st.data_received));
  e.Counter("hitless_relay_source_lost_packets_total",
            "sequences found missing on the source's hop (before repair)", base,
            static_cast<double>(loss.gaps_detected));
  e.Counter("hitless_relay_source_recovered_packets_total",
            "missing sequences recovered on the source's hop, by how",
            Join({base, Label("by", "retransmission")}),
            static_cast<double>(loss.recovered_by_retransmission));
  e.Counter("hitless_relay_source_recovered_packets_total",
            "missing sequences recovered on the source's hop, by how",
            Join({base, Label("by", "fec")}), static_cast<double>(loss.recovered_by_fec));
  e.Counter("hitless_relay_source_recovered_packets_total",
            "missing sequences recovered on the source's hop, by how",
            Join({base, Label("by", "reorder")}), static_cast<double>(loss.recovered_by_reorder));
  e.Counter("hitless_relay_source_abandoned_packets_total",
            "sequences the source's hop never delivered in time (residual loss at the relay)", base,
            static_cast<double>(loss.abandoned));
  e.Counter("hitless_relay_source_nacks_sent_total", "NACK packets sent to the source", base,
            static_cast<double>(st.nacks_sent));
  e.Gauge("hitless_relay_source_rtt_seconds", "smoothed round-trip time to the source", base,
          r.rtt().srtt().ToSecondsF());
  e.Gauge("hitless_relay_source_jitter_seconds", "interarrival jitter from the source", base,
          st.jitter.ToSecondsF());
  AddDrops(e, "hitless_relay_source_dropped_packets_total", "source datagrams dropped, by reason",
           base, st.drops);
}

void AddSubscriber(Exposition& e, const std::string& base, const SubscriberView& v) {
  e.Counter("hitless_relay_subscriber_forwarded_packets_total",
            "stream packets handed to the subscriber's hop", base,
            static_cast<double>(v.forwarded));
  e.Counter("hitless_relay_subscriber_forwarded_bytes_total",
            "payload bytes handed to the subscriber's hop", base,
            static_cast<double>(v.forwarded_bytes));
  e.Counter("hitless_relay_subscriber_late_forwarded_packets_total",
            "repairs that reached the relay late, forwarded on", base,
            static_cast<double>(v.late_forwarded));
  if (v.session == nullptr) return;
  const session::SenderSession& s = *v.session;
  const auto& st = s.stats();
  const auto& policy = s.policy_stats();
  e.Counter("hitless_relay_subscriber_retransmitted_packets_total",
            "retransmissions sent to the subscriber (copies included)", base,
            static_cast<double>(st.retransmitted));
  e.Counter("hitless_relay_subscriber_retransmitted_bytes_total",
            "bytes of retransmissions sent to the subscriber", base,
            static_cast<double>(st.retransmitted_bytes));
  e.Counter("hitless_relay_subscriber_fec_repairs_total", "FEC repair packets sent", base,
            static_cast<double>(st.fec_repairs_sent));
  e.Counter("hitless_relay_subscriber_nacks_received_total", "NACK packets from the subscriber",
            base, static_cast<double>(st.nacks_received));
  e.Counter("hitless_relay_subscriber_repairs_refused_total",
            "requested repairs not sent, by reason", Join({base, Label("reason", "too_late")}),
            static_cast<double>(policy.too_late + policy.too_late_in_queue));
  e.Counter("hitless_relay_subscriber_repairs_refused_total",
            "requested repairs not sent, by reason", Join({base, Label("reason", "not_held")}),
            static_cast<double>(policy.unknown_seq + policy.expired_in_queue));
  e.Counter("hitless_relay_subscriber_repairs_refused_total",
            "requested repairs not sent, by reason", Join({base, Label("reason", "queue_full")}),
            static_cast<double>(policy.queue_full + policy.nack_overflow));
  e.Gauge("hitless_relay_subscriber_repair_queue_depth",
          "retransmission requests waiting to be sent", base,
          static_cast<double>(s.retransmit_pending()));
  e.Gauge("hitless_relay_subscriber_rtt_seconds", "smoothed round-trip time to the subscriber",
          base, s.rtt().srtt().ToSecondsF());
  const auto& report = st.last_report;
  e.Counter("hitless_relay_subscriber_reported_lost_packets_total",
            "packets the subscriber reported missing on its hop (before repair)", base,
            report ? report->lost : 0);
  e.Counter("hitless_relay_subscriber_reported_recovered_packets_total",
            "packets the subscriber reported repaired (FEC or retransmission)", base,
            report ? report->recovered : 0);
  e.Counter("hitless_relay_subscriber_reported_abandoned_packets_total",
            "packets the subscriber reported never repaired in time (its residual loss)", base,
            report ? report->abandoned : 0);
  e.Gauge("hitless_relay_subscriber_buffer_level_seconds",
          "the subscriber's buffered media ahead of playout (its deadline margin)", base,
          report ? report->buffer_level_ms / 1000.0 : 0);
  AddDrops(e, "hitless_relay_subscriber_dropped_packets_total",
           "subscriber control datagrams dropped, by reason", base, st.drops);
}

void AppendReceiverJson(std::string& out, const session::ReceiverSession& r) {
  const auto& st = r.stats();
  const auto& loss = r.loss_stats();
  absl::StrAppendFormat(
      &out,
      "{\"data_received\":%d,\"lost_on_hop\":%d,\"recovered_by_retransmission\":%d,"
      "\"recovered_by_fec\":%d,\"recovered_by_reorder\":%d,\"abandoned\":%d,\"nacks_sent\":%d,"
      "\"rtt_ms\":%.3f,\"jitter_ms\":%.3f,\"origin_transit_ms\":%.3f,\"drops\":{",
      st.data_received, loss.gaps_detected, loss.recovered_by_retransmission, loss.recovered_by_fec,
      loss.recovered_by_reorder, loss.abandoned, st.nacks_sent, r.rtt().srtt().ToMillisecondsF(),
      st.jitter.ToMillisecondsF(), r.origin_transit().ToMillisecondsF());
  bool first = true;
  st.drops.ForEach([&](DropReason reason, uint64_t n) {
    absl::StrAppendFormat(&out, "%s\"%s\":%d", first ? "" : ",", DropReasonName(reason), n);
    first = false;
  });
  out += "}}";
}

void AppendStreamJson(std::string& out, const Relay::StreamView& v, Time now) {
  const StreamStats& st = *v.stats;
  absl::StrAppendFormat(
      &out,
      "{\"id\":\"%s\",\"configured\":%s,\"latency_ms\":%.0f,\"packets_in\":%d,"
      "\"bytes_in\":%d,\"duplicates\":%d,\"too_old\":%d,\"late_in\":%d,\"reordered_in\":%d,"
      "\"forwarded\":%d,\"forwarded_bytes\":%d,\"remaps\":%d,\"publishers\":%d,"
      "\"subscribers_joined\":%d,\"upstream_transit_ms\":%.3f,"
      "\"memory_bytes\":%d,\"ring_slots\":%d,\"ring_rejected\":%d,",
      Escape(v.id, true), v.configured ? "true" : "false", v.latency.ToMillisecondsF(),
      st.packets_in, st.bytes_in, st.duplicates, st.too_old, st.late_in, st.reordered_in,
      st.forwarded, st.forwarded_bytes, st.remaps, st.publishers, st.subscribers_joined,
      st.upstream_transit_us / 1000.0, v.memory_bytes, v.ring_slots, st.ring_rejected);
  if (v.has_publisher && v.publisher != nullptr) {
    absl::StrAppendFormat(&out, "\"publisher\":{\"peer\":\"%s\",\"connected_s\":%.1f,\"hop\":",
                          AddressText(v.publisher_address), (now - v.publisher_since).ToSecondsF());
    AppendReceiverJson(out, *v.publisher);
    out += "},";
  } else {
    out += "\"publisher\":null,";
  }
  out += "\"subscribers\":[";
  for (size_t i = 0; i < v.subscribers.size(); ++i) {
    const SubscriberView& s = v.subscribers[i];
    absl::StrAppendFormat(&out,
                          "%s{\"session\":%d,\"peer\":\"%s\",\"connected_s\":%.1f,"
                          "\"forwarded\":%d,\"forwarded_bytes\":%d,\"late_forwarded\":%d",
                          i ? "," : "", s.session_id, AddressText(s.address),
                          (now - s.joined).ToSecondsF(), s.forwarded, s.forwarded_bytes,
                          s.late_forwarded);
    if (s.session != nullptr) {
      const auto& st2 = s.session->stats();
      const auto& report = st2.last_report;
      absl::StrAppendFormat(
          &out,
          ",\"retransmitted\":%d,\"fec_repairs_sent\":%d,\"nacks_received\":%d,"
          "\"repair_queue\":%d,\"rtt_ms\":%.3f,\"reported_lost\":%d,\"reported_recovered\":%d,"
          "\"reported_abandoned\":%d,\"buffer_level_ms\":%d,\"repairs_not_held\":%d,"
          "\"repairs_too_late\":%d,\"repairs_not_in_ring\":%d",
          st2.retransmitted, st2.fec_repairs_sent, st2.nacks_received,
          s.session->retransmit_pending(), s.session->rtt().srtt().ToMillisecondsF(),
          report ? report->lost : 0, report ? report->recovered : 0, report ? report->abandoned : 0,
          report ? report->buffer_level_ms : 0, s.session->policy_stats().unknown_seq,
          s.session->policy_stats().too_late + s.session->policy_stats().too_late_in_queue,
          st2.shared_missing);
    }
    out += "}";
  }
  out += "]}";
}

}  // namespace

RelaySnapshot SnapshotOf(const RelayDriver& driver, Duration uptime) {
  RelaySnapshot s;
  s.relay = &driver.relay();
  s.listen = &driver.listen_stats();
  s.forward_delay = &driver.forward_delay();
  for (size_t i = 0; i < driver.relay().upstream_count(); ++i) {
    if (const UpstreamEntry* e = driver.upstream_entry(i)) {
      s.upstreams.push_back({i, e, driver.upstream_stats(i)});
    }
  }
  s.now = driver.now();
  s.uptime = uptime;
  s.listen_address = io::FormatEndpoint(driver.local_endpoint());
  return s;
}

std::string PrometheusText(const RelaySnapshot& s) {
  Exposition e;
  const Relay& relay = *s.relay;
  const RelayStats& st = relay.stats();
  e.Gauge("hitless_relay_uptime_seconds", "time since the relay started", "",
          s.uptime.ToSecondsF());
  e.Gauge("hitless_relay_streams", "streams known to the relay", "",
          static_cast<double>(relay.stream_count()));
  e.Gauge("hitless_relay_sessions", "sessions (publishers and subscribers) on the listen socket",
          "", static_cast<double>(relay.session_count()));
  if (s.listen != nullptr) AddSocket(e, Label("socket", "listen"), *s.listen);
  if (s.forward_delay != nullptr) {
    const ForwardDelay& d = *s.forward_delay;
    std::vector<std::pair<double, uint64_t>> buckets;
    for (const int64_t us : {50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000}) {
      buckets.emplace_back(static_cast<double>(us) / 1e6, d.UnderUs(us));
    }
    e.Histogram("hitless_relay_forward_delay_seconds",
                "relay-in (kernel arrival stamp) to relay-out (sendmmsg done) of datagrams that "
                "caused sends",
                buckets, d.sum_seconds(), d.count());
  }
  e.Counter("hitless_relay_sessions_accepted_total", "sessions accepted", "",
            static_cast<double>(st.sessions_accepted));
  for (size_t r = 0; r < static_cast<size_t>(EvictReason::kCount); ++r) {
    e.Counter("hitless_relay_sessions_evicted_total", "sessions that left the relay, by reason",
              Label("reason", EvictReasonName(static_cast<EvictReason>(r))),
              static_cast<double>(st.evicted[r]));
  }
  for (size_t r = 0; r < static_cast<size_t>(RefuseReason::kCount); ++r) {
    e.Counter("hitless_relay_handshakes_refused_total", "handshakes refused, by reason",
              Label("reason", RefuseReasonName(static_cast<RefuseReason>(r))),
              static_cast<double>(st.refused[r]));
  }
  e.Counter("hitless_relay_publishers_held_total",
            "second publishers of a live stream held unanswered", "",
            static_cast<double>(st.publishers_held));
  e.Counter("hitless_relay_address_changes_total",
            "sessions whose packets came from a new source address", "",
            static_cast<double>(st.address_changes));
  e.Counter("hitless_relay_reloads_total", "configuration reloads applied", "",
            static_cast<double>(st.reloads));
  AddDrops(e, "hitless_relay_dropped_datagrams_total",
           "datagrams dropped before reaching a session, by reason", "", st.drops);

  for (const Relay::StreamView& v : relay.Streams()) {
    const std::string base = Label("stream", v.id);
    const StreamStats& ss = *v.stats;
    e.Gauge("hitless_relay_stream_subscribers", "subscribers of the stream", base,
            static_cast<double>(v.subscribers.size()));
    e.Gauge("hitless_relay_stream_publisher_connected", "1 while a publisher session is up", base,
            v.has_publisher ? 1 : 0);
    e.Gauge("hitless_relay_stream_latency_seconds", "the stream's end-to-end budget", base,
            v.latency.ToSecondsF());
    e.Gauge("hitless_relay_stream_memory_bytes",
            "what the stream holds now: its shared ring, the publisher hop's buffer and the "
            "subscriber hops' bookkeeping",
            base, static_cast<double>(v.memory_bytes));
    e.Counter("hitless_relay_stream_ring_rejected_packets_total",
              "packets the stream ring could not keep (sent, but not resendable)", base,
              static_cast<double>(ss.ring_rejected));
    e.Gauge("hitless_relay_stream_upstream_transit_seconds",
            "origin input to arrival at this relay, one way", base,
            static_cast<double>(ss.upstream_transit_us) / 1e6);
    e.Counter("hitless_relay_stream_received_packets_total",
              "first copies of stream packets from every source", base,
              static_cast<double>(ss.packets_in));
    e.Counter("hitless_relay_stream_received_bytes_total", "payload bytes of those packets", base,
              static_cast<double>(ss.bytes_in));
    e.Counter("hitless_relay_stream_duplicate_packets_total",
              "second copies (two sources, or a repair after the original)", base,
              static_cast<double>(ss.duplicates));
    e.Counter("hitless_relay_stream_too_old_packets_total", "packets below the merge window", base,
              static_cast<double>(ss.too_old));
    e.Counter("hitless_relay_stream_late_packets_total",
              "first copies that were repairs (ARQ or FEC upstream), forwarded as such", base,
              static_cast<double>(ss.late_in));
    e.Counter("hitless_relay_stream_reordered_packets_total",
              "originals that came below the stream's highest (reordered on the way)", base,
              static_cast<double>(ss.reordered_in));
    e.Counter("hitless_relay_stream_forwarded_packets_total",
              "packets handed to subscriber hops (all subscribers)", base,
              static_cast<double>(ss.forwarded));
    e.Counter("hitless_relay_stream_forwarded_bytes_total",
              "payload bytes handed to subscriber hops", base,
              static_cast<double>(ss.forwarded_bytes));
    e.Counter("hitless_relay_stream_remaps_total",
              "new publisher processes mapped onto the stream's sequence and clock", base,
              static_cast<double>(ss.remaps));
    if (v.has_publisher && v.publisher != nullptr) {
      AddReceiver(e, Join({base, Label("source", "publisher")}), *v.publisher);
    }
    for (const SubscriberView& sub : v.subscribers) {
      AddSubscriber(e,
                    Join({base, Label("subscriber", AddressText(sub.address)),
                          Label("session", absl::StrCat(sub.session_id))}),
                    sub);
    }
  }
  if (s.srt_server) {
    e.Counter("hitless_relay_srt_callers_accepted_total", "SRT callers accepted", "",
              static_cast<double>(s.srt_server->accepted));
    e.Counter("hitless_relay_srt_callers_refused_total",
              "SRT handshakes refused (unknown stream, bad streamid, wrong passphrase)", "",
              static_cast<double>(s.srt_server->refused));
  }
  for (const SrtLegView& leg : s.srt_legs) {
    const std::string base = Join({Label("stream", leg.stream), Label("srt_caller", leg.peer),
                                   Label("role", leg.publish ? "publisher" : "reader")});
    e.Gauge("hitless_relay_srt_leg_connected_seconds", "how long an SRT caller has been connected",
            base, leg.connected.ToSecondsF());
    e.Counter("hitless_relay_srt_leg_packets_total",
              "datagrams an SRT publisher fed, or an SRT reader was sent", base,
              static_cast<double>(leg.packets));
    e.Counter("hitless_relay_srt_leg_bytes_total", "their bytes", base,
              static_cast<double>(leg.bytes));
    e.Counter("hitless_relay_srt_leg_dropped_packets_total",
              "reader: datagrams its SRT send buffer refused", base,
              static_cast<double>(leg.dropped));
    e.Counter("hitless_relay_srt_leg_lost_packets_total",
              "reader: packets the relay did not have by their release time", base,
              static_cast<double>(leg.lost));
    e.Counter("hitless_relay_srt_leg_srt_lost_packets_total", "libsrt: lost on the SRT link", base,
              static_cast<double>(leg.srt.srt_lost));
    e.Counter("hitless_relay_srt_leg_srt_retransmitted_packets_total",
              "libsrt: retransmitted on the SRT link", base,
              static_cast<double>(leg.srt.srt_retransmitted));
    e.Counter("hitless_relay_srt_leg_srt_dropped_packets_total",
              "libsrt: dropped as too late at its latency", base,
              static_cast<double>(leg.srt.srt_dropped));
    e.Gauge("hitless_relay_srt_leg_rtt_seconds", "libsrt: the SRT link's round-trip time", base,
            leg.srt.rtt_ms / 1e3);
    if (!leg.publish && leg.ts.is_ts) {
      e.Counter("hitless_relay_srt_leg_ts_cc_errors_total",
                "reader: MPEG-TS continuity-counter errors in what it was sent", base,
                static_cast<double>(leg.ts.cc_errors));
      e.Counter("hitless_relay_srt_leg_ts_packets_lost_total",
                "reader: TS packets in datagrams the relay did not have by their release time",
                base, static_cast<double>(leg.ts.packets_lost));
      e.Gauge("hitless_relay_srt_leg_ts_pcr_interval_max_seconds",
              "reader: the largest PCR interval in what it was sent", base,
              leg.ts.pcr_interval_max_ms / 1e3);
    }
  }
  for (const RelaySnapshot::UpstreamRow& u : s.upstreams) {
    const std::string base =
        Join({Label("stream", u.entry->upstream.stream_id),
              Label("source", absl::StrCat("upstream ", u.entry->upstream.name))});
    const session::Connection* c = relay.upstream(u.index);
    e.Gauge("hitless_relay_upstream_connected", "1 while the pull from an upstream relay is up",
            base, c != nullptr && c->state() == session::ConnectionState::kEstablished ? 1 : 0);
    if (c != nullptr) {
      e.Counter("hitless_relay_upstream_restarts_total", "upstream sessions replaced", base,
                static_cast<double>(c->stats().restarts));
      if (const session::ReceiverSession* r = c->receiver()) AddReceiver(e, base, *r);
    }
    if (u.socket != nullptr) {
      AddSocket(e,
                Join({Label("socket", absl::StrCat("upstream ", u.entry->upstream.name)),
                      Label("stream", u.entry->upstream.stream_id)}),
                *u.socket);
    }
  }
  return e.Text();
}

std::string StreamsJson(const RelaySnapshot& s) {
  std::string out = "{\"streams\":[";
  bool first = true;
  for (const Relay::StreamView& v : s.relay->Streams()) {
    if (!first) out += ",";
    first = false;
    AppendStreamJson(out, v, s.now);
  }
  out += "]}\n";
  return out;
}

std::string RelayStatsJson(const RelaySnapshot& s) {
  const Relay& relay = *s.relay;
  const RelayStats& st = relay.stats();
  std::string out = absl::StrFormat(
      "{\"program\":\"hitless-relay\",\"listen\":\"%s\",\"uptime_s\":%.3f,\"streams_now\":%d,"
      "\"sessions_now\":%d,\"sessions_accepted\":%d,\"publishers_held\":%d,"
      "\"address_changes\":%d,\"reloads\":%d,",
      Escape(s.listen_address, true), s.uptime.ToSecondsF(), relay.stream_count(),
      relay.session_count(), st.sessions_accepted, st.publishers_held, st.address_changes,
      st.reloads);
  if (s.listen != nullptr) {
    absl::StrAppendFormat(&out,
                          "\"datagrams_in\":%d,\"bytes_in\":%d,\"datagrams_out\":%d,"
                          "\"bytes_out\":%d,\"truncated_in\":%d,\"send_errors\":%d,",
                          s.listen->datagrams_in, s.listen->bytes_in, s.listen->datagrams_out,
                          s.listen->bytes_out, s.listen->truncated_in,
                          s.listen->send_errors.Total());
  }
  if (s.forward_delay != nullptr) {
    const ForwardDelay& d = *s.forward_delay;
    absl::StrAppendFormat(&out,
                          "\"forward_delay_us\":{\"count\":%d,\"p50\":%d,\"p99\":%d,"
                          "\"p99_9\":%d,\"max\":%d},",
                          d.count(), d.PercentileUs(0.5), d.PercentileUs(0.99),
                          d.PercentileUs(0.999), d.max_us());
  }
  out += "\"evicted\":{";
  for (size_t r = 0; r < static_cast<size_t>(EvictReason::kCount); ++r) {
    absl::StrAppendFormat(&out, "%s\"%s\":%d", r ? "," : "",
                          EvictReasonName(static_cast<EvictReason>(r)), st.evicted[r]);
  }
  out += "},\"refused\":{";
  for (size_t r = 0; r < static_cast<size_t>(RefuseReason::kCount); ++r) {
    absl::StrAppendFormat(&out, "%s\"%s\":%d", r ? "," : "",
                          RefuseReasonName(static_cast<RefuseReason>(r)), st.refused[r]);
  }
  out += "},\"drops\":{";
  bool first = true;
  st.drops.ForEach([&](DropReason reason, uint64_t n) {
    absl::StrAppendFormat(&out, "%s\"%s\":%d", first ? "" : ",", DropReasonName(reason), n);
    first = false;
  });
  out += "},\"streams\":[";
  first = true;
  for (const Relay::StreamView& v : relay.Streams()) {
    if (!first) out += ",";
    first = false;
    AppendStreamJson(out, v, s.now);
  }
  out += "],\"upstreams\":[";
  for (size_t i = 0; i < s.upstreams.size(); ++i) {
    const RelaySnapshot::UpstreamRow& u = s.upstreams[i];
    const session::Connection* c = relay.upstream(u.index);
    absl::StrAppendFormat(
        &out, "%s{\"address\":\"%s\",\"stream\":\"%s\",\"connected\":%s,\"restarts\":%d,\"hop\":",
        i ? "," : "", Escape(u.entry->upstream.name, true),
        Escape(u.entry->upstream.stream_id, true),
        c != nullptr && c->state() == session::ConnectionState::kEstablished ? "true" : "false",
        c != nullptr ? c->stats().restarts : 0);
    if (c != nullptr && c->receiver() != nullptr) {
      AppendReceiverJson(out, *c->receiver());
    } else {
      out += "null";
    }
    out += "}";
  }
  out += "],";
  if (s.srt_server) {
    absl::StrAppendFormat(&out,
                          "\"srt\":{\"accepted\":%d,\"refused\":%d,\"last_refusal\":\"%s\","
                          "\"overflow\":%d},",
                          s.srt_server->accepted, s.srt_server->refused,
                          Escape(s.srt_server->last_refusal, true), s.srt_server->overflow);
  }
  out += "\"srt_legs\":[";
  for (size_t i = 0; i < s.srt_legs.size(); ++i) {
    const SrtLegView& l = s.srt_legs[i];
    absl::StrAppendFormat(
        &out,
        "%s{\"stream\":\"%s\",\"peer\":\"%s\",\"role\":\"%s\",\"connected_s\":%.1f,"
        "\"packets\":%d,\"bytes\":%d,\"dropped\":%d,\"lost\":%d,\"srt_lost\":%d,"
        "\"srt_retransmitted\":%d,\"srt_dropped\":%d,\"rtt_ms\":%.3f,\"ts_cc_errors\":%d,"
        "\"ts_packets_lost\":%d,\"ts_pcr_interval_max_ms\":%.1f}",
        i ? "," : "", Escape(l.stream, true), Escape(l.peer, true),
        l.publish ? "publisher" : "reader", l.connected.ToSecondsF(), l.packets, l.bytes, l.dropped,
        l.lost, l.srt.srt_lost, l.srt.srt_retransmitted, l.srt.srt_dropped, l.srt.rtt_ms,
        l.ts.cc_errors, l.ts.packets_lost, l.ts.pcr_interval_max_ms);
  }
  out += "]}\n";
  return out;
}

std::string RelayStatusLine::Render(const RelaySnapshot& s) {
  const Relay& relay = *s.relay;
  uint64_t in = s.listen ? s.listen->bytes_in : 0;
  uint64_t out = s.listen ? s.listen->bytes_out : 0;
  for (const auto& u : s.upstreams) {
    if (u.socket) {
      in += u.socket->bytes_in;
      out += u.socket->bytes_out;
    }
  }
  double in_mbit = 0, out_mbit = 0;
  if (last_) {
    const double seconds = (s.now - *last_).ToSecondsF();
    if (seconds > 0) {
      in_mbit = static_cast<double>(in - last_in_) * 8 / seconds / 1e6;
      out_mbit = static_cast<double>(out - last_out_) * 8 / seconds / 1e6;
    }
  }
  last_ = s.now;
  last_in_ = in;
  last_out_ = out;
  size_t publishers = 0, subscribers = 0;
  uint64_t abandoned = 0;
  for (const Relay::StreamView& v : relay.Streams()) {
    publishers += v.has_publisher ? 1 : 0;
    subscribers += v.subscribers.size();
    for (const SubscriberView& sub : v.subscribers) {
      if (sub.session && sub.session->stats().last_report) {
        abandoned += sub.session->stats().last_report->abandoned;
      }
    }
  }
  uint64_t refused = 0;
  for (uint64_t r : relay.stats().refused) refused += r;
  return absl::StrFormat(
      "hitless-relay %5.0fs | streams %d, publishers %d, subscribers %d | in %.1f Mbit/s, out "
      "%.1f Mbit/s | subscriber residual loss %d | refused %d",
      s.uptime.ToSecondsF(), relay.stream_count(), publishers, subscribers, in_mbit, out_mbit,
      abandoned, refused);
}

}  // namespace hitless::relay
