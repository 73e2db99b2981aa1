// SenderPaths: the sending side's view of every path of a multipath session
// (health from the receiver's reports and from what is heard back on each
// path) and the scheduler that picks the path(s) for each packet. I/O-free.
//
// A path is one (local bind, remote address) pair; its id (0..kMaxPaths-1)
// is carried in every packet's header. Path 0 is the most preferred, then 1,
// and so on (the order the user listed them in).
//
// Health, per path:
//   - RTT: RFC 6298 estimator fed by the REPORTs that arrive on the path
//     (each echoes the latest DATA/KEEPALIVE timestamp received on it);
//   - loss: the receiver's figure for the path (PathReport::loss_permille,
//     measured from the sequence of our probes on that path);
//   - jitter: PathReport::jitter_us;
//   - heard: the last packet from the receiver on this path (reverse
//     direction) and the receiver's last_heard_ms for it (forward direction).
// States (wire PathState):
//   kDown      nothing heard on the path either way for `down_after`, or the
//              receiver reports not hearing it for `down_after`;
//   kDegraded  up, but loss above `degraded_loss` or RTT above
//              `degraded_rtt_factor` x its minimum RTT;
//   kActive    up and carrying media;
//   kStandby   up and held in reserve (backup mode).
// A path that went down is up again only after being heard both ways
// continuously for `up_after` (hysteresis). Before the first report a path
// is kUnknown: usable (it carries data) but never preferred over a known-up
// path.
//
// Modes (MultipathMode):
//   kDuplicate  every original DATA on every path that is not down (on all
//               paths if every one is down); the receiver keeps the first copy.
//   kBackup     DATA on one active path: the most preferred path that is up
//               and not degraded. When the active path goes down or degraded
//               the next best (preference order among up, non-degraded paths;
//               else any up path) takes over at once (a failover). Traffic
//               returns to a more preferred path only after it has been up and
//               not degraded for `switch_back_after` (no flapping).
//   kBond       DATA split across the paths that are up by weight: each packet
//               goes to the path with the least (bytes sent / weight). Weights
//               adapt on the reports of their path, at most once per base RTT
//               (the lowest RTT ever seen on the path): a path whose queueing
//               delay (smoothed RTT - base RTT) exceeds `bond_queue_delay` or
//               whose loss exceeds `bond_loss` is cut to `bond_decrease` x its
//               weight; otherwise it grows by `bond_increase` x the mean
//               weight, up to 1. When every path is cut (the largest is below
//               1) all are scaled up so the largest is 1 again: only ratios
//               matter. Weights start at 1 and stay within
//               [bond_min_weight, 1]; a path back from down restarts at
//               bond_min_weight; down paths get none.
// Retransmissions and FEC repairs go on the best path: up, then lowest
// loss, then lowest smoothed RTT, queueing included, so a congested bond
// path is passed over (SelectForRepair); in kDuplicate on every path that is
// up.
//
// Probes: every path gets a KEEPALIVE probe every `probe_interval` with a
// per-path probe id counting up from 1, so the receiver can measure each
// path's loss and liveness even when the path carries no media (backup).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "transport/arq/rtt_estimator.h"
#include "transport/base/time.h"
#include "transport/wire/header.h"
#include "transport/wire/report.h"

namespace hitless::path {

enum class MultipathMode : uint8_t { kDuplicate, kBackup, kBond };

// "duplicate", "backup", "bond".
const char* MultipathModeName(MultipathMode mode);

struct SenderPathsConfig {
  MultipathMode mode = MultipathMode::kDuplicate;
  int path_count = 2;  // 1..kMaxPaths
  // The path the handshake completed on: known to work both ways, so backup
  // mode starts on it (rather than on path 0, which may be dead).
  std::optional<uint8_t> start_path;
  Duration probe_interval = Duration::Milliseconds(10);
  Duration down_after = Duration::Milliseconds(60);
  Duration up_after = Duration::Milliseconds(500);
  // A path never heard of stays kUnknown (usable) this long after the
  // receiver's first report on any path, then is down.
  Duration unknown_grace = Duration::Seconds(2);
  double degraded_loss = 0.10;
  double degraded_rtt_factor = 3.0;
  Duration switch_back_after = Duration::Seconds(3);
  Duration bond_queue_delay = Duration::Milliseconds(30);
  double bond_loss = 0.05;
  double bond_decrease = 0.85;
  double bond_increase = 0.05;
  double bond_min_weight = 0.02;
};

// Ok unless a field is out of range (path_count, non-positive durations,
// fractions outside (0, 1]).
bool ValidSenderPathsConfig(const SenderPathsConfig& config);

struct PathFigures {
  PathState state = PathState::kUnknown;
  arq::RttEstimator rtt;
  double loss = 0;                     // receiver's figure, 0..1
  Duration jitter = Duration::Zero();  // receiver's figure
  std::optional<Time> last_heard;      // last packet from the receiver on this path
  std::optional<Time> up_since;        // heard both ways continuously since
  double weight = 1;                   // bond share (before normalisation)
  uint64_t data_sent = 0;              // DATA datagrams scheduled on it (originals)
  uint64_t bytes_sent = 0;             // all bytes scheduled on it
  uint64_t repairs_sent = 0;           // retransmissions + FEC repairs on it
  uint64_t probes_sent = 0;
  uint64_t reports_received = 0;
  uint64_t times_down = 0;  // transitions to kDown
  uint32_t next_probe_id = 1;
  Time next_probe;
};

struct SenderPathsStats {
  uint64_t switches = 0;       // backup: active path changes (failovers + switch-backs)
  uint64_t failovers = 0;      // of which because the active path went down/degraded
  uint64_t state_changes = 0;  // every path state transition
  // Backup: the last failover: when the old active path was last heard from
  // (the outage's start as far as the sender can tell), when the sender
  // declared it down, and the first DATA scheduled on the new path.
  std::optional<Time> last_failover_outage_start;
  std::optional<Time> last_failover_detected;
  std::optional<Time> last_failover_first_packet;
};

// At most kMaxPaths path ids, in ascending order.
using PathList = std::vector<uint8_t>;

class SenderPaths {
 public:
  // `config` must pass ValidSenderPathsConfig.
  SenderPaths(const SenderPathsConfig& config, Time now);

