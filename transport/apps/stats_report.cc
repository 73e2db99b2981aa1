#include "transport/apps/stats_report.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "transport/io/endpoint.h"
#include "transport/path/receiver_paths.h"
#include "transport/path/sender_paths.h"
#include "transport/session/latency_floor.h"

namespace hitless::apps {
namespace {

std::string Drops(const DropCounters& drops) {
  std::string out = "{";
  bool first = true;
  drops.ForEach([&](DropReason r, uint64_t n) {
    const auto name = DropReasonName(r);
    absl::StrAppend(&out, first ? "" : ", ", "\"", absl::string_view(name.data(), name.size()),
                    "\": ", n);
    first = false;
  });
  return out + "}";
}

// JSON string contents: quotes, backslashes and control characters escaped.
std::string JsonEscape(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<int>(ch));
    } else {
      out += ch;
    }
  }
  return out;
}

double Ms(Duration d) { return d.ToMillisecondsF(); }

const char* StateName(session::ConnectionState s) {
  switch (s) {
    case session::ConnectionState::kHandshaking:
      return "handshaking";
    case session::ConnectionState::kListening:
      return "listening";
    case session::ConnectionState::kEstablished:
      return "connected";
  }
  return "?";
}

const char* PathStateName(PathState s) {
  switch (s) {
    case PathState::kUnknown:
      return "unknown";
    case PathState::kActive:
      return "active";
    case PathState::kStandby:
      return "standby";
    case PathState::kDegraded:
      return "degraded";
    case PathState::kDown:
      return "down";
  }
  return "?";
}

// A JSON number of milliseconds, or null when there is nothing to show
// (e.g. no RTT sample yet: 0 would read as a perfect path).
std::string MsOrNull(std::optional<Duration> d) {
  return d ? absl::StrFormat("%.3f", Ms(*d)) : std::string("null");
}

// Seconds since the program started (the stats context's clock), or null.
std::string SecondsOrNull(const StatsContext& c, std::optional<Time> t) {
  if (!t) return "null";
  const Time start = c.now - c.elapsed;
  return absl::StrFormat("%.3f", (*t - start).ToSecondsF());
}

std::string PeerOrNull(const io::ConnectionDriver& d, int path) {
  const auto& peer = d.peer(static_cast<uint8_t>(path));
  return peer ? absl::StrCat("\"", io::FormatEndpoint(*peer), "\"") : std::string("null");
}

// 950, 12.3k, 4.56M: packet counts that fit a status line.
std::string Compact(uint64_t n) {
  const double v = static_cast<double>(n);
  if (n < 1000) return absl::StrCat(n);
  if (n < 1'000'000) return absl::StrFormat("%.1fk", v / 1e3);
  return absl::StrFormat("%.2fM", v / 1e6);
}

// "multipath" and "paths" of a multipath sender (JSON members, each line
// ending ",\n").
std::string SenderPathsJson(const StatsContext& c, const path::SenderPaths& paths) {
  const io::ConnectionDriver& d = *c.driver;
  const auto& st = paths.stats();
  std::string j = absl::StrFormat(
      " \"multipath\": {\"mode\": \"%s\", \"path_count\": %d, \"active_path\": %d, "
      "\"switches\": %d, \"failovers\": %d, \"state_changes\": %d",
      path::MultipathModeName(paths.mode()), paths.path_count(), paths.active_path(), st.switches,
      st.failovers, st.state_changes);
  if (st.last_failover_outage_start || st.last_failover_detected) {
    // The outage starts when the old path was last heard; the failover is
    // over once media leaves on the new path: that span is what the
    // receiver may have to bridge with its latency budget.
    std::optional<Duration> failover;
    if (st.last_failover_outage_start && st.last_failover_first_packet) {
      failover = *st.last_failover_first_packet - *st.last_failover_outage_start;
    }
    absl::StrAppendFormat(&j,
                          ",\n  \"last_failover\": {\"outage_start_s\": %s, \"detected_s\": %s, "
                          "\"first_packet_s\": %s, \"failover_ms\": %s}",
                          SecondsOrNull(c, st.last_failover_outage_start),
                          SecondsOrNull(c, st.last_failover_detected),
                          SecondsOrNull(c, st.last_failover_first_packet), MsOrNull(failover));
  }
  j += "},\n \"paths\": [";
  for (int p = 0; p < paths.path_count(); ++p) {
    const path::PathFigures& f = paths.figures(p);
    const io::PathIoStats& io = d.stats().paths[static_cast<size_t>(p)];
    const bool rtt = f.rtt.has_sample();
    absl::StrAppendFormat(
        &j,
        "%s\n  {\"id\": %d, \"state\": \"%s\", \"srtt_ms\": %s, \"min_rtt_ms\": %s, "
        "\"loss\": %.5f, \"jitter_ms\": %.3f, \"weight\": %.4f, \"data_sent\": %d, "
        "\"repairs_sent\": %d, \"probes_sent\": %d, \"bytes_sent\": %d, \"times_down\": %d, "
        "\"datagrams_in\": %d, \"datagrams_out\": %d, \"peer\": %s}",
        p == 0 ? "" : ",", p, PathStateName(f.state),
        MsOrNull(rtt ? std::optional(f.rtt.srtt()) : std::nullopt),
        MsOrNull(rtt ? std::optional(f.rtt.min_rtt()) : std::nullopt), f.loss, Ms(f.jitter),
        f.weight, f.data_sent, f.repairs_sent, f.probes_sent, f.bytes_sent, f.times_down,
        io.datagrams_in, io.datagrams_out, PeerOrNull(d, p));
  }
  j += "],\n";
  return j;
}

