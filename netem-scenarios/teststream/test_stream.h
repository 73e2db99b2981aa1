// The test stream: TS-shaped datagrams that carry their own sequence number
// and send time, and the I/O-free checker that verifies them on arrival.
//
// Layout of a test datagram (big-endian), padded to the datagram size with
// 0x47 (the MPEG-TS sync byte, so captures look TS-like):
//   off 0  u32 magic 'HLTS'
//   off 4  u32 stream id (a run's random id: stray datagrams are malformed)
//   off 8  u64 sequence number (from 0)
//   off 16 u64 send time, ns on the sender's monotonic clock
// Used by the simulator's nodes and by hitless-probe over real UDP (both ends
// on one host, so send time and arrival time share a clock).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "transport/base/time.h"

namespace hitless::teststream {

inline constexpr size_t kHeaderSize = 24;
inline constexpr uint32_t kMagic = 0x484C5453;  // "HLTS"

// Writes datagram `seq` into `out` (out.size() >= kHeaderSize is the contract;
// returns false otherwise).
bool WriteDatagram(std::span<uint8_t> out, uint32_t stream_id, uint64_t seq, Time sent);

struct ParsedDatagram {
  uint32_t stream_id;
  uint64_t seq;
  Time sent;
};
std::optional<ParsedDatagram> ParseDatagram(std::span<const uint8_t> datagram);

// Verifies a test stream: counts unique, duplicate, reordered, malformed and
// missing datagrams and keeps a one-way delay histogram (0.1 ms bins up to
// 10 s; larger delays land in the last bin).
class Checker {
 public:
  // `stream_id` of nullopt adopts the first valid datagram's id.
  explicit Checker(std::optional<uint32_t> stream_id = std::nullopt) : stream_id_(stream_id) {}

  void OnDatagram(std::span<const uint8_t> datagram, Time now);

  uint64_t received() const { return received_; }  // everything, duplicates included
  uint64_t unique() const { return unique_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }  // arrived after a higher sequence
  uint64_t malformed() const { return malformed_; }  // not a test datagram of this stream
  // Sequences below the highest seen that never arrived. With `expected`
  // (the sender's count), also those after the highest.
  uint64_t missing(std::optional<uint64_t> expected = std::nullopt) const;
  std::optional<uint64_t> highest() const { return highest_; }
  Duration min_delay() const { return min_delay_; }
  Duration max_delay() const { return max_delay_; }
  double mean_delay_ms() const;
  double stddev_delay_ms() const;
  // Delay percentile (q in [0, 1]) from the histogram, bin upper edge.
  Duration delay_percentile(double q) const;

 private:
  static constexpr int64_t kBinNs = 100'000;
  static constexpr size_t kBins = 100'000;

  std::optional<uint32_t> stream_id_;
  std::vector<bool> seen_;
  std::vector<uint32_t> histogram_ = std::vector<uint32_t>(kBins, 0);
  uint64_t received_ = 0, unique_ = 0, duplicates_ = 0, reordered_ = 0, malformed_ = 0;
  std::optional<uint64_t> highest_;
  Duration min_delay_ = Duration::Infinite();
  Duration max_delay_ = Duration::Zero();
  double delay_sum_ms_ = 0, delay_sq_ms_ = 0;
};

}  // namespace hitless::teststream
