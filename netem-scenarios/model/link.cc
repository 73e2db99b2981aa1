// Link implementation: netem's pipeline on an I/O-free object.
//
// State lives in Link's members (see link.h). Per packet the work is O(log n)
// in the number of packets in flight (one heap push, one heap pop) and O(1)
// amortised for the bottleneck FIFO and the reorder bookkeeping; the only
// allocation is amortised container growth and the duplicate's copy.
//
// Randomness: one xoshiro stream per link, drawn in a fixed order, so a seed
// and a sequence of Enqueue/DequeueDue calls always give the same trace.
#include "netem-scenarios/model/link.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace hitless::netem {
namespace {

// Standard normal CDF.
double Phi(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// Pareto with shape 3 and scale 1 has mean 1.5 and variance 0.75; netem's
// "pareto" table uses the same shape. Standardised to mean 0, sigma 1.
constexpr double kParetoShape = 3.0;
constexpr double kParetoMean = 1.5;
const double kParetoSigma = std::sqrt(0.75);
// netem's paretonormal is 1/4 pareto + 3/4 normal (independent parts); the
// sum has variance 1/16 + 9/16 = 10/16, rescaled here to sigma 1.
const double kParetoNormalScale = 1.0 / std::sqrt(0.625);

double StandardPareto(double u) {
  // Keeps the inverse CDF finite; caps a sample at ~1e4 sigma.
  u = std::min(u, 1.0 - 1e-12);
  const double x = std::pow(1.0 - u, -1.0 / kParetoShape);
  return (x - kParetoMean) / kParetoSigma;
}

Duration TransmitTime(uint64_t bytes, uint64_t bits_per_second) {
  // Datagrams are < 2^31 bytes, so bytes * 8e9 fits in 64 bits.
  const uint64_t ns = bytes * 8'000'000'000ULL / bits_per_second;
  return Duration::Nanoseconds(static_cast<int64_t>(ns));
}

}  // namespace

const char* ImpairmentDropName(ImpairmentDrop d) {
  switch (d) {
    case ImpairmentDrop::kLoss:
      return "loss";
    case ImpairmentDrop::kOutage:
      return "outage";
    case ImpairmentDrop::kQueueFull:
      return "queue_full";
    case ImpairmentDrop::kCount:
      break;
  }
  return "unknown";
}

uint64_t LinkStats::DroppedTotal() const {
  uint64_t total = 0;
  for (uint64_t d : dropped) total += d;
  return total;
}

Link::Link(DirectionConfig config, uint64_t seed, Time start)
    : params_(std::move(config.params)), start_(start), rng_(seed) {
  for (TimelineEvent& e : config.timeline) {
    if (e.kind == TimelineEvent::Kind::kOutage) {
      if (e.duration > Duration::Zero()) {
        outages_.push_back({start + e.at, start + e.at + e.duration});
      }
    } else {
      changes_.push_back(std::move(e));
    }
  }
  std::sort(outages_.begin(), outages_.end(),
            [](const Outage& a, const Outage& b) { return a.begin < b.begin; });
  std::stable_sort(changes_.begin(), changes_.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; });
  busy_until_ = start;
  last_delivery_ = start;
  ApplyTimeline(start);
}

void Link::ApplyTimeline(Time now) {
  while (next_change_ < changes_.size() && start_ + changes_[next_change_].at <= now) {
    params_ = changes_[next_change_].params;
    ++next_change_;
  }
}

bool Link::in_outage(Time now) const {
  for (const Outage& o : outages_) {
    if (o.begin > now) break;
    if (now < o.end) return true;
  }
  return false;
}

bool Link::Chance(const ChanceParams& chance, bool& last) {
  if (chance.probability <= 0.0) {
    last = false;
    return false;
  }
  if (chance.correlation > 0.0 && rng_.Uniform() < chance.correlation) return last;
  last = rng_.Uniform() < chance.probability;
  return last;
}

bool Link::DecideLoss() {
  const LossParams& loss = params_.loss;
  switch (loss.model) {
    case LossParams::Model::kNone:
      return false;
    case LossParams::Model::kRandom:
      return Chance({loss.probability, loss.correlation}, last_loss_);
    case LossParams::Model::kGilbertElliott: {
      // As netem's loss_gilb_ell: the packet's fate follows the state it
      // arrives in; the transition then sets the state for the next one.
      bool lost;
      if (!ge_bad_) {
        lost = rng_.Uniform() < loss.one_minus_k;
        if (rng_.Uniform() < loss.p) ge_bad_ = true;
      } else {
        lost = rng_.Uniform() < loss.one_minus_h;
        if (rng_.Uniform() < loss.r) ge_bad_ = false;
      }
      return lost;
    }
  }
  return false;
}

void Link::Enqueue(Packet packet, Time now) {
  ++stats_.enqueued;
  ApplyTimeline(now);
  if (in_outage(now)) {
    ++stats_.dropped[static_cast<int>(ImpairmentDrop::kOutage)];
    return;
  }
  if (DecideLoss()) {
    ++stats_.dropped[static_cast<int>(ImpairmentDrop::kLoss)];
    return;
  }
  if (Chance(params_.duplicate, last_duplicate_)) {
    ++stats_.duplicated;
    Packet copy = packet;
    Schedule(std::move(packet), now);
    Schedule(std::move(copy), now);
    return;
  }
  Schedule(std::move(packet), now);
}