// "paths" of a receiver that has seen more than one path.
std::string ReceiverPathsJson(const StatsContext& c, const path::ReceiverPaths& paths) {
  std::string j = " \"paths\": [";
  bool first = true;
  for (int p = 0; p < static_cast<int>(kMaxPaths); ++p) {
    const path::ReceiverPathFigures& f = paths.figures(p);
    if (!f.seen) continue;
    absl::StrAppendFormat(
        &j,
        "%s\n  {\"id\": %d, \"packets\": %d, \"bytes\": %d, \"data_packets\": %d, "
        "\"loss\": %.5f, \"jitter_ms\": %.3f, \"rtt_ms\": %s, \"last_heard_ms_ago\": %.3f, "
        "\"peer\": %s}",
        first ? "" : ",", p, f.packets, f.bytes, f.data_packets, f.loss, Ms(f.jitter),
        MsOrNull(f.rtt.has_sample() ? std::optional(f.rtt.srtt()) : std::nullopt),
        Ms(c.now - f.last_heard), PeerOrNull(*c.driver, p));
    first = false;
  }
  j += "],\n";
  return j;
}

}  // namespace

namespace {
std::string SrtLegStatus(const std::optional<endpoints::SrtLegStats>& srt);
std::string TsStatus(const mpegts::TsHealth* ts);
}  // namespace

