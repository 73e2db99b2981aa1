// Impairment parameters with the feature set of Linux `tc netem`.
//
// One ImpairmentParams describes one direction of a link at one moment. A
// Timeline changes them over time (outages, parameter changes). Percentages
// are stored as probabilities in [0, 1]. Semantics follow netem's
// documentation (man 8 tc-netem) unless a comment says otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transport/base/time.h"

namespace hitless::netem {

struct LossParams {
  enum class Model : uint8_t {
    kNone,
    // netem `loss random P [CORR]`: each packet lost with probability P. With
    // correlation C, the previous packet's fate repeats with probability C
    // and is otherwise drawn afresh: the mean stays P and the mean burst is
    // 1 / ((1-C)(1-P)). (netem's C*previous + (1-C)*fresh uniform narrows
    // the uniform and so lowers the loss rate; see link.cc.)
    kRandom,
    // netem `loss gemodel p [r [1-h [1-k]]]`: two-state Markov chain.
    // p = P(good->bad), r = P(bad->good), 1-h = loss prob in bad,
    // 1-k = loss prob in good. Defaults as netem: r = 1-p, 1-h = 1, 1-k = 0.
    kGilbertElliott,
  };
  Model model = Model::kNone;
  double probability = 0.0;  // kRandom: P
  double correlation = 0.0;  // kRandom: CORR
  double p = 0.0;            // kGilbertElliott
  double r = 1.0;
  double one_minus_h = 1.0;
  double one_minus_k = 0.0;
};

enum class DelayDistribution : uint8_t { kUniform, kNormal, kPareto, kParetoNormal };

struct DelayParams {
  Duration delay = Duration::Zero();   // mean one-way delay
  Duration jitter = Duration::Zero();  // spread (uniform: +-jitter; others: sigma)
  // Correlation of successive jitter values: an AR(1) Gaussian process mapped
  // onto each distribution, so the distribution itself does not change.
  double correlation = 0.0;
  DelayDistribution distribution = DelayDistribution::kUniform;
  // When false, a packet is never delivered before one enqueued earlier
  // (jitter without reordering: delivery = max(computed, previous delivery)).
  // netem reorders on jitter by default, so the default is true.
  bool reorder_on_jitter = true;
};

// netem `reorder P [CORR] [gap G]`: with a delay configured, every G-th packet
// (or, without gap, a packet with probability P) is sent immediately instead
// of delayed, so it overtakes the packets ahead of it. Exactly: after G-1
// packets delayed normally, each packet is sent at once with probability P
// (CORR as for loss random), which restarts the count.
struct ReorderParams {
  double probability = 0.0;
  double correlation = 0.0;
  uint32_t gap = 0;  // 0 = no gap (probabilistic only)
};

// netem `duplicate P [CORR]` and `corrupt P [CORR]` (corrupt flips one random
// bit of the datagram). CORR has the meaning given for loss random. A
// duplicate goes through corrupt, rate, delay and reorder on its own.
struct ChanceParams {
  double probability = 0.0;
  double correlation = 0.0;
};

// netem `rate R [PACKETOVERHEAD]` plus `limit N`: a bottleneck serialising at R
// bits/s with a FIFO of at most `limit_packets` packets (and, when nonzero,
// `limit_bytes` bytes); a packet arriving to a full queue is tail-dropped. A
// packet occupies the FIFO until it has been serialised. Unlike netem, the
// limit applies only to the bottleneck (not to packets in propagation delay),
// and only when a rate is set; limit_packets = 0 means no packet limit.
struct RateParams {
  uint64_t bits_per_second = 0;   // 0 = unlimited
  int32_t packet_overhead = 0;    // bytes added (or removed) per packet for timing
  uint32_t limit_packets = 1000;  // netem's default limit
  uint64_t limit_bytes = 0;       // 0 = no byte limit
};

struct ImpairmentParams {
  LossParams loss;
  DelayParams delay;
  ReorderParams reorder;
  ChanceParams duplicate;
  ChanceParams corrupt;
  RateParams rate;
};

// A change over time, relative to the link's start time.
struct TimelineEvent {
  enum class Kind : uint8_t { kOutage, kSetParams };
  Kind kind = Kind::kOutage;
  Duration at = Duration::Zero();
  Duration duration = Duration::Zero();  // kOutage: everything dropped in [at, at+duration)
  ImpairmentParams params;               // kSetParams: replaces the current params from `at`
};

struct DirectionConfig {
  ImpairmentParams params;
  std::vector<TimelineEvent> timeline;  // any order; the link sorts it
};

}  // namespace hitless::netem
