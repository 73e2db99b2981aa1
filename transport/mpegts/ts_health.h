// TsHealth: the MPEG-TS figures a broadcast engineer checks first at an
// output (ETSI TR 101 290 priority 1, and the PCR of priority 2), counted
// over the datagrams a program writes, in the order it writes them.
//
// A datagram is MPEG-TS when it is whole 188-byte packets each starting with
// the sync byte 0x47; the stream is taken as TS once a datagram is, and from
// then on a datagram that is not counts as a sync error. Per PID it keeps the
// continuity counter (CC: +1 per packet with payload, mod 16; one repeated
// packet allowed; the discontinuity indicator resets it), whether it carries
// PCR and the largest PCR interval in stream time, and the PAT/PMT
// repetition (the PMT PIDs come from the PAT). Nothing from the payload
// allocates: the per-PID table is fixed (8192 entries, made on the first TS
// datagram). I/O-free: `now` is only for the PAT/PMT intervals.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "transport/base/time.h"

namespace hitless::mpegts {

inline constexpr size_t kTsPacketSize = 188;
inline constexpr uint8_t kSyncByte = 0x47;
inline constexpr uint16_t kPidCount = 8192;
inline constexpr uint16_t kNullPid = 0x1FFF;

struct TsPidStats {
  uint16_t pid = 0;
  uint64_t packets = 0;
  uint64_t cc_errors = 0;
  bool pcr = false;                  // carried a PCR at least once
  double pcr_interval_max_ms = 0;    // largest gap between PCRs (stream time)
  uint64_t pcr_discontinuities = 0;  // PCR jumps back or > 1 s without the flag
};

struct TsHealthStats {
  bool is_ts = false;              // a datagram was whole TS packets
  uint64_t datagrams = 0;          // seen, TS or not
  uint64_t not_ts_datagrams = 0;   // before the stream was known to be TS
  uint64_t packets = 0;            // TS packets analysed
  uint64_t sync_errors = 0;        // TS datagrams with a bad sync byte or length (1.1/1.2)
  uint64_t cc_errors = 0;          // continuity errors, all PIDs (1.4)
  uint64_t transport_errors = 0;   // transport_error_indicator set (2.1)
  uint64_t packets_lost = 0;       // TS packets in datagrams dropped at the deadline
  uint64_t pat_count = 0;          // PAT sections seen (PID 0, table 0)
  uint64_t pmt_count = 0;          // PMT sections seen (a PID the PAT named)
  double pat_interval_max_ms = 0;  // largest gap between PATs (1.3: 500 ms)
  double pmt_interval_max_ms = 0;  // largest gap between PMTs of one program
  uint32_t pids = 0;               // PIDs seen (null PID excluded)
  uint32_t pcr_pids = 0;           // of which carried PCR
  double pcr_interval_max_ms = 0;  // largest, over PIDs (2.3: 40 ms)
};

class TsHealth {
 public:
  // Analyses one datagram as written to the output.
  void OnDatagram(std::span<const uint8_t> datagram, Time now);
  // `datagrams` in all were dropped at their deadline before the output (the
  // session's running total): packets_lost becomes the TS packets they held,
  // at this stream's TS packets per datagram. Their absence also shows as CC
  // errors on the packets after them.
  void SetDatagramsLost(uint64_t datagrams);

  const TsHealthStats& stats() const { return stats_; }
  // The PIDs seen, ascending, at most `limit` (largest packet counts kept).
  std::vector<TsPidStats> PidStats(size_t limit = 64) const;

 private:
  struct PidState {
    uint64_t packets = 0;
    uint64_t cc_errors = 0;
    uint64_t pcr_discontinuities = 0;
    int64_t last_pcr = -1;           // 27 MHz units; -1 = none yet
    int64_t pcr_interval_max = 0;    // 27 MHz units
    std::optional<Time> last_table;  // PAT/PMT arrival
    int8_t last_cc = -1;             // -1 = none yet
    bool repeated = false;           // the last packet repeated its predecessor
    bool pmt = false;                // the PAT names this PID as a PMT
  };

  void OnPacket(std::span<const uint8_t, kTsPacketSize> packet, Time now);
  void OnPat(std::span<const uint8_t> section);
  void OnTable(PidState& state, double& interval_max_ms, Time now);

  TsHealthStats stats_;
  std::unique_ptr<PidState[]> pids_;  // kPidCount, made with the first TS datagram
  uint64_t packets_per_datagram_ = 7;
};

}  // namespace hitless::mpegts