std::string StatusLine::Render(const StatsContext& c, Time now) {
  const session::Connection& conn = c.driver->connection();
  const uint64_t bytes = c.input ? c.input->bytes : (c.output ? c.output->bytes : 0);
  double mbps = 0;
  if (last_ && now > *last_) {
    mbps = static_cast<double>(bytes - last_bytes_) * 8 / (now - *last_).ToSecondsF() / 1e6;
  }
  last_ = now;
  last_bytes_ = bytes;
  std::string line = absl::StrFormat("%s %7.1fs %-11s %6.2f Mbit/s", c.program,
                                     c.elapsed.ToSecondsF(), StateName(conn.state()), mbps);
  if (const auto& n = conn.negotiated(); n && n->latency > c.configured_latency) {
    absl::StrAppendFormat(&line, " | latency %.0f ms (raised)", Ms(n->latency));
  }
  if (const auto* s = conn.sender()) {
    const auto& st = s->stats();
    const double retx = st.data_bytes ? 100.0 * static_cast<double>(st.retransmitted_bytes) /
                                            static_cast<double>(st.data_bytes)
                                      : 0.0;
    absl::StrAppendFormat(&line, " | rtt %5.1f ms | loss %4.1f%% | retx %4.1f%%",
                          Ms(s->rtt().srtt()), 100 * s->loss_rate(), retx);
    if (const path::SendBudget* b = s->budget(); b && b->budget()) {
      const auto capacity = b->capacity(now);
      absl::StrAppendFormat(&line, " | budget %.1f Mbit/s%s q %.0f ms", *b->budget() * 8e-6,
                            capacity ? absl::StrFormat(" (path %.1f)", *capacity * 8e-6) : "",
                            Ms(b->queueing_delay()));
    }
    if (st.last_report) {
      absl::StrAppendFormat(&line, " | peer: recovered %u lost %u late %u buffer %u ms",
                            st.last_report->recovered, st.last_report->abandoned,
                            st.last_report->late, st.last_report->buffer_level_ms);
    }
    if (const path::SenderPaths* paths = s->paths()) {
      for (int p = 0; p < paths->path_count(); ++p) {
        const path::PathFigures& f = paths->figures(p);
        absl::StrAppendFormat(
            &line, " | p%d %s %s %.1f%%", p, PathStateName(f.state),
            f.rtt.has_sample() ? absl::StrFormat("%.0fms", Ms(f.rtt.srtt())) : std::string("-"),
            100 * f.loss);
      }
    }
  } else if (const auto* r = conn.receiver()) {
    const auto& st = r->stats();
    const auto& loss = r->loss_stats();
    const auto buffer = r->buffer_stats();
    absl::StrAppendFormat(&line,
                          " | rtt %5.1f ms | net loss %llu | recovered %llu | lost %llu | late %llu"
                          " | dup %llu | buffer %.0f ms",
                          Ms(r->rtt().srtt()), static_cast<unsigned long long>(loss.gaps_detected),
                          static_cast<unsigned long long>(loss.recovered_by_retransmission),
                          static_cast<unsigned long long>(st.lost),
                          static_cast<unsigned long long>(buffer.too_late),
                          static_cast<unsigned long long>(loss.duplicates), Ms(buffer.level_span));
    // Packets per path: at a glance, which paths carry the stream.
    if (r->paths().multipath()) {
      absl::StrAppend(&line, " |");
      for (int p = 0; p < static_cast<int>(kMaxPaths); ++p) {
        const path::ReceiverPathFigures& f = r->paths().figures(p);
        if (f.seen) absl::StrAppend(&line, " p", p, " ", Compact(f.packets));
      }
    }
  }
  if (c.input) line += SrtLegStatus(c.input->srt);
  if (c.output) line += SrtLegStatus(c.output->srt);
  line += TsStatus(c.ts);
  return line;
}

