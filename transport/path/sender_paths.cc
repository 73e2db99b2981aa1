// SenderPaths: path health, state machine and scheduler; see sender_paths.h.
//
// Decisions the header leaves open, made here:
//
// Directions. "Reverse" is what the sender hears itself: any packet from the
// receiver on the path (OnHeard; a REPORT counts too) within down_after.
// "Forward" is the receiver's latest PathReport entry for the path, taken as
// ok when it says state != kDown and last_heard_ms < down_after, and used only
// while fresh (its report arrived within down_after); a path without a fresh
// entry (never reported on, or reports stopped) is judged on the reverse
// direction alone.
//   - alive (not down): the forward entry is not bad, and either direction
//     is heard. A fresh bad entry downs the path even when the reverse
//     direction still works: media goes forward.
//   - heard both ways (up_since, the up_after hysteresis): reverse heard and
//     the forward entry not bad.
// Reports reach the sender over paths of very different delay, so a report
// that left the receiver earlier than the one an entry came from is not
// allowed to overwrite it (a stale "path fine" would delay a failover by the
// slow path's delay). Copies are ordered by the REPORT header's timestamp
// (the receiver's clock; equal on the copies of one report); without it, by a
// send time estimated as arrival minus half the arrival path's minimum RTT.
// A total outage is therefore seen down_after after the last packet heard
// back on the path if no other path reports on it, and otherwise when the
// receiver's "not heard for down_after" reaches us over another path: up to
// that path's one-way delay later (the receiver's word is kept over our
// silence, so a path whose reverse direction alone fails stays up).
//
// kUnknown. A path leaves kUnknown when a report concerns it (arrived on it or
// carried its entry), or `unknown_grace` after the first report from the
// receiver on any path (the receiver is talking, so lasting silence about
// this path is news; the grace covers paths much slower than the first).
// It then goes straight to up (no hysteresis: it never went down) or kDown.
//
// Backup. The active path is kept while healthy, except that a more preferred
// path healthy for switch_back_after takes over (switch-back). When it is not
// healthy: the most preferred healthy path takes over at once (a failover if
// the active path was down or degraded; a plain switch if it was kUnknown);
// with no healthy path, a degraded active path stays, a down one hands over
// to the best degraded path, else to the most preferred kUnknown path; with
// nothing usable the active path is kept (send somewhere rather than nowhere).
// Among degraded paths the best by BestPath's ranking is chosen: preference
// order says nothing about which of two sick paths works better. The
// failover record: outage start = the later of the old path's reverse last
// heard and the receiver's (estimated) last hearing of it; detected = its
// last transition to kDown or kDegraded; first packet = the next DATA.
//
// Repairs in kDuplicate go on every up path; before any path is known up
// (start-up) they go where DATA goes rather than to a single guessed path.
//
// Bond. "Least bytes sent / weight" is kept as a per-path virtual finish tag
// advanced by bytes / weight for each packet (weighted fair queueing). While
// weights are constant and paths stay eligible this is exactly the header's
// rule; unlike raw cumulative counters it does not hand a returning path (or
// one whose weight just changed) every packet until its counter catches up.
// A path that (re)joins starts at the lowest tag of the paths already
// eligible. Weights adapt on each REPORT for the path it arrived on (its RTT
// sample is the fresh one; loss from its latest entry), at most once per base
// RTT. Every path starts at weight 1 (unknown ones too); a path going down has
// its weight reset to bond_min_weight, so after an outage it ramps up
// additively instead of taking a full share at once.
//
// Degraded by RTT needs srtt above degraded_rtt_factor x min RTT and also an
// inflation above kMinDegradedRttInflation: on sub-millisecond paths (LAN,
// loopback) scheduler noise alone exceeds any factor.
#include "transport/path/sender_paths.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "transport/base/bug.h"
#include "transport/base/serial.h"

