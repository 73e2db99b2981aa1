// A simulated live stream through a TsbpdBuffer on a virtual clock, for the
// jitter tests: a sender whose clock runs off by `sender_ppm`, a path with a
// base delay plus half-normal jitter (seeded), optional outage and sender
// clock step, and an event loop that calls PopReady() at each arrival and at
// every NextRelease(). It measures the end-to-end latency of every delivered
// packet (delivery time - true send time) against the configured budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "jitter/tsbpd_buffer.h"
#include "transport/base/time.h"

namespace hitless::jitter {

struct SimConfig {
  double sender_ppm = 0.0;  // sender clock rate error (+ = fast)
  double rate_pps = 100.0;
  Duration duration = Duration::Seconds(60);
  Duration base_delay = Duration::Milliseconds(30);
  Duration jitter_sigma = Duration::Milliseconds(10);  // half-normal extra delay
  bool symmetric_jitter = false;  // normal around base_delay instead (floored at 0)
  Duration latency = Duration::Milliseconds(200);
  bool tell_transit = true;  // SetTransitEstimate(base_delay)
  size_t capacity = 4096;
  // Packets sent in [outage_start, outage_start + outage_length) are lost.
  Duration outage_start;
  Duration outage_length;
  // Each packet is, with this probability, held up by `outlier_delay` more.
  double outlier_prob = 0.0;
  Duration outlier_delay;
  // From this send time on, the sender's timestamps jump by ts_jump.
  Duration ts_jump_at = Duration::Infinite();
  Duration ts_jump;
  // Latency deviations of packets sent before `warmup` or within
  // [ignore_from, ignore_to) are reported apart (max_dev_excluded).
  Duration warmup = Duration::Seconds(5);
  Duration ignore_from = Duration::Infinite();
  Duration ignore_to = Duration::Infinite();
  uint64_t seed = 1;
};

struct SimResult {
  Duration max_dev;           // max |delivery - send - latency|, measured packets
  Duration max_dev_at;        // send time (since start) of the packet with max_dev
  Duration max_dev_excluded;  // the same over warm-up and ignored packets
  Duration max_spacing_err;   // max |delivery spacing - send spacing|, measured
  size_t max_level = 0;       // largest level_packets seen
  uint64_t sent = 0;
  uint64_t lost_in_network = 0;
  uint64_t delivered = 0;
  uint64_t skipped_reported = 0;  // sum of OnSkip counts
  bool in_order = true;           // strictly increasing seqs, skips contiguous
  bool early = false;             // any delivery before its release_time
  bool payload_ok = true;
  bool stalled = false;  // event loop made no progress
  TsbpdStats stats;
  double slope = 0.0;
};

SimResult RunSim(const SimConfig& config);

}  // namespace hitless::jitter

namespace hitless {
// Readable gtest failure messages for the time types.
inline void PrintTo(Duration d, std::ostream* os) { *os << d.ToMicroseconds() << "us"; }
inline void PrintTo(Time t, std::ostream* os) { *os << "T+" << t.ToNanoseconds() << "ns"; }
}  // namespace hitless