namespace {

// `, "srt": {...}` for an srt:// endpoint, "" otherwise.
std::string SrtLegJson(const std::optional<endpoints::SrtLegStats>& srt) {
  if (!srt) return "";
  return absl::StrFormat(
      ", \"srt\": {\"connected\": %d, \"connects\": %d, \"disconnects\": %d, "
      "\"refused\": %d, \"last_refusal\": \"%s\", \"replaced\": %d, \"not_connected\": %d, "
      "\"srt_packets\": %d, \"srt_lost\": %d, \"srt_retransmitted\": %d, \"srt_dropped\": %d, "
      "\"rtt_ms\": %.3f, \"buffer_ms\": %.0f, \"latency_ms\": %.0f}",
      srt->connected, srt->connects, srt->disconnects, srt->refused, JsonEscape(srt->last_refusal),
      srt->replaced, srt->not_connected, srt->srt_packets, srt->srt_lost, srt->srt_retransmitted,
      srt->srt_dropped, srt->rtt_ms, srt->buffer_ms, srt->latency_ms);
}

// " | srt ..." for the status line: the SRT leg's state and libsrt's figures.
std::string SrtLegStatus(const std::optional<endpoints::SrtLegStats>& srt) {
  if (!srt) return "";
  if (srt->connected == 0) {
    return absl::StrFormat(" | srt: not connected (%d refused)", srt->refused);
  }
  return absl::StrFormat(" | srt: rtt %.1f ms lost %s retx %s drop %s", srt->rtt_ms,
                         Compact(srt->srt_lost), Compact(srt->srt_retransmitted),
                         Compact(srt->srt_dropped));
}

// `"ts": {...},\n` (a JSON member) for the output's MPEG-TS health.
std::string TsJson(const mpegts::TsHealth& ts) {
  const mpegts::TsHealthStats& t = ts.stats();
  std::string pids;
  for (const mpegts::TsPidStats& p : ts.PidStats()) {
    absl::StrAppendFormat(&pids,
                          "%s{\"pid\": %d, \"packets\": %d, \"cc_errors\": %d, \"pcr\": %s, "
                          "\"pcr_interval_max_ms\": %.1f, \"pcr_discontinuities\": %d}",
                          pids.empty() ? "" : ", ", p.pid, p.packets, p.cc_errors,
                          p.pcr ? "true" : "false", p.pcr_interval_max_ms, p.pcr_discontinuities);
  }
  return absl::StrFormat(
      " \"ts\": {\"is_ts\": %s, \"datagrams\": %d, \"not_ts_datagrams\": %d, "
      "\"ts_packets\": %d, \"ts_sync_errors\": %d, \"ts_cc_errors\": %d, "
      "\"ts_transport_errors\": %d, \"ts_packets_lost\": %d, \"ts_pat_count\": %d, "
      "\"ts_pmt_count\": %d, \"ts_pat_interval_max_ms\": %.1f, \"ts_pmt_interval_max_ms\": %.1f, "
      "\"ts_pids\": %d, \"ts_pcr_pids\": %d, \"ts_pcr_interval_max_ms\": %.1f,\n"
      "  \"pids\": [%s]},\n",
      t.is_ts ? "true" : "false", t.datagrams, t.not_ts_datagrams, t.packets, t.sync_errors,
      t.cc_errors, t.transport_errors, t.packets_lost, t.pat_count, t.pmt_count,
      t.pat_interval_max_ms, t.pmt_interval_max_ms, t.pids, t.pcr_pids, t.pcr_interval_max_ms,
      pids);
}

std::string TsStatus(const mpegts::TsHealth* ts) {
  if (ts == nullptr || !ts->stats().is_ts) return "";
  const mpegts::TsHealthStats& t = ts->stats();
  return absl::StrFormat(" | ts cc %s pcr max %.0f ms", Compact(t.cc_errors),
                         t.pcr_interval_max_ms);
}

// Appends the media endpoint's figures (input or output) and closes the
// object (the body so far ends with ",\n").
std::string CloseWithEndpoints(std::string j, const StatsContext& c) {
  if (c.input) {
    absl::StrAppendFormat(&j,
                          " \"input\": {\"datagrams\": %d, \"bytes\": %d, \"errors\": %d, "
                          "\"drops\": %s%s},\n",
                          c.input->datagrams, c.input->bytes, c.input->errors,
                          Drops(c.input->drops), SrtLegJson(c.input->srt));
  }
  if (c.output) {
    absl::StrAppendFormat(&j,
                          " \"output\": {\"datagrams\": %d, \"bytes\": %d, \"errors\": %d, "
                          "\"drops\": %s%s},\n",
                          c.output->datagrams, c.output->bytes, c.output->errors,
                          Drops(c.output->drops), SrtLegJson(c.output->srt));
  }
  if (c.ts) j += TsJson(*c.ts);
  j.resize(j.size() - 2);
  j += "\n}\n";
  return j;
}

}  // namespace

