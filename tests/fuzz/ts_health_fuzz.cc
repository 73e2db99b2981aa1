// libFuzzer target: TsHealth (hitless-recv's MPEG-TS analysis of its output)
// fed a script of fuzzed datagrams at fuzzed times, and fuzzed running
// totals of lost datagrams. Each step of the script is
//   op:u8  step:u16le  length:u16le  [length bytes]
// op & 0x0F == 0x0F: SetDatagramsLost(length), no bytes follow;
// otherwise a datagram of length % 2049 bytes (fewer if the input ends),
// `step` x 100 us after the last one (before it if op & 0x20), with a sync
// byte forced at every 188-byte boundary if op & 0x40 (so mutations reach
// the packet fields rather than stopping at the sync check).
// Checks: no crash, no read outside the datagram; the counters bound each
// other (errors never exceed packets, PIDs never exceed 8191, a PCR
// interval never exceeds the 1 s beyond which it is a jump); the per-PID
// table agrees with the totals; packets_lost follows the datagram size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tests/fuzz/fuzz_input.h"
#include "transport/mpegts/ts_health.h"

namespace {

using hitless::fuzzing::Check;
using hitless::fuzzing::Input;

using hitless::Duration;
using hitless::Time;
namespace mpegts = hitless::mpegts;

constexpr size_t kMaxDatagram = 2048;

// TsHealth's own test of a datagram, restated: whole 188-byte packets, each
// starting with the sync byte.
bool IsTs(std::span<const uint8_t> d) {
  if (d.empty() || d.size() % mpegts::kTsPacketSize != 0) return false;
  for (size_t i = 0; i < d.size(); i += mpegts::kTsPacketSize) {
    if (d[i] != mpegts::kSyncByte) return false;
  }
  return true;
}

void CheckTotals(const mpegts::TsHealthStats& s, uint64_t datagrams, uint64_t ts_packets) {
  Check(s.datagrams == datagrams);
  Check(s.packets == ts_packets);
  Check(s.is_ts == (s.packets > 0));
  Check(s.not_ts_datagrams <= s.datagrams);
  if (!s.is_ts) Check(s.not_ts_datagrams == s.datagrams && s.sync_errors == 0);
  // A non-TS datagram after the stream is TS, or one bad packet in it.
  Check(s.sync_errors <= s.datagrams + s.packets);
  Check(s.cc_errors <= s.packets);
  Check(s.transport_errors <= s.packets);
  Check(s.pat_count + s.pmt_count <= s.packets);
  Check(s.pids <= mpegts::kPidCount - 1);  // the null PID is never listed
  Check(s.pids <= s.packets);
  Check(s.pcr_pids <= s.pids);
  Check(s.pcr_interval_max_ms >= 0 && s.pcr_interval_max_ms <= 1000);
  Check(s.pat_interval_max_ms >= 0 && s.pmt_interval_max_ms >= 0);
}

void CheckPidTable(const mpegts::TsHealth& ts) {
  const mpegts::TsHealthStats& s = ts.stats();
  const std::vector<mpegts::TsPidStats> all = ts.PidStats(mpegts::kPidCount);
  Check(all.size() == s.pids);
  uint64_t packets = 0, cc_errors = 0, pcr_pids = 0;
  double pcr_interval_max_ms = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const mpegts::TsPidStats& p = all[i];
    Check(i == 0 || all[i - 1].pid < p.pid);
    Check(p.pid < mpegts::kNullPid);
    Check(p.packets > 0 && p.cc_errors <= p.packets);
    Check(p.pcr || (p.pcr_interval_max_ms == 0 && p.pcr_discontinuities == 0));
    Check(p.pcr_discontinuities <= p.packets);
    packets += p.packets;
    cc_errors += p.cc_errors;
    pcr_pids += p.pcr ? 1 : 0;
    pcr_interval_max_ms = std::max(pcr_interval_max_ms, p.pcr_interval_max_ms);
  }
  Check(packets <= s.packets);
  Check(cc_errors == s.cc_errors);
  Check(pcr_pids == s.pcr_pids);
  Check(pcr_interval_max_ms == s.pcr_interval_max_ms);

  // A limit keeps that many of the busiest PIDs, still in PID order.
  const size_t limit = s.pids / 2;
  const std::vector<mpegts::TsPidStats> top = ts.PidStats(limit);
  Check(top.size() == std::min<size_t>(limit, all.size()));
  uint64_t least_kept = UINT64_MAX;
  for (size_t i = 0; i < top.size(); ++i) {
    Check(i == 0 || top[i - 1].pid < top[i].pid);
    least_kept = std::min(least_kept, top[i].packets);
  }
  size_t busier = 0;  // PIDs with more packets than the least kept: all kept
  for (const mpegts::TsPidStats& p : all) busier += p.packets > least_kept ? 1 : 0;
  Check(busier <= top.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in({data, size});
  mpegts::TsHealth ts;
  Time now = Time::FromNanoseconds(int64_t{1'000} * 1'000'000'000);
  uint64_t datagrams = 0;
  uint64_t ts_packets = 0;
  uint64_t packets_per_datagram = 0;  // of the latest TS datagram
  while (!in.empty()) {
    const auto op = in.Take<uint8_t>();
    const auto step = Duration::Microseconds(int64_t{in.Take<uint16_t>()} * 100);
    const auto length = in.Take<uint16_t>();
    if ((op & 0x0F) == 0x0F) {
      ts.SetDatagramsLost(length);
      Check(ts.stats().packets_lost == length * packets_per_datagram);
      continue;
    }
    now = (op & 0x20) ? now - step : now + step;
    // A heap block of exactly the datagram's bytes: ASan sees any read
    // past its end.
    const auto bytes = in.TakeBytes(length % (kMaxDatagram + 1));
    std::vector<uint8_t> datagram(bytes.begin(), bytes.end());
    if (op & 0x40) {
      for (size_t i = 0; i < datagram.size(); i += mpegts::kTsPacketSize) {
        datagram[i] = mpegts::kSyncByte;
      }
    }
    ts.OnDatagram(datagram, now);
    ++datagrams;
    if (IsTs(datagram)) {
      packets_per_datagram = datagram.size() / mpegts::kTsPacketSize;
      ts_packets += packets_per_datagram;
    }
    CheckTotals(ts.stats(), datagrams, ts_packets);
  }
  CheckPidTable(ts);
  return 0;
}
