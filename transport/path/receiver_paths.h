// ReceiverPaths: the receiving side's per-path bookkeeping for a multipath
// session. I/O-free.
//
// Every packet of the session is attributed to the path id in its header
// (never to its source address: a cellular NAT may rebind, and the I/O layer
// follows the newest source per path). Per path it keeps:
//   - last heard and packets/bytes received (any type);
//   - loss, from the sender's KEEPALIVE probes: each carries a per-path probe
//     id counting up from 1; the probes missing among the last
//     `loss_window` ids give PathReport::loss_permille;
//   - interarrival jitter (RFC 3550) and the minimum transit
//     (arrival - sender timestamp, on our clock) of DATA and probes;
//   - the echo for the sender's per-path RTT: the newest DATA or KEEPALIVE
//     timestamp received on the path and when;
//   - an RTT estimate from the sender's KEEPALIVE echoes on the path.
// Skew() is how much later the slowest path heard within down_after
// delivers than the fastest (recent transits, queueing included), which the
// loss
// tracker must wait out before calling a packet lost (duplicate and bond
// modes deliver out of order by that much).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "transport/arq/rtt_estimator.h"
#include "transport/base/time.h"
#include "transport/wire/header.h"
#include "transport/wire/report.h"

namespace hitless::path {

struct ReceiverPathsConfig {
  // A path is live (reported on, used for NACKs and reports) while heard
  // within this.
  Duration live_within = Duration::Seconds(1);
  // A path not heard within this is reported kDown (kActive otherwise).
  Duration down_after = Duration::Milliseconds(60);
  int loss_window = 200;  // probe ids the loss figure covers (1..4096)
  Duration transit_half_life = Duration::Seconds(2);
};

struct ReceiverPathFigures {
  bool seen = false;
  Time last_heard;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t data_packets = 0;
  uint64_t probes = 0;
  uint32_t highest_probe = 0;
  double loss = 0;  // over the last loss_window probe ids
  Duration jitter = Duration::Zero();
  std::optional<Duration> min_transit;  // arrival - sender timestamp (clock offset included)
  // A decaying maximum of the transit (queueing included): the excess over
  // min_transit halves every `transit_half_life`.
  std::optional<Duration> recent_transit;
  Time recent_transit_at;
  // Echo for the sender's RTT on this path.
  std::optional<uint32_t> echo_timestamp;
  Time echo_received;
  arq::RttEstimator rtt;
};

class ReceiverPaths {
 public:
  explicit ReceiverPaths(const ReceiverPathsConfig& config = {});

  // A packet of the session on `path_id` (ids >= kMaxPaths are ignored).
  // `wire_timestamp` is the header's timestamp (the echo) and `transit` the
  // arrival time minus the sender timestamp widened to our clock's scale
  // (clock offset included; for min transit and jitter). Only DATA and
  // KEEPALIVE feed transit, jitter and the echo, and only when `timed`: a
  // retransmission carries its original's timestamp, which says nothing
  // about this path's delay.
  void OnPacket(uint8_t path_id, PacketType type, size_t bytes, uint32_t wire_timestamp,
                Duration transit, Time now, bool timed = true);
  // A KEEPALIVE probe on `path_id` with the sender's per-path probe id
  // (0 = not a probe).
  void OnProbe(uint8_t path_id, uint32_t probe_id, Time now);
  // An RTT sample from the sender's echo of one of our reports on `path_id`.
  void OnRttSample(uint8_t path_id, Duration rtt, Time now);

  // Paths heard within live_within, ascending.
  void LivePaths(Time now, std::vector<uint8_t>& out) const;
  // One PathReport per path ever seen (ascending id): state kActive or
  // kDown, loss, RTT, jitter, last heard.
  void FillReport(Time now, std::vector<PathReport>& out) const;
  // Echo for a REPORT sent on `path_id`: (timestamp, delay since received).
  std::optional<std::pair<uint32_t, Duration>> Echo(uint8_t path_id, Time now) const;
  // How much later the slowest path heard within down_after delivers than
  // the fastest: the largest recent transit minus the smallest minimum
  // transit (zero with one path). Queueing on a path counts: a packet in a
  // queue is late, not lost. A silent path's packets are not coming.
  Duration Skew(Time now) const;
  // More than one path seen so far.
  bool multipath() const { return seen_count_ > 1; }

  const ReceiverPathFigures& figures(int path) const { return paths_[static_cast<size_t>(path)]; }

 private:
  // `f`'s recent transit aged to `now` (min_transit must be set).
  Duration RecentTransit(const ReceiverPathFigures& f, Time now) const;

  ReceiverPathsConfig config_;
  std::array<ReceiverPathFigures, kMaxPaths> paths_;
  // Per path: which of the last loss_window probe ids arrived (ring).
  std::array<std::vector<bool>, kMaxPaths> probe_window_;
  // Per path: how many of the ids in the window arrived.
  std::array<int, kMaxPaths> probes_in_window_{};
  // Per path: the transit of the newest packet (RFC 3550 D) and the jitter
  // unrounded (nanoseconds), so the 1/16 gain does not truncate away.
  std::array<std::optional<Duration>, kMaxPaths> last_transit_;
  std::array<double, kMaxPaths> jitter_ns_{};
  int seen_count_ = 0;
};

}  // namespace hitless::path
