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

// Verifies a test stream: counts unique, duplicate, reordered, stale,
// malformed and missing datagrams and keeps a one-way delay histogram
// (0.1 ms bins up to 2 s, then 10 ms bins up to 62 s; larger delays land in
// the last bin). Memory is fixed at construction: arrivals are remembered in
// a window of kWindow sequence numbers below the highest, so a hostile
// sequence number cannot make it allocate.
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
  // Arrived more than kWindow below the highest: too old to tell a late
  // datagram from a duplicate, so neither unique nor duplicate.
  uint64_t stale() const { return stale_; }
  // Sequences below the highest seen that never arrived. With `expected`
  // (the sender's count), also those after the highest.
  uint64_t missing(std::optional<uint64_t> expected = std::nullopt) const;
  std::optional<uint64_t> highest() const { return highest_; }
  Duration min_delay() const { return min_delay_; }
  Duration max_delay() const { return max_delay_; }
  double mean_delay_ms() const;
  double stddev_delay_ms() const;
  // Delay percentile (q in [0, 1]) from the histogram: its bin's upper edge
  // (0.1 ms bins below 2 s, 10 ms above), clamped to [min, max] delay.
  Duration delay_percentile(double q) const;

 private:
  static constexpr uint64_t kWindow = uint64_t{1} << 20;  // ~110 s at 100 Mbit/s
  static constexpr int64_t kFineBinNs = 100'000;          // 0.1 ms
  static constexpr size_t kFineBins = 20'000;             // up to 2 s
  static constexpr int64_t kCoarseBinNs = 10'000'000;     // 10 ms
  static constexpr size_t kCoarseBins = 6'000;            // 2 s .. 62 s
  static size_t BinOf(Duration delay);
  static Duration BinUpperEdge(size_t bin);
  std::vector<bool>::reference Seen(uint64_t seq) { return seen_[seq % kWindow]; }

  std::optional<uint32_t> stream_id_;
  std::vector<bool> seen_ = std::vector<bool>(kWindow, false);  // ring by seq
  std::vector<uint32_t> histogram_ = std::vector<uint32_t>(kFineBins + kCoarseBins, 0);
  uint64_t received_ = 0, unique_ = 0, duplicates_ = 0, reordered_ = 0, malformed_ = 0;
  uint64_t stale_ = 0;
  std::optional<uint64_t> highest_;
  Duration min_delay_ = Duration::Infinite();
  Duration max_delay_ = Duration::Zero();
  double delay_sum_ms_ = 0, delay_sq_ms_ = 0;
};

}  // namespace hitless::teststream