double Link::Latent(double& state) {
  const double rho = params_.delay.correlation;
  if (rho <= 0.0) return rng_.Normal();
  // AR(1) on a standard normal keeps the marginal N(0, 1) for any rho, so the
  // distribution's mean and sigma do not shrink with correlation (netem's
  // weighted average of uniforms does narrow them).
  state = rho * state + std::sqrt(1.0 - rho * rho) * rng_.Normal();
  return state;
}

double Link::JitterSample() {
  const bool correlated = params_.delay.correlation > 0.0;
  switch (params_.delay.distribution) {
    case DelayDistribution::kUniform: {
      // Uniform in [-1, 1): delay +- jitter, sigma = jitter / sqrt(3).
      const double u = correlated ? Phi(Latent(jitter_latent_)) : rng_.Uniform();
      return 2.0 * u - 1.0;
    }
    case DelayDistribution::kNormal:
      return Latent(jitter_latent_);
    case DelayDistribution::kPareto: {
      const double u = correlated ? Phi(Latent(jitter_latent_)) : rng_.Uniform();
      return StandardPareto(u);
    }
    case DelayDistribution::kParetoNormal: {
      const double u = correlated ? Phi(Latent(jitter_latent_)) : rng_.Uniform();
      const double n = Latent(jitter_latent2_);
      return (0.25 * StandardPareto(u) + 0.75 * n) * kParetoNormalScale;
    }
  }
  return 0.0;
}

void Link::Schedule(Packet packet, Time now) {
  if (Chance(params_.corrupt, last_corrupt_) && !packet.data.empty()) {
    const uint64_t bit = rng_.UniformInt(packet.data.size() * 8);
    packet.data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ++stats_.corrupted;
  }

  // Rate bottleneck: a FIFO whose head leaves at busy_until_.
  Time departure = now;
  const RateParams& rate = params_.rate;
  if (rate.bits_per_second > 0) {
    while (!queue_.empty() && queue_.front().departure <= now) {
      queue_bytes_ -= queue_.front().bytes;
      queue_.pop_front();
    }
    const uint64_t size = packet.data.size();
    if ((rate.limit_packets > 0 && queue_.size() >= rate.limit_packets) ||
        (rate.limit_bytes > 0 && queue_bytes_ + size > rate.limit_bytes)) {
      ++stats_.dropped[static_cast<int>(ImpairmentDrop::kQueueFull)];
      return;
    }
    const int64_t wire = static_cast<int64_t>(size) + rate.packet_overhead;
    departure =
        std::max(now, busy_until_) + TransmitTime(wire > 0 ? wire : 0, rate.bits_per_second);
    busy_until_ = departure;
    queue_.push_back({departure, size});
    queue_bytes_ += size;
  }

  // Reorder as netem: after `gap - 1` packets delayed normally, a packet is
  // sent immediately with the reorder probability.
  bool skip_delay = false;
  const ReorderParams& reorder = params_.reorder;
  if (reorder.probability > 0.0) {
    const uint32_t gap = std::max<uint32_t>(reorder.gap, 1);
    if (reorder_counter_ + 1 >= gap &&
        Chance({reorder.probability, reorder.correlation}, last_reorder_)) {
      skip_delay = true;
      reorder_counter_ = 0;
    } else {
      ++reorder_counter_;
    }
  }

  Time delivery = departure;
  if (!skip_delay) {
    const DelayParams& delay = params_.delay;
    int64_t ns = delay.delay.ToNanoseconds();
    if (delay.jitter > Duration::Zero()) {
      ns += std::llround(JitterSample() * static_cast<double>(delay.jitter.ToNanoseconds()));
    }
    delivery = departure + Duration::Nanoseconds(std::max<int64_t>(ns, 0));
    if (!delay.reorder_on_jitter) delivery = std::max(delivery, last_delivery_);
  }
  last_delivery_ = std::max(last_delivery_, delivery);

  heap_.push_back({delivery, next_order_++, std::move(packet)});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  in_flight_flags_.push_back(1);
  ++stats_.in_flight;
}

std::optional<Packet> Link::DequeueDue(Time now) {
  if (heap_.empty() || heap_.front().delivery > now) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), Later());
  InFlight item = std::move(heap_.back());
  heap_.pop_back();

  if (item.order != first_order_) ++stats_.reordered;
  in_flight_flags_[item.order - first_order_] = 0;
  while (!in_flight_flags_.empty() && in_flight_flags_.front() == 0) {
    in_flight_flags_.pop_front();
    ++first_order_;
  }

  --stats_.in_flight;
  ++stats_.delivered;
  stats_.bytes_delivered += item.packet.data.size();
  return std::move(item.packet);
}

std::optional<Time> Link::NextDelivery() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().delivery;
}

}  // namespace hitless::netem
