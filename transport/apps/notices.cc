// Notices: which conditions are told and how (notices.h).
#include "transport/apps/notices.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "transport/session/latency_floor.h"
#include "transport/wire/data.h"
#include "transport/wire/header.h"

namespace hitless::apps {
namespace {

double Ms(Duration d) { return d.ToMillisecondsF(); }
double Mbit(double bytes_per_second) { return bytes_per_second * 8e-6; }

}  // namespace

std::vector<std::string> Notices::Poll(const StatsContext& c, Time now) {
  std::vector<std::string> out;
  const session::Connection& conn = c.driver->connection();
  const auto& negotiated = conn.negotiated();

  // Latency feasibility, once per session, as soon as it is established.
  if (negotiated && negotiated->session_id != session_id_) {
    session_id_ = negotiated->session_id;
    if (const auto rtt = negotiated->handshake_rtt) {
      const LatencyFloor floor = LatencyFloorFor(*rtt);
      if (c.configured_latency < floor.play || negotiated->latency < floor.play) {
        out.push_back(absl::StrFormat(
            "latency %.0f ms cannot carry this path (round trip %.0f ms, about %.0f ms one way): "
            "the smallest budget that plays is %.0f ms, %.0f ms lets retransmission repair a "
            "loss; %s",
            Ms(c.configured_latency), Ms(*rtt), Ms(*rtt / 2), Ms(floor.play), Ms(floor.repair),
            negotiated->latency >= floor.play
                ? absl::StrFormat("the session runs at %.0f ms (latency_effective_ms)",
                                  Ms(negotiated->latency))
                : absl::StrFormat("the session runs at %.0f ms and nothing will play",
                                  Ms(negotiated->latency))));
      }
    }
  }

  // Late arrivals: the path's delay exceeds the budget (or queueing does).
  uint64_t late = 0;
  std::optional<Duration> rtt;
  if (const auto* r = conn.receiver()) {
    late = r->stats().late;
    if (r->rtt().has_sample()) rtt = r->rtt().latest_rtt();
  } else if (const auto* s = conn.sender()) {
    late = s->stats().last_report ? s->stats().last_report->late : 0;
    if (s->rtt().has_sample()) rtt = s->rtt().latest_rtt();
  }
  if (late < late_.seen) late_.seen = 0;  // a new session counts from zero
  if (late > late_.seen && late_.Due(now, repeat_) && negotiated) {
    std::string advice;
    if (rtt) {
      advice = absl::StrFormat(" (round trip now %.0f ms; a budget of at least %.0f ms would play)",
                               Ms(*rtt), Ms(LatencyFloorFor(*rtt).play));
    }
    out.push_back(absl::StrFormat(
        "%llu packets arrived after their release time (latency %.0f ms): the path's delay "
        "exceeds the budget or it is queueing%s",
        static_cast<unsigned long long>(late - late_.seen), Ms(negotiated->latency), advice));
    late_.said = now;
    late_.seen = late;
  }

  // The media alone exceeds what the path carries.
  if (const auto* s = conn.sender(); s && s->budget()) {
    const auto capacity = s->budget()->capacity(now);
    const double media = s->media_rate(now);
    if (capacity && media > 0.97 * *capacity && capacity_.Due(now, repeat_)) {
      out.push_back(absl::StrFormat(
          "the path carries about %.1f Mbit/s, the stream needs %.1f Mbit/s: packets queue and "
          "arrive late (lower the encoder's bitrate, or use another path)",
          Mbit(*capacity), Mbit(media)));
      capacity_.said = now;
    }
  }

  // A caller calling a closed port.
  const auto& ds = c.driver->stats();
  const uint64_t refused = ds.receive_refused + ds.send_errors.Get(io::SendErrorClass::kRefused);
  if (refused > refused_.seen && !negotiated && !c.remote.empty() && refused_.Due(now, repeat_)) {
    out.push_back(absl::StrFormat("no listener at %s (connection refused), retrying", c.remote));
    refused_.said = now;
  }

  // The peer stopped: silence, or its host refusing our packets.
  if (negotiated && silent_.Due(now, repeat_)) {
    const Duration quiet = now - conn.last_heard();
    const bool refusing = refused > refused_.seen && !c.remote.empty();
    if (refusing || quiet > Duration::Seconds(1)) {
      const std::string what =
          refusing ? absl::StrFormat(
                         "the peer at %s refuses our packets (connection refused: it "
                         "has stopped)",
                         c.remote)
                   : absl::StrFormat("nothing heard from the peer for %.1f s", Ms(quiet) / 1000);
      out.push_back(absl::StrFormat("%s; the session ends after %.0f s of silence%s", what,
                                    Ms(conn.peer_timeout()) / 1000,
                                    c.remote.empty() ? "" : ", then calls again"));
      silent_.said = now;
    }
  }
  refused_.seen = refused;

  // Residual loss: packets given up at their deadline.
  uint64_t lost = 0;
  bool no_time = false;
  if (const auto* r = conn.receiver()) {
    lost = r->stats().lost;
    no_time = r->loss_stats().no_time_to_repair > 0;
  } else if (const auto* s = conn.sender()) {
    lost = s->stats().last_report ? s->stats().last_report->abandoned : 0;
  }
  if (lost < lost_.seen) lost_.seen = 0;  // a new session
  if (lost > lost_.seen && lost_.Due(now, repeat_) && negotiated) {
    std::string why;
    if (rtt && (no_time || negotiated->latency < LatencyFloorFor(*rtt).repair)) {
      why = absl::StrFormat(
          ": the budget of %.0f ms leaves no time to repair a loss over this path (round trip "
          "%.0f ms); %.0f ms would let retransmission repair it, or add fec=",
          Ms(negotiated->latency), Ms(*rtt), Ms(LatencyFloorFor(*rtt).repair));
    }
    out.push_back(
        absl::StrFormat("%llu packets lost for good (not repaired by their release time)%s",
                        static_cast<unsigned long long>(lost - lost_.seen), why));
    lost_.said = now;
    lost_.seen = lost;
  }

  // A buffer's memory cap is smaller than rate x latency.
  uint64_t over = 0;
  std::string what;
  if (const auto* r = conn.receiver()) {
    const jitter::TsbpdStats b = r->buffer_stats();
    over = b.buffer_full;
    what = absl::StrFormat(
        "packets refused: the jitter buffer is full (%zu slots, %.0f MB at most)", b.capacity,
        static_cast<double>(r->max_buffer_slots() * kMaxDataPayload) / 1e6);
  } else if (const auto* s = conn.sender()) {
    over = s->buffer_stats().evicted_unexpired;
    what = absl::StrFormat(
        "packets left the retransmit buffer before their deadline and cannot be repaired (%zu "
        "slots, %.0f MB at most)",
        s->buffer_slots(), static_cast<double>(s->max_buffer_slots() * kMaxDatagramSize) / 1e6);
  }
  if (over < buffer_.seen) buffer_.seen = 0;  // a new session
  if (over > buffer_.seen && buffer_.Due(now, repeat_) && negotiated) {
    out.push_back(absl::StrFormat(
        "%llu %s: the stream's rate x latency (%.0f ms) needs more; lower the latency or the "
        "bitrate",
        static_cast<unsigned long long>(over - buffer_.seen), what, Ms(negotiated->latency)));
    buffer_.said = now;
    buffer_.seen = over;
  }
  return out;
}

}  // namespace hitless::apps