std::string StatsJson(const StatsContext& c) {
  const io::ConnectionDriver& d = *c.driver;
  const session::Connection& conn = d.connection();
  const auto& cs = conn.stats();
  const auto& ds = d.stats();
  std::string j = absl::StrFormat("{\"program\": \"%s\", \"elapsed_s\": %.3f, \"state\": \"%s\",\n",
                                  c.program, c.elapsed.ToSecondsF(), StateName(conn.state()));
  if (const auto& n = conn.negotiated()) {
    // The budget the session runs at, what this side was configured with,
    // and what the handshake's RTT says the path needs (latency_floor.h).
    std::string floors = "\"latency_floor_play_ms\": null, \"latency_floor_repair_ms\": null";
    if (n->handshake_rtt) {
      const LatencyFloor f = LatencyFloorFor(*n->handshake_rtt);
      floors = absl::StrFormat("\"latency_floor_play_ms\": %.0f, \"latency_floor_repair_ms\": %.0f",
                               Ms(f.play), Ms(f.repair));
    }
    absl::StrAppendFormat(
        &j,
        " \"session\": {\"id\": %u, \"latency_ms\": %.1f, \"latency_effective_ms\": %.1f, "
        "\"latency_configured_ms\": %.1f, \"latency_raised\": %s, \"handshake_rtt_ms\": %s, %s, "
        "\"stream_id\": \"%s\"},\n",
        n->session_id, Ms(n->latency), Ms(n->latency), Ms(c.configured_latency),
        n->latency > c.configured_latency ? "true" : "false", MsOrNull(n->handshake_rtt), floors,
        JsonEscape(n->stream_id));
  }
  absl::StrAppendFormat(
      &j,
      " \"connection\": {\"sessions\": %d, \"restarts\": %d, \"peer_timeouts\": %d, "
      "\"shutdowns_received\": %d, \"direction_mismatch\": %d, \"busy_refused\": %d, "
      "\"media_not_connected\": %d, "
      "\"peer_address_changes\": %d, \"drops\": %s},\n",
      cs.sessions, cs.restarts, cs.peer_timeouts, cs.shutdowns_received, cs.direction_mismatch,
      cs.busy_refused, cs.media_not_connected, cs.peer_address_changes, Drops(cs.drops));
  absl::StrAppendFormat(
      &j,
      " \"socket\": {\"datagrams_in\": %d, \"bytes_in\": %d, \"datagrams_out\": %d, "
      "\"bytes_out\": %d, \"truncated_in\": %d, \"receive_errors\": %d, "
      "\"connection_refused\": %d, \"no_peer\": %d, \"oversized_out\": %d, \"send_errors\": %d, "
      "\"gso_messages\": %d, \"gso_datagrams\": %d, \"gso_fallbacks\": %d, "
      "\"gro_messages\": %d, \"gro_datagrams\": %d},\n",
      ds.datagrams_in, ds.bytes_in, ds.datagrams_out, ds.bytes_out, ds.truncated_in,
      ds.receive_errors, ds.receive_refused + ds.send_errors.Get(io::SendErrorClass::kRefused),
      ds.no_peer, ds.oversized_out, ds.send_errors.Total(), c.driver->gso_stats().messages,
      c.driver->gso_stats().segments, c.driver->gso_stats().fallbacks, c.driver->gro_messages(),
      c.driver->gro_datagrams());
  if (const auto* s = conn.sender()) {
    const auto& st = s->stats();
    const auto& p = s->policy_stats();
    absl::StrAppendFormat(
        &j,
        " \"sender\": {\"media_in\": %d, \"media_rejected\": %d, \"data_sent\": %d, "
        "\"data_bytes\": %d, \"retransmitted\": %d, \"retransmitted_bytes\": %d, "
        "\"nacks_received\": %d, \"reports_received\": %d, \"stale_reports\": %d, "
        "\"keepalives_sent\": %d, \"leading_resent\": %d, \"trailing_resent\": %d, "
        "\"fec_repairs_sent\": %d, \"fec_bytes\": %d, \"fec_m\": %d, \"fec_interleave\": %d, "
        "\"fec_reconfigurations\": %d, "
        "\"fec_loss_estimate\": %.5f, \"fec_burst_estimate\": %.2f, "
        "\"rtt_ms\": %.3f, \"rtt_var_ms\": %.3f, \"min_rtt_ms\": %.3f, \"loss_rate\": %.5f,\n"
        "  \"retransmit_policy\": {\"requested\": %d, \"answered\": %d, \"extra_copies\": %d, "
        "\"last_chance\": %d, \"suppressed_within_rtt\": %d, \"too_late\": %d, "
        "\"too_late_in_queue\": %d, \"capped\": %d, \"unknown_seq\": %d},\n"
        "  \"retransmit_buffer\": {\"slots\": %d, \"max_slots\": %d, \"packets\": %d, "
        "\"grown\": %d, \"evicted_before_deadline\": %d},\n"
        "  \"drops\": %s",
        st.media_in, st.media_rejected, st.data_sent, st.data_bytes, st.retransmitted,
        st.retransmitted_bytes, st.nacks_received, st.reports_received, st.stale_reports,
        st.keepalives_sent, st.leading_resent, st.trailing_resent, st.fec_repairs_sent,
        st.fec_bytes, st.fec_m, st.fec_interleave, st.fec_reconfigurations,
        s->fec_policy() ? s->fec_policy()->loss_estimate() : 0.0,
        s->fec_policy() ? s->fec_policy()->burst_estimate() : 0.0, Ms(s->rtt().srtt()),
        Ms(s->rtt().rttvar()), Ms(s->rtt().min_rtt()), s->loss_rate(), p.nack_seqs, p.retransmitted,
        p.copies, p.last_chance, p.suppressed, p.too_late, p.too_late_in_queue, p.capped,
        p.unknown_seq, s->buffer_slots(), s->max_buffer_slots(),
        s->buffer_stats().stored - s->buffer_stats().expired - s->buffer_stats().evicted,
        s->buffer_stats().grown, s->buffer_stats().evicted_unexpired, Drops(st.drops));
    if (const path::SendBudget* b = s->budget()) {
      const auto bps = [](std::optional<double> v) {
        return v ? absl::StrFormat("%.0f", *v * 8) : std::string("null");
      };
      absl::StrAppendFormat(
          &j,
          ",\n  \"budget\": {\"send_budget_bps\": %s, \"path_capacity_estimate_bps\": %s, "
          "\"fec_budget_bps\": %.0f, \"media_bps\": %.0f, \"delivery_bps\": %.0f, "
          "\"queueing_delay_ms\": %.3f, \"base_rtt_ms\": %s, \"congested\": %s, "
          "\"congestion_events\": %d, \"outage_windows\": %d, \"fec_repairs_withheld\": %d}",
          bps(b->budget()), bps(b->capacity(c.now)), b->fec_budget(s->media_rate(c.now), c.now) * 8,
          s->media_rate(c.now) * 8, b->delivery_rate() * 8, Ms(b->queueing_delay()),
          MsOrNull(b->base_rtt()), b->congested() ? "true" : "false", b->stats().congestion_events,
          b->stats().outage_windows, st.fec_repairs_withheld);
    }
    if (st.last_report) {
      const auto& r = *st.last_report;
      absl::StrAppendFormat(
          &j,
          ",\n  \"receiver_report\": {\"highest_sequence\": %u, \"received\": %u, \"lost\": %u, "
          "\"recovered\": %u, \"abandoned\": %u, \"loss_events\": %u, \"late\": %u, "
          "\"jitter_us\": %u, \"buffer_level_ms\": %u}",
          r.highest_sequence, r.received, r.lost, r.recovered, r.abandoned, r.loss_events, r.late,
          r.jitter_us, r.buffer_level_ms);
    }
    j += "},\n";
    if (const path::SenderPaths* paths = s->paths()) j += SenderPathsJson(c, *paths);
  }
  if (const auto* r = conn.receiver()) {
    const auto& st = r->stats();
    const auto& loss = r->loss_stats();
    const auto buffer = r->buffer_stats();
    absl::StrAppendFormat(
        &j,
        " \"receiver\": {\"data_received\": %d, \"data_bytes\": %d, "
        "\"retransmissions_received\": %d, \"fec_repairs_received\": %d, \"fec_recovered\": %d, "
        "\"delivered\": %d, \"delivered_bytes\": %d, "
        "\"lost_at_deadline\": %d, \"late\": %d, \"bytes_received\": %d, "
        "\"nacks_sent\": %d, \"reports_sent\": %d, "
        "\"path_duplicates\": %d, \"rtt_ms\": %.3f, \"jitter_ms\": %.3f,\n"
        "  \"loss\": {\"gaps_detected\": %d, \"recovered_by_retransmission\": %d, "
        "\"recovered_by_reorder\": %d, \"recovered_by_fec\": %d, "
        "\"recovered_by_fec_after_nack\": %d, \"abandoned\": %d, \"duplicates\": %d, "
        "\"spurious_retransmissions\": %d, \"late\": %d, \"nack_seqs\": %d, \"nack_repeats\": %d, "
        "\"no_time_to_repair\": %d, "
        "\"reorder_tolerance_ms\": %.3f, \"repair_margin_min_ms\": %.3f, "
        "\"repair_margin_mean_ms\": %.3f},\n"
        "  \"buffer\": {\"delivered\": %d, \"too_late\": %d, \"duplicates\": %d, "
        "\"buffer_full\": %d, \"grown\": %d, \"shrunk\": %d, \"slots\": %d, \"max_slots\": %d, "
        "\"skipped\": %d, \"level_packets\": %d, \"level_ms\": %.3f, "
        "\"drift_relocks\": %d},\n"
        "  \"drops\": %s},\n",
        st.data_received, st.data_bytes, st.retransmissions_received, st.fec_repairs_received,
        st.fec_recovered, st.delivered, st.delivered_bytes, st.lost, st.late, st.bytes_received,
        st.nacks_sent, st.reports_sent, st.path_duplicates, Ms(r->rtt().srtt()), Ms(st.jitter),
        loss.gaps_detected, loss.recovered_by_retransmission, loss.recovered_by_reorder,
        loss.recovered_by_fec, loss.recovered_by_fec_after_nack, loss.abandoned, loss.duplicates,
        loss.duplicate_retransmissions, loss.late, loss.nack_seqs, loss.nack_repeats,
        loss.no_time_to_repair, Ms(r->reorder_tolerance(c.now)),
        Ms(loss.margin.count ? loss.margin.min : Duration::Zero()), Ms(loss.margin.mean()),
        buffer.delivered, buffer.too_late, buffer.duplicates, buffer.buffer_full, buffer.grown,
        buffer.shrunk, buffer.capacity, r->max_buffer_slots(), buffer.skipped, buffer.level_packets,
        Ms(buffer.level_span), buffer.relocks, Drops(st.drops));
    if (r->paths().multipath()) j += ReceiverPathsJson(c, r->paths());
  }
  return CloseWithEndpoints(std::move(j), c);
}

