// ReceiverPaths: per-path receive bookkeeping; see receiver_paths.h.
//
// Decisions the header leaves open, made here:
//   - Loss window: the ids max(1, H - loss_window + 1) .. H, H the highest
//     probe id seen; loss = missing / ids covered. A late (reordered) probe
//     still inside the window fills its slot; older ones and duplicates change
//     nothing. OnProbe only does probe bookkeeping: the caller reports the
//     same packet to OnPacket too (last heard, counters, transit).
//   - Jitter, echo: only packets whose timestamp is not older than the newest
//     one seen on the path feed them, so a reordered packet neither adds its
//     reordering delay to the jitter nor hands the sender a stale echo. The
//     minimum transit takes every DATA/KEEPALIVE (a late one cannot lower it).
//   - The minimum transit is all-time, not windowed: clock drift shifts every
//     path's transit alike, so their spread (Skew) survives it.
//   - Live: heard within live_within (inclusive); kDown in FillReport: not
//     heard within down_after (exclusive), so last_heard_ms == down_after is
//     still kActive here while the sender (last_heard_ms < down_after) already
//     calls it silent: the sender never waits longer than we do.
#include "transport/path/receiver_paths.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "transport/base/serial.h"

namespace hitless::path {
namespace {

constexpr int kMaxLossWindow = 4096;

uint32_t ClampU32(int64_t value) {
  return static_cast<uint32_t>(std::clamp<int64_t>(value, 0, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

ReceiverPaths::ReceiverPaths(const ReceiverPathsConfig& config) : config_(config) {
  config_.loss_window = std::clamp(config_.loss_window, 1, kMaxLossWindow);
  for (std::vector<bool>& window : probe_window_) {
    window.assign(static_cast<size_t>(config_.loss_window), false);
  }
}

void ReceiverPaths::OnPacket(uint8_t path_id, PacketType type, size_t bytes,
                             uint32_t wire_timestamp, Duration transit, Time now, bool timed) {
  if (path_id >= kMaxPaths) return;
  ReceiverPathFigures& f = paths_[path_id];
  if (!f.seen) {
    f.seen = true;
    ++seen_count_;
  }
  f.last_heard = now;
  ++f.packets;
  f.bytes += bytes;
  if (type == PacketType::kData) ++f.data_packets;
  if (!timed || (type != PacketType::kData && type != PacketType::kKeepalive)) return;

  if (!f.min_transit || transit < *f.min_transit) f.min_transit = transit;
  // Recent transit: the excess over the minimum decays (half-life), a
  // larger transit raises it at once.
  f.recent_transit = std::max(RecentTransit(f, now), transit);
  f.recent_transit_at = now;
  if (f.echo_timestamp && SerialLess(wire_timestamp, *f.echo_timestamp)) return;  // reordered
  // RFC 3550 6.4.1: J += (|D| - J) / 16, D the change in transit between
  // consecutive packets.
  std::optional<Duration>& last = last_transit_[path_id];
  if (last) {
    const double d = std::abs(static_cast<double>((transit - *last).ToNanoseconds()));
    double& jitter = jitter_ns_[path_id];
    jitter += (d - jitter) / 16.0;
    f.jitter = Duration::Nanoseconds(std::llround(jitter));
  }
  last = transit;
  f.echo_timestamp = wire_timestamp;
  f.echo_received = now;
}

void ReceiverPaths::OnProbe(uint8_t path_id, uint32_t probe_id, Time /*now*/) {
  if (path_id >= kMaxPaths || probe_id == 0) return;
  ReceiverPathFigures& f = paths_[path_id];
  std::vector<bool>& window = probe_window_[path_id];
  int& in_window = probes_in_window_[path_id];
  const auto size = static_cast<uint32_t>(config_.loss_window);
  ++f.probes;
  if (probe_id > f.highest_probe) {
    if (probe_id - f.highest_probe >= size) {
      // Jumped past the whole window: every slot now holds a missing id.
      std::fill(window.begin(), window.end(), false);
      in_window = 0;
    } else {
      // The ids between the old highest and this one are missing (so far);
      // their slots drop the ids that leave the window.
      for (uint32_t id = f.highest_probe + 1; id < probe_id; ++id) {
        if (window[id % size]) --in_window;
        window[id % size] = false;
      }
      if (window[probe_id % size]) --in_window;
      window[probe_id % size] = false;
    }
    f.highest_probe = probe_id;
  } else if (f.highest_probe - probe_id >= size) {
    return;  // too old for the window
  }
  if (!window[probe_id % size]) {
    window[probe_id % size] = true;
    ++in_window;
  }
  const uint32_t covered = std::min(f.highest_probe, size);
  f.loss = 1.0 - static_cast<double>(in_window) / static_cast<double>(covered);
}

void ReceiverPaths::OnRttSample(uint8_t path_id, Duration rtt, Time now) {
  if (path_id >= kMaxPaths) return;
  paths_[path_id].rtt.OnSample(rtt, now);
}

void ReceiverPaths::LivePaths(Time now, std::vector<uint8_t>& out) const {
  out.clear();
  for (size_t p = 0; p < kMaxPaths; ++p) {
    const ReceiverPathFigures& f = paths_[p];
    if (f.seen && now - f.last_heard <= config_.live_within) out.push_back(static_cast<uint8_t>(p));
  }
}

void ReceiverPaths::FillReport(Time now, std::vector<PathReport>& out) const {
  out.clear();
  for (size_t p = 0; p < kMaxPaths; ++p) {
    const ReceiverPathFigures& f = paths_[p];
    if (!f.seen) continue;
    const Duration silent = now - f.last_heard;
    PathReport entry;
    entry.path_id = static_cast<uint8_t>(p);
    entry.state = silent > config_.down_after ? PathState::kDown : PathState::kActive;
    entry.loss_permille =
        static_cast<uint16_t>(std::clamp<long>(std::lround(f.loss * 1000), 0, kMaxLossPermille));
    entry.rtt_us = f.rtt.has_sample() ? ClampU32(f.rtt.srtt().ToMicroseconds()) : 0;
    entry.jitter_us = ClampU32(f.jitter.ToMicroseconds());
    entry.last_heard_ms = ClampU32(silent.ToMilliseconds());
    out.push_back(entry);
  }
}

std::optional<std::pair<uint32_t, Duration>> ReceiverPaths::Echo(uint8_t path_id, Time now) const {
  if (path_id >= kMaxPaths) return std::nullopt;
  const ReceiverPathFigures& f = paths_[path_id];
  if (!f.echo_timestamp) return std::nullopt;
  return std::make_pair(*f.echo_timestamp, now - f.echo_received);
}

Duration ReceiverPaths::RecentTransit(const ReceiverPathFigures& f, Time now) const {
  if (!f.recent_transit) return *f.min_transit;
  const double half_life = static_cast<double>(config_.transit_half_life.ToNanoseconds());
  const double age = static_cast<double>((now - f.recent_transit_at).ToNanoseconds());
  const double excess = static_cast<double>((*f.recent_transit - *f.min_transit).ToNanoseconds());
  return *f.min_transit +
         Duration::Nanoseconds(std::llround(
             half_life > 0 ? excess * std::exp2(-std::max(age, 0.0) / half_life) : 0.0));
}

Duration ReceiverPaths::Skew(Time now) const {
  std::optional<Duration> lowest;
  std::optional<Duration> highest;
  int heard = 0;
  for (const ReceiverPathFigures& f : paths_) {
    // Only paths heard within down_after: a silent path's copies are not
    // coming, so gaps need not wait for it (a failover NACKs at once).
    if (!f.seen || !f.min_transit || now - f.last_heard > config_.down_after) continue;
    ++heard;
    if (!lowest || *f.min_transit < *lowest) lowest = f.min_transit;
    // Aged to `now`: a path heard only through untimed packets decays too.
    const Duration recent = RecentTransit(f, now);
    if (!highest || recent > *highest) highest = recent;
  }
  // One path cannot reorder against another (its own reordering is the loss
  // tracker's learned tolerance).
  if (heard < 2) return Duration::Zero();
  return *highest - *lowest;
}

}  // namespace hitless::path
