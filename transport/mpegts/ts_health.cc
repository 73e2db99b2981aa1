// Implements ts_health.h. Field layout: ISO/IEC 13818-1 section 2.4.3
// (transport packet, adaptation field) and 2.4.4 (PAT, PMT).
#include "transport/mpegts/ts_health.h"

#include <algorithm>

namespace hitless::mpegts {
namespace {

constexpr int64_t kPcrHz = 27'000'000;
constexpr int64_t kPcrModulus = (int64_t{1} << 33) * 300;  // base wraps at 2^33
constexpr int64_t kMaxPcrGap = kPcrHz;                     // > 1 s: a jump, not a gap

bool IsTsDatagram(std::span<const uint8_t> d) {
  if (d.empty() || d.size() % kTsPacketSize != 0) return false;
  for (size_t i = 0; i < d.size(); i += kTsPacketSize) {
    if (d[i] != kSyncByte) return false;
  }
  return true;
}

double Ms(int64_t pcr_ticks) { return static_cast<double>(pcr_ticks) / (kPcrHz / 1000); }

}  // namespace

void TsHealth::OnDatagram(std::span<const uint8_t> datagram, Time now) {
  ++stats_.datagrams;
  if (!IsTsDatagram(datagram)) {
    if (stats_.is_ts) {
      ++stats_.sync_errors;
    } else {
      ++stats_.not_ts_datagrams;
    }
    return;
  }
  if (!stats_.is_ts) {
    stats_.is_ts = true;
    pids_ = std::make_unique<PidState[]>(kPidCount);
  }
  packets_per_datagram_ = datagram.size() / kTsPacketSize;
  for (size_t i = 0; i < datagram.size(); i += kTsPacketSize) {
    OnPacket(datagram.subspan(i).first<kTsPacketSize>(), now);
  }
}

void TsHealth::SetDatagramsLost(uint64_t datagrams) {
  stats_.packets_lost = stats_.is_ts ? datagrams * packets_per_datagram_ : 0;
}

void TsHealth::OnPacket(std::span<const uint8_t, kTsPacketSize> p, Time now) {
  ++stats_.packets;
  if (p[1] & 0x80) ++stats_.transport_errors;
  const bool unit_start = p[1] & 0x40;
  const uint16_t pid = static_cast<uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
  if (pid == kNullPid) return;
  const uint8_t control = (p[3] >> 4) & 0x3;  // adaptation_field_control
  const auto cc = static_cast<int8_t>(p[3] & 0x0F);
  const bool has_payload = control & 0x1;
  const bool has_adaptation = control & 0x2;

  PidState& st = pids_[pid];
  if (st.packets++ == 0) ++stats_.pids;

  size_t payload_at = 4;
  bool discontinuity = false;
  if (has_adaptation) {
    const size_t length = p[4];
    if (length > kTsPacketSize - 5) {  // longer than the packet: not a TS packet
      ++stats_.sync_errors;
      return;
    }
    payload_at = 5 + length;
    if (length >= 1) {
      const uint8_t flags = p[5];
      discontinuity = flags & 0x80;
      if ((flags & 0x10) && length >= 7) {  // PCR: 33-bit base, 6 reserved, 9-bit extension
        const int64_t base = (int64_t{p[6]} << 25) | (int64_t{p[7]} << 17) | (int64_t{p[8]} << 9) |
                             (int64_t{p[9]} << 1) | (p[10] >> 7);
        const int64_t pcr = base * 300 + (((p[10] & 0x1) << 8) | p[11]);
        if (st.last_pcr < 0) ++stats_.pcr_pids;
        if (st.last_pcr >= 0 && !discontinuity) {
          int64_t gap = pcr - st.last_pcr;
          if (gap < 0 && st.last_pcr > kPcrModulus - kMaxPcrGap) gap += kPcrModulus;
          if (gap < 0 || gap > kMaxPcrGap) {
            ++st.pcr_discontinuities;
          } else if (gap > st.pcr_interval_max) {
            st.pcr_interval_max = gap;
            stats_.pcr_interval_max_ms = std::max(stats_.pcr_interval_max_ms, Ms(gap));
          }
        }
        st.last_pcr = pcr;
      }
    }
  }

  // Continuity: +1 per packet with payload; unchanged without; one repeat
  // of a packet is legal (13818-1 2.4.3.3), every further copy an error;
  // the discontinuity flag resets (repeat allowance included).
  if (st.last_cc >= 0 && !discontinuity) {
    const int8_t expected = has_payload ? static_cast<int8_t>((st.last_cc + 1) & 0x0F) : st.last_cc;
    if (cc == expected) {
      st.repeated = false;
    } else if (has_payload && cc == st.last_cc && !st.repeated) {
      st.repeated = true;
    } else {
      ++st.cc_errors;
      ++stats_.cc_errors;
      st.repeated = has_payload && cc == st.last_cc;
    }
  } else {
    st.repeated = false;
  }
  st.last_cc = cc;

  if (!has_payload || !unit_start || payload_at >= kTsPacketSize) return;
  const auto payload = std::span<const uint8_t>(p).subspan(payload_at);
  const size_t pointer = payload[0];
  if (1 + pointer >= payload.size()) return;
  const auto section = payload.subspan(1 + pointer);
  if (pid == 0 && section[0] == 0x00) {
    ++stats_.pat_count;
    OnTable(st, stats_.pat_interval_max_ms, now);
    OnPat(section);
  } else if (st.pmt && section[0] == 0x02) {
    ++stats_.pmt_count;
    OnTable(st, stats_.pmt_interval_max_ms, now);
  }
}

void TsHealth::OnTable(PidState& state, double& interval_max_ms, Time now) {
  if (state.last_table) {
    interval_max_ms = std::max(interval_max_ms, (now - *state.last_table).ToMillisecondsF());
  }
  state.last_table = now;
}

void TsHealth::OnPat(std::span<const uint8_t> section) {
  // table_id(8) flags+section_length(16) tsid(16) version(8) section(8)
  // last_section(8), then 4-byte program entries, then CRC32. Only what fits
  // in this packet is read (a PAT is nearly always one packet).
  if (section.size() < 8) return;
  const size_t length = ((section[1] & 0x0F) << 8) | section[2];
  const size_t end = std::min(section.size(), 3 + length);
  if (end < 12) return;  // header + CRC
  for (size_t i = 8; i + 4 <= end - 4; i += 4) {
    const uint16_t program = static_cast<uint16_t>((section[i] << 8) | section[i + 1]);
    const uint16_t pmt_pid = static_cast<uint16_t>(((section[i + 2] & 0x1F) << 8) | section[i + 3]);
    if (program != 0 && pmt_pid != 0 && pmt_pid != kNullPid) pids_[pmt_pid].pmt = true;
  }
}

std::vector<TsPidStats> TsHealth::PidStats(size_t limit) const {
  std::vector<TsPidStats> out;
  if (!pids_) return out;
  for (uint16_t pid = 0; pid < kPidCount; ++pid) {
    const PidState& st = pids_[pid];
    if (st.packets == 0) continue;
    out.push_back({.pid = pid,
                   .packets = st.packets,
                   .cc_errors = st.cc_errors,
                   .pcr = st.last_pcr >= 0,
                   .pcr_interval_max_ms = Ms(st.pcr_interval_max),
                   .pcr_discontinuities = st.pcr_discontinuities});
  }
  if (out.size() > limit) {
    std::partial_sort(
        out.begin(), out.begin() + static_cast<ptrdiff_t>(limit), out.end(),
        [](const TsPidStats& a, const TsPidStats& b) { return a.packets > b.packets; });
    out.resize(limit);
    std::sort(out.begin(), out.end(),
              [](const TsPidStats& a, const TsPidStats& b) { return a.pid < b.pid; });
  }
  return out;
}

}  // namespace hitless::mpegts