  // Any packet from the receiver on `path_id` (reverse direction alive).
  // Ids >= path_count are ignored.
  void OnHeard(uint8_t path_id, Time now);
  // A REPORT that arrived on `path_id`: `rtt_sample` is the RTT measured from
  // its echo (if it had one); `report.paths` carries the receiver's figures
  // for every path (loss, jitter, last heard), not only this one. The REPORT
  // itself counts as heard on `path_id` (OnHeard need not be called too).
  // `report_timestamp`: the REPORT header's timestamp (the receiver's clock,
  // the same on the copies sent on every path): orders the copies exactly;
  // without it they are ordered by estimated send time.
  void OnReport(uint8_t path_id, const ReportBody& report, std::optional<Duration> rtt_sample,
                Time now, std::optional<uint32_t> report_timestamp = std::nullopt);

  // Path(s) for an original DATA packet of `bytes` bytes; never empty.
  // Updates sent counters and (backup) the failover record.
  void SelectForData(size_t bytes, Time now, PathList& out);
  // Path(s) for a retransmission or FEC repair; never empty.
  void SelectForRepair(size_t bytes, Time now, PathList& out);
  // The best path now (see the header comment); the one control packets
  // such as SHUTDOWN use.
  uint8_t BestPath(Time now) const;
  // The RTT the ARQ policy should plan with: the best path's smoothed RTT
  // (nullopt before any sample).
  std::optional<Duration> RepairRtt(Time now) const;

  // Paths whose probe is due at `now`, with the probe id to send; advances
  // their probe schedule and counts the probes.
  void CollectProbes(Time now, std::vector<std::pair<uint8_t, uint32_t>>& out);
  // State transitions that depend on time only (down after silence, up
  // after up_after, backup switch-back, weight decay). Call on every timer.
  void OnTimer(Time now);
  // The next probe or state deadline.
  std::optional<Time> NextWakeup() const;

  int path_count() const { return config_.path_count; }
  MultipathMode mode() const { return config_.mode; }
  const PathFigures& figures(int path) const { return paths_[static_cast<size_t>(path)]; }
  // Backup: the active path.
  uint8_t active_path() const { return active_; }
  const SenderPathsStats& stats() const { return stats_; }

 private:
  // A path's health as the state machine sees it; PathFigures::state is this
  // plus the backup role (kActive or kStandby for a healthy path).
  enum class Health : uint8_t { kUnknown, kDown, kHealthy, kDegraded };
  // What the receiver's reports say about a path (forward direction).
  enum class Forward : uint8_t { kNone, kOk, kBad };
  struct PathInternals {
    Health health = Health::kUnknown;
    // A report arrived on the path or carried an entry for it.
    bool informed = false;
    // The receiver's latest entry for the path.
    bool has_entry = false;
    bool entry_ok = false;                    // heard within down_after and not kDown
    Time entry_arrival;                       // when the report carrying it arrived
    Time entry_sent;                          // that report's estimated send time
    std::optional<uint32_t> entry_timestamp;  // that report's header timestamp
    std::optional<Time> forward_heard;        // when the receiver last heard the path
    std::optional<Time> healthy_since;        // kHealthy since
    Time unhealthy_at;                        // last transition to kDown or kDegraded
    // Bond: virtual finish tag (bytes / weight) and whether the path was
    // eligible at the previous pick.
    double bond_tag = 0;
    bool bond_eligible = false;
    std::optional<Time> last_adapt;    // bond: the last weight change
    std::optional<Duration> base_rtt;  // lowest RTT sample ever
  };

  void Update(Time now);
  void UpdateHealth(int path, Time now);
  void SetHealth(int path, Health health, Time now);
  Health UpHealth(int path) const;
  Forward ForwardView(int path, Time now) const;
  void UpdateActive(Time now);
  void SwitchActive(int path, bool failover);
  void CommitStates();
  void AdaptWeight(int path, Time now);
  int BondPick(size_t bytes);
  std::optional<Time> LastHeardEitherWay(int path) const;
  bool Ranks(int a, int b) const;  // a is a better path than b

  SenderPathsConfig config_;
  std::array<PathFigures, kMaxPaths> paths_;
  std::array<PathInternals, kMaxPaths> internals_;
  uint8_t active_ = 0;
  SenderPathsStats stats_;
  std::optional<Time> first_report_;
  Time last_update_;
  bool failover_packet_pending_ = false;
};

}  // namespace hitless::path