namespace hitless::path {
namespace {

constexpr Duration kMinDegradedRttInflation = Duration::Milliseconds(5);
// Bond tags are rebased past this, far below where doubles lose byte precision.
constexpr double kBondTagRebase = 1e12;

bool InFraction(double x) { return x > 0 && x <= 1; }  // false for NaN

}  // namespace

const char* MultipathModeName(MultipathMode mode) {
  switch (mode) {
    case MultipathMode::kDuplicate:
      return "duplicate";
    case MultipathMode::kBackup:
      return "backup";
    case MultipathMode::kBond:
      return "bond";
  }
  return "unknown";
}

bool ValidSenderPathsConfig(const SenderPathsConfig& c) {
  const Duration zero = Duration::Zero();
  return c.path_count >= 1 && c.path_count <= static_cast<int>(kMaxPaths) &&
         c.probe_interval > zero && c.down_after > zero && c.up_after > zero &&
         c.switch_back_after > zero && c.unknown_grace > zero &&
         (!c.start_path || *c.start_path < c.path_count) && c.bond_queue_delay > zero &&
         InFraction(c.degraded_loss) &&
         // At or below 1 any queueing at all would degrade a path.
         c.degraded_rtt_factor > 1 && std::isfinite(c.degraded_rtt_factor) &&
         InFraction(c.bond_loss) && InFraction(c.bond_decrease) && InFraction(c.bond_increase) &&
         InFraction(c.bond_min_weight);
}

SenderPaths::SenderPaths(const SenderPathsConfig& config, Time now)
    : config_(config), last_update_(now) {
  if (!ValidSenderPathsConfig(config)) {
    HITLESS_BUG("SenderPaths: invalid config");
    // Keep indexing in bounds whatever the config says.
    config_.path_count = std::clamp(config_.path_count, 1, static_cast<int>(kMaxPaths));
  }
  for (int p = 0; p < config_.path_count; ++p) {
    PathFigures& f = paths_[static_cast<size_t>(p)];
    f.next_probe = now;  // probe every path at once: liveness before media
    // Bond: every path starts at full weight. Starting unknown paths low
    // would pour the whole stream into whichever path answers first (the
    // shortest) until the others are known, and overfill it.
    f.weight = 1;
  }
  // Backup starts on the path the handshake worked on. It stays kUnknown
  // (its first report is a round trip away, which may exceed down_after),
  // and an unknown more preferred path does not take over from it.
  if (config_.start_path && *config_.start_path < config_.path_count) {
    active_ = *config_.start_path;
  }
}

// --- Events ----------------------------------------------------------------

void SenderPaths::OnHeard(uint8_t path_id, Time now) {
  if (path_id >= config_.path_count) return;
  // Judge the silence that this packet ends first: if it lasted down_after
  // the path was down, even if no timer fired in between.
  Update(now);
  paths_[path_id].last_heard = now;
  Update(now);
}

void SenderPaths::OnReport(uint8_t path_id, const ReportBody& report,
                           std::optional<Duration> rtt_sample, Time now,
                           std::optional<uint32_t> report_timestamp) {
  if (path_id >= config_.path_count) return;
  Update(now);
  PathFigures& arrival = paths_[path_id];
  arrival.last_heard = now;  // a REPORT is a packet from the receiver too
  ++arrival.reports_received;
  if (rtt_sample) {
    arrival.rtt.OnSample(*rtt_sample, now);
    // The path's base RTT: its lowest ever. The estimator's windowed minimum
    // would rise to a standing queue's level and hide it.
    PathInternals& in = internals_[path_id];
    if (!in.base_rtt || *rtt_sample < *in.base_rtt) in.base_rtt = *rtt_sample;
  }
  if (!first_report_) first_report_ = now;
  internals_[path_id].informed = true;

  const Duration age = arrival.rtt.has_sample() ? arrival.rtt.min_rtt() / 2 : Duration::Zero();
  const Time sent = now - age;
  for (const PathReport& entry : report.paths) {
    if (entry.path_id >= config_.path_count) continue;  // not a path of ours
    PathInternals& in = internals_[entry.path_id];
    // Older than what we hold: by the receiver's own timestamp when both
    // have one (copies of one report are equal: either may refresh it),
    // else by the estimated send time.
    if (in.has_entry) {
      if (report_timestamp && in.entry_timestamp) {
        if (SerialLess(*report_timestamp, *in.entry_timestamp)) continue;
      } else if (sent < in.entry_sent) {
        continue;
      }
    }
    const Duration silent = Duration::Milliseconds(entry.last_heard_ms);
    in.informed = true;
    in.has_entry = true;
    in.entry_ok = entry.state != PathState::kDown && silent < config_.down_after;
    in.entry_arrival = now;
    in.entry_sent = sent;
    in.entry_timestamp = report_timestamp;
    const Time heard = sent - silent;
    in.forward_heard = in.forward_heard ? std::max(*in.forward_heard, heard) : heard;
    PathFigures& f = paths_[entry.path_id];
    f.loss = std::min<uint16_t>(entry.loss_permille, kMaxLossPermille) / 1000.0;
    f.jitter = Duration::Microseconds(entry.jitter_us);
  }
  Update(now);
  if (config_.mode == MultipathMode::kBond) {
    const Health h = internals_[path_id].health;
    if (h == Health::kHealthy || h == Health::kDegraded) AdaptWeight(path_id, now);
  }
}

void SenderPaths::OnTimer(Time now) { Update(now); }

// --- Scheduling --------------------------------------------------------------

void SenderPaths::SelectForData(size_t bytes, Time now, PathList& out) {
  out.clear();
  out.reserve(kMaxPaths);  // a no-op after the first call on a reused list
  Update(now);
  const int n = config_.path_count;
  switch (config_.mode) {
    case MultipathMode::kDuplicate:
      for (int p = 0; p < n; ++p) {
        if (internals_[p].health != Health::kDown) out.push_back(static_cast<uint8_t>(p));
      }
      if (out.empty()) {
        // Every path down: one may come back before we notice; try them all.
        for (int p = 0; p < n; ++p) out.push_back(static_cast<uint8_t>(p));
      }
      break;
    case MultipathMode::kBackup:
      out.push_back(active_);
      if (failover_packet_pending_) {
        stats_.last_failover_first_packet = now;
        failover_packet_pending_ = false;
      }
      break;
    case MultipathMode::kBond: {
      const int pick = BondPick(bytes);
      out.push_back(pick >= 0 ? static_cast<uint8_t>(pick) : BestPath(now));
      break;
    }
  }
  for (const uint8_t p : out) {
    ++paths_[p].data_sent;
    paths_[p].bytes_sent += bytes;
  }
}

void SenderPaths::SelectForRepair(size_t bytes, Time now, PathList& out) {
  out.clear();
  out.reserve(kMaxPaths);
  Update(now);
  const int n = config_.path_count;
  if (config_.mode == MultipathMode::kDuplicate) {
    for (int p = 0; p < n; ++p) {
      const Health h = internals_[p].health;
      if (h == Health::kHealthy || h == Health::kDegraded) out.push_back(static_cast<uint8_t>(p));
    }
    if (out.empty()) {
      // Nothing known up (start-up, or all down): go where the data goes.
      for (int p = 0; p < n; ++p) {
        if (internals_[p].health != Health::kDown) out.push_back(static_cast<uint8_t>(p));
      }
      if (out.empty()) {
        for (int p = 0; p < n; ++p) out.push_back(static_cast<uint8_t>(p));
      }
    }
  } else {
    out.push_back(BestPath(now));
  }
  for (const uint8_t p : out) {
    ++paths_[p].repairs_sent;
    paths_[p].bytes_sent += bytes;
  }
}

bool SenderPaths::Ranks(int a, int b) const {
  const PathFigures& fa = paths_[static_cast<size_t>(a)];
  const PathFigures& fb = paths_[static_cast<size_t>(b)];
  // Loss in whole percent: a 0.1% difference is measurement noise, not a
  // reason to prefer a slower path.
  const long loss_a = std::lround(fa.loss * 100);
  const long loss_b = std::lround(fb.loss * 100);
  if (loss_a != loss_b) return loss_a < loss_b;
  if (fa.rtt.srtt() != fb.rtt.srtt()) return fa.rtt.srtt() < fb.rtt.srtt();
  return a < b;
}

// Judged on the states as of the last event or timer: BestPath is const, and
// the caller runs OnTimer at NextWakeup, so they are never stale by more than
// a deadline.
uint8_t SenderPaths::BestPath(Time /*now*/) const {
  int best = -1;
  for (int p = 0; p < config_.path_count; ++p) {
    const Health h = internals_[p].health;
    if (h != Health::kHealthy && h != Health::kDegraded) continue;
    if (best < 0 || Ranks(p, best)) best = p;
  }
  if (best >= 0) return static_cast<uint8_t>(best);
  // None up: the path heard from most recently is the likeliest to work.
  std::optional<Time> newest;
  for (int p = 0; p < config_.path_count; ++p) {
    const std::optional<Time> heard = LastHeardEitherWay(p);
    if (heard && (!newest || *heard > *newest)) {
      newest = heard;
      best = p;
    }
  }
  if (best >= 0) return static_cast<uint8_t>(best);
  return config_.mode == MultipathMode::kBackup ? active_ : 0;
}

std::optional<Duration> SenderPaths::RepairRtt(Time now) const {
  const PathFigures& best = paths_[BestPath(now)];
  if (!best.rtt.has_sample()) return std::nullopt;
  return best.rtt.srtt();
}

void SenderPaths::CollectProbes(Time now, std::vector<std::pair<uint8_t, uint32_t>>& out) {
  out.clear();
  out.reserve(kMaxPaths);
  for (int p = 0; p < config_.path_count; ++p) {
    PathFigures& f = paths_[static_cast<size_t>(p)];
    if (now < f.next_probe) continue;
    out.emplace_back(static_cast<uint8_t>(p), f.next_probe_id++);
    ++f.probes_sent;
    f.next_probe += config_.probe_interval;
    // Late (the caller's timer slipped): one probe now, none to catch up.
    if (f.next_probe <= now) f.next_probe = now + config_.probe_interval;
  }
}

std::optional<Time> SenderPaths::NextWakeup() const {
  Time next = Time::Infinite();
  // State deadlines at or before the last update have been acted on; only
  // later ones can change anything (returning an old one would spin).
  const auto consider = [&](Time deadline) {
    if (deadline > last_update_) next = std::min(next, deadline);
  };
  for (int p = 0; p < config_.path_count; ++p) {
    const PathFigures& f = paths_[static_cast<size_t>(p)];
    const PathInternals& in = internals_[p];
    next = std::min(next, f.next_probe);
    switch (in.health) {
      case Health::kUnknown:
        if (first_report_) consider(*first_report_ + config_.unknown_grace);
        break;
      case Health::kDown:
        if (f.up_since) consider(*f.up_since + config_.up_after);
        break;
      case Health::kHealthy:
      case Health::kDegraded: {
        // Alive until the later of the two directions lapses.
        Time alive_until = Time::Zero();
        if (f.last_heard) alive_until = *f.last_heard + config_.down_after;
        if (in.has_entry && in.entry_ok) {
          alive_until = std::max(alive_until, in.entry_arrival + config_.down_after);
        }
        consider(alive_until);
        break;
      }
    }
  }
  if (config_.mode == MultipathMode::kBackup) {
    for (int q = 0; q < active_; ++q) {
      const PathInternals& in = internals_[q];
      if (in.health == Health::kHealthy && in.healthy_since) {
        consider(*in.healthy_since + config_.switch_back_after);
      }
    }
  }
  if (next.IsInfinite()) return std::nullopt;
  return next;
}

// --- State machine -----------------------------------------------------------

SenderPaths::Forward SenderPaths::ForwardView(int path, Time now) const {
  const PathInternals& in = internals_[path];
  if (!in.has_entry || now - in.entry_arrival >= config_.down_after) return Forward::kNone;
  return in.entry_ok ? Forward::kOk : Forward::kBad;
}

SenderPaths::Health SenderPaths::UpHealth(int path) const {
  const PathFigures& f = paths_[static_cast<size_t>(path)];
  if (f.loss > config_.degraded_loss) return Health::kDegraded;
  if (f.rtt.has_sample()) {
    const Duration srtt = f.rtt.srtt();
    const Duration min = f.rtt.min_rtt();
    if (srtt - min > kMinDegradedRttInflation &&
        static_cast<double>(srtt.ToNanoseconds()) >
            config_.degraded_rtt_factor * static_cast<double>(min.ToNanoseconds())) {
      return Health::kDegraded;
    }
  }
  return Health::kHealthy;
}

void SenderPaths::Update(Time now) {
  for (int p = 0; p < config_.path_count; ++p) UpdateHealth(p, now);
  if (config_.mode == MultipathMode::kBackup) UpdateActive(now);
  CommitStates();
  last_update_ = now;
}

void SenderPaths::UpdateHealth(int path, Time now) {
  PathFigures& f = paths_[static_cast<size_t>(path)];
  const PathInternals& in = internals_[path];
  const bool reverse = f.last_heard && now - *f.last_heard < config_.down_after;
  const Forward forward = ForwardView(path, now);
  const bool heard_both = reverse && forward != Forward::kBad;
  const bool alive = forward != Forward::kBad && (reverse || forward == Forward::kOk);
  if (!heard_both) {
    f.up_since.reset();
  } else if (!f.up_since) {
    f.up_since = now;
  }

  Health next = in.health;
  switch (in.health) {
    case Health::kUnknown:
      if (in.informed || (first_report_ && now - *first_report_ >= config_.unknown_grace)) {
        next = alive ? UpHealth(path) : Health::kDown;
      }
      break;
    case Health::kDown:
      if (heard_both && now - *f.up_since >= config_.up_after) next = UpHealth(path);
      break;
    case Health::kHealthy:
    case Health::kDegraded:
      next = alive ? UpHealth(path) : Health::kDown;
      break;
  }
  if (next != in.health) SetHealth(path, next, now);
}

void SenderPaths::SetHealth(int path, Health health, Time now) {
  PathInternals& in = internals_[path];
  PathFigures& f = paths_[static_cast<size_t>(path)];
  const Health previous = in.health;
  in.health = health;
  if (health == Health::kHealthy) {
    in.healthy_since = now;
  } else {
    in.healthy_since.reset();
  }
  if (health == Health::kDown || health == Health::kDegraded) in.unhealthy_at = now;
  if (health == Health::kDown) in.bond_eligible = false;  // rejoins at the current tags
  if (config_.mode == MultipathMode::kBond && health == Health::kDown) {
    // Back from an outage it ramps up from the floor (its capacity may have
    // changed).
    f.weight = config_.bond_min_weight;
  }
  (void)previous;
}

void SenderPaths::UpdateActive(Time now) {
  const int current = active_;
  const Health health = internals_[current].health;
  const int n = config_.path_count;
  if (health == Health::kHealthy) {
    for (int q = 0; q < current; ++q) {
      const PathInternals& in = internals_[q];
      if (in.health == Health::kHealthy && now - *in.healthy_since >= config_.switch_back_after) {
        SwitchActive(q, /*failover=*/false);
        return;
      }
    }
    return;
  }
  const bool failover = health != Health::kUnknown;
  for (int q = 0; q < n; ++q) {
    if (internals_[q].health == Health::kHealthy) {
      SwitchActive(q, failover);
      return;
    }
  }
  if (health == Health::kDegraded) return;  // no healthy alternative: it still works somewhat
  int degraded = -1;
  for (int q = 0; q < n; ++q) {
    if (internals_[q].health == Health::kDegraded && (degraded < 0 || Ranks(q, degraded))) {
      degraded = q;
    }
  }
  if (degraded >= 0) {
    SwitchActive(degraded, failover);
    return;
  }
  if (health == Health::kDown) {
    for (int q = 0; q < n; ++q) {
      if (internals_[q].health == Health::kUnknown) {
        SwitchActive(q, /*failover=*/true);
        return;
      }
    }
  }
  // Nothing usable: keep the current path.
}

void SenderPaths::SwitchActive(int path, bool failover) {
  const int old = active_;
  active_ = static_cast<uint8_t>(path);
  ++stats_.switches;
  if (!failover) return;
  ++stats_.failovers;
  const Time detected = internals_[old].unhealthy_at;
  stats_.last_failover_outage_start = LastHeardEitherWay(old).value_or(detected);
  stats_.last_failover_detected = detected;
  stats_.last_failover_first_packet.reset();
  failover_packet_pending_ = true;
}

void SenderPaths::CommitStates() {
  for (int p = 0; p < config_.path_count; ++p) {
    PathState state = PathState::kUnknown;
    switch (internals_[p].health) {
      case Health::kUnknown:
        state = PathState::kUnknown;
        break;
      case Health::kDown:
        state = PathState::kDown;
        break;
      case Health::kDegraded:
        state = PathState::kDegraded;
        break;
      case Health::kHealthy:
        state = config_.mode == MultipathMode::kBackup && p != active_ ? PathState::kStandby
                                                                       : PathState::kActive;
        break;
    }
    PathFigures& f = paths_[static_cast<size_t>(p)];
    if (state == f.state) continue;
    f.state = state;
    ++stats_.state_changes;
    if (state == PathState::kDown) ++f.times_down;
  }
}

std::optional<Time> SenderPaths::LastHeardEitherWay(int path) const {
  const std::optional<Time>& reverse = paths_[static_cast<size_t>(path)].last_heard;
  const std::optional<Time>& forward = internals_[path].forward_heard;
  if (reverse && forward) return std::max(*reverse, *forward);
  return reverse ? reverse : forward;
}

// --- Bond --------------------------------------------------------------------

void SenderPaths::AdaptWeight(int path, Time now) {
  PathFigures& f = paths_[static_cast<size_t>(path)];
  // At most once per base round trip of the path: a change shows in its RTT
  // a round trip later, so adapting on every report would overshoot. (Not
  // the current RTT: a path with a standing queue must not adapt slowest.)
  PathInternals& in = internals_[path];
  const Duration pace = in.base_rtt ? *in.base_rtt : f.rtt.srtt();
  if (in.last_adapt && now - *in.last_adapt < pace) return;
  in.last_adapt = now;
  const Duration queueing =
      f.rtt.has_sample() && in.base_rtt ? f.rtt.srtt() - *in.base_rtt : Duration::Zero();
  double sum = 0;
  int count = 0;
  for (int p = 0; p < config_.path_count; ++p) {
    if (internals_[p].health == Health::kDown) continue;
    sum += paths_[static_cast<size_t>(p)].weight;
    ++count;
  }
  const double mean = count > 0 ? sum / count : f.weight;
  if (queueing > config_.bond_queue_delay || f.loss > config_.bond_loss) {
    f.weight *= config_.bond_decrease;
  } else {
    f.weight = std::min(1.0, f.weight + config_.bond_increase * mean);
  }
  // Only the ratios matter. When every path is being cut the largest weight
  // falls below 1: scale all up so it is 1 again, which keeps the ratios
  // (the floor would flatten them). Never scale down: a path at 1 that grows
  // must not shrink the others (a short-RTT path adapts more often and would
  // starve a healthy long one).
  double largest = 0;
  for (int p = 0; p < config_.path_count; ++p) {
    if (internals_[p].health != Health::kDown) {
      largest = std::max(largest, paths_[static_cast<size_t>(p)].weight);
    }
  }
  const double scale = largest > 0 && largest < 1 ? 1 / largest : 1;
  for (int p = 0; p < config_.path_count; ++p) {
    double& w = paths_[static_cast<size_t>(p)].weight;
    if (internals_[p].health != Health::kDown) {
      w = std::clamp(w * scale, config_.bond_min_weight, 1.0);
    }
  }
}

int SenderPaths::BondPick(size_t bytes) {
  const int n = config_.path_count;
  double floor = std::numeric_limits<double>::infinity();
  for (int p = 0; p < n; ++p) {
    const PathInternals& in = internals_[p];
    if (in.health != Health::kDown && in.bond_eligible) floor = std::min(floor, in.bond_tag);
  }
  int pick = -1;
  for (int p = 0; p < n; ++p) {
    PathInternals& in = internals_[p];
    if (in.health == Health::kDown) continue;
    if (!in.bond_eligible) {
      // Joining: start level with the paths already sending, neither owed
      // the bytes it missed while out nor charged for those it sent before.
      if (floor != std::numeric_limits<double>::infinity()) in.bond_tag = floor;
      in.bond_eligible = true;
    }
    if (pick < 0 || in.bond_tag < internals_[pick].bond_tag) pick = p;
  }
  if (pick < 0) return -1;
  PathInternals& chosen = internals_[pick];
  chosen.bond_tag += static_cast<double>(bytes) / paths_[static_cast<size_t>(pick)].weight;
  if (chosen.bond_tag > kBondTagRebase) {
    double base = chosen.bond_tag;
    for (int p = 0; p < n; ++p) {
      if (internals_[p].bond_eligible) base = std::min(base, internals_[p].bond_tag);
    }
    for (int p = 0; p < n; ++p) {
      internals_[p].bond_tag = std::max(0.0, internals_[p].bond_tag - base);
    }
  }
  return pick;
}

}  // namespace hitless::path