std::string RouteMergeStatus(const session::RouteMerge& merge) {
  const session::RouteMergeStats& m = merge.stats();
  std::string line = absl::StrFormat(
      "merged: delivered %llu | lost %llu | late %llu | dup %llu |",
      static_cast<unsigned long long>(m.delivered), static_cast<unsigned long long>(m.lost),
      static_cast<unsigned long long>(m.late), static_cast<unsigned long long>(m.duplicates));
  for (size_t i = 0; i < m.routes.size(); ++i) {
    absl::StrAppend(&line, " r", i, " first ", Compact(m.routes[i].first));
  }
  return line;
}

std::string RoutesJson(const StatsContext& c, const std::vector<std::string>& routes,
                       const session::RouteMerge* merge) {
  std::string j = absl::StrFormat("{\"program\": \"%s\", \"elapsed_s\": %.3f, \"routes\": [\n",
                                  c.program, c.elapsed.ToSecondsF());
  for (size_t i = 0; i < routes.size(); ++i) {
    std::string r = routes[i];
    while (!r.empty() && r.back() == '\n') r.pop_back();
    j += r;
    j += i + 1 < routes.size() ? ",\n" : "\n";
  }
  j += "],\n";
  if (merge != nullptr) {
    const session::RouteMergeStats& m = merge->stats();
    const jitter::TsbpdStats b = merge->buffer_stats();
    absl::StrAppendFormat(
        &j,
        " \"merge\": {\"latency_ms\": %.3f, \"delivered\": %d, \"delivered_bytes\": %d, "
        "\"lost_at_deadline\": %d, \"late\": %d, \"duplicates\": %d, \"buffer_full\": %d, "
        "\"oversized\": %d, \"level_packets\": %d, \"level_ms\": %.3f, \"drift_relocks\": %d, "
        "\"routes\": [",
        Ms(merge->latency()), m.delivered, m.delivered_bytes, m.lost, m.late, m.duplicates,
        m.buffer_full, m.oversized, b.level_packets, Ms(b.level_span), b.relocks);
    for (size_t i = 0; i < m.routes.size(); ++i) {
      const session::RouteStats& r = m.routes[i];
      absl::StrAppendFormat(&j,
                            "%s{\"packets\": %d, \"first\": %d, \"duplicates\": %d, "
                            "\"late\": %d, \"repaired\": %d, \"repaired_first\": %d}",
                            i == 0 ? "" : ", ", r.packets, r.first, r.duplicates, r.late,
                            r.repaired, r.repaired_first);
    }
    j += "]},\n";
  }
  return CloseWithEndpoints(std::move(j), c);
}

}  // namespace hitless::apps
