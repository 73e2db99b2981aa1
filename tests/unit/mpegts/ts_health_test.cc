// TsHealth over hand-built TS packets: a clean stream, each continuity rule
// (loss, one legal repeat, adaptation-only packets, the discontinuity flag,
// the null PID), PCR intervals and jumps, PAT/PMT repetition, non-TS and
// hostile datagrams, lost datagrams and the per-PID table's limit.
#include "transport/mpegts/ts_health.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <vector>

namespace hitless::mpegts {
namespace {

constexpr uint16_t kPmtPid = 0x1000;
constexpr uint16_t kVideoPid = 0x100;
constexpr uint16_t kAudioPid = 0x101;
constexpr int64_t kPcrPerMs = 27'000;  // 27 MHz
constexpr Time kT0 = Time::FromNanoseconds(int64_t{1'000} * 1'000'000'000);

Time At(int64_t ms) { return kT0 + Duration::Milliseconds(ms); }

using Bytes = std::vector<uint8_t>;
using TsPacket = std::array<uint8_t, kTsPacketSize>;

// The fields of one transport packet (ISO/IEC 13818-1 2.4.3.2) a test sets.
// An adaptation field is written when asked for, or for a PCR or the
// discontinuity flag; without payload it fills the packet.
struct PacketFields {
  uint16_t pid = kVideoPid;
  uint8_t cc = 0;
  bool payload = true;
  bool unit_start = false;
  bool adaptation = false;
  bool discontinuity = false;
  std::optional<int64_t> pcr = std::nullopt;  // 27 MHz units
  Bytes data = {};                            // payload bytes; the rest is 0xFF stuffing
};

TsPacket MakePacket(const PacketFields& f) {
  TsPacket p;
  p.fill(0xFF);
  p[0] = kSyncByte;
  p[1] = static_cast<uint8_t>((f.unit_start ? 0x40 : 0) | (f.pid >> 8));
  p[2] = static_cast<uint8_t>(f.pid & 0xFF);
  const bool adaptation = f.adaptation || f.discontinuity || f.pcr || !f.payload;
  p[3] = static_cast<uint8_t>((adaptation ? 0x20 : 0) | (f.payload ? 0x10 : 0) | (f.cc & 0x0F));
  size_t at = 4;
  if (adaptation) {
    const size_t length = f.payload ? 1 + (f.pcr ? 6 : 0) : kTsPacketSize - 5;
    p[4] = static_cast<uint8_t>(length);
    p[5] = static_cast<uint8_t>((f.discontinuity ? 0x80 : 0) | (f.pcr ? 0x10 : 0));
    if (f.pcr) {
      const int64_t base = *f.pcr / 300;
      const int64_t ext = *f.pcr % 300;
      p[6] = static_cast<uint8_t>(base >> 25);
      p[7] = static_cast<uint8_t>(base >> 17);
      p[8] = static_cast<uint8_t>(base >> 9);
      p[9] = static_cast<uint8_t>(base >> 1);
      p[10] = static_cast<uint8_t>(((base & 1) << 7) | 0x7E | (ext >> 8));
      p[11] = static_cast<uint8_t>(ext & 0xFF);
    }
    at = 5 + length;
  }
  for (size_t i = 0; f.payload && i < f.data.size() && at + i < kTsPacketSize; ++i) {
    p[at + i] = f.data[i];
  }
  return p;
}

// A PSI section's payload: pointer_field 0, then the section. The CRC is
// four zero bytes (TsHealth does not check it).
Bytes Section(uint8_t table_id, const Bytes& body, std::optional<size_t> section_length = {}) {
  const size_t length = section_length.value_or(body.size() + 4);
  // Sized up front: GCC 12 warns (-Warray-bounds, falsely) on inserts
  // into a vector made from a short initializer list.
  Bytes out(4 + body.size() + 4, 0x00);
  out[1] = table_id;
  out[2] = static_cast<uint8_t>(0xB0 | ((length >> 8) & 0x0F));
  out[3] = static_cast<uint8_t>(length & 0xFF);
  std::copy(body.begin(), body.end(), out.begin() + 4);
  return out;
}

// PAT naming `pmt_pid` as program 1's PMT (and the NIT on PID 0x10 as
// program 0, which is no PMT).
Bytes PatPayload(uint16_t pmt_pid, std::optional<size_t> section_length = {}) {
  const auto hi = static_cast<uint8_t>(0xE0 | (pmt_pid >> 8));
  const auto lo = static_cast<uint8_t>(pmt_pid & 0xFF);
  // tsid 1, version 0, section 0 of 0; program 0 (network PID 0x10); program 1.
  const Bytes body = {0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x10, 0x00, 0x01, hi, lo};
  return Section(0x00, body, section_length);
}

// PMT of program 1: PCR on the video PID, one H.264 stream.
Bytes PmtPayload() {
  const Bytes body = {0x00, 0x01, 0xC1, 0x00, 0x00,  // program, version, section, last
                      0xE1, 0x00, 0xF0, 0x00,        // PCR_PID 0x100, program_info_length 0
                      0x1B, 0xE1, 0x00, 0xF0, 0x00};
  return Section(0x02, body);
}

Bytes Datagram(std::initializer_list<TsPacket> packets) {
  Bytes out;
  for (const TsPacket& p : packets) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Writes a well-formed stream: each PID's CC counts on by itself.
class Mux {
 public:
  TsPacket Next(PacketFields f) {
    uint8_t& cc = cc_[f.pid];
    f.cc = cc;
    if (f.payload) cc = (cc + 1) & 0x0F;
    return MakePacket(f);
  }
  TsPacket Pat() { return Next({.pid = 0, .unit_start = true, .data = PatPayload(kPmtPid)}); }
  TsPacket Pmt() { return Next({.pid = kPmtPid, .unit_start = true, .data = PmtPayload()}); }
  TsPacket Video() { return Next({.pid = kVideoPid}); }

 private:
  std::map<uint16_t, uint8_t> cc_;
};

// Feeds one packet per datagram, with CCs as given, on `pid`.
void FeedCcs(TsHealth& ts, std::initializer_list<int> ccs, uint16_t pid = kVideoPid) {
  for (int cc : ccs) {
    ts.OnDatagram(Datagram({MakePacket({.pid = pid, .cc = static_cast<uint8_t>(cc)})}), At(0));
  }
}

TEST(TsHealth, NothingBeforeTheFirstDatagram) {
  TsHealth ts;
  EXPECT_FALSE(ts.stats().is_ts);
  EXPECT_EQ(ts.stats().datagrams, 0u);
  EXPECT_TRUE(ts.PidStats().empty());
  ts.SetDatagramsLost(5);
  EXPECT_EQ(ts.stats().packets_lost, 0u);
}

TEST(TsHealth, CleanStreamHasNoErrors) {
  TsHealth ts;
  Mux mux;
  for (int i = 0; i < 10; ++i) {  // 40 video packets: the CC wraps twice
    ts.OnDatagram(Datagram({mux.Pat(), mux.Pmt(), mux.Video(), mux.Video(), mux.Video(),
                            mux.Video(), mux.Next({.pid = kAudioPid})}),
                  At(i * 100));
  }
  const TsHealthStats& s = ts.stats();
  EXPECT_TRUE(s.is_ts);
  EXPECT_EQ(s.datagrams, 10u);
  EXPECT_EQ(s.not_ts_datagrams, 0u);
  EXPECT_EQ(s.packets, 70u);
  EXPECT_EQ(s.sync_errors, 0u);
  EXPECT_EQ(s.cc_errors, 0u);
  EXPECT_EQ(s.transport_errors, 0u);
  EXPECT_EQ(s.pids, 4u);
  EXPECT_EQ(s.pcr_pids, 0u);
  EXPECT_EQ(s.pat_count, 10u);
  EXPECT_EQ(s.pmt_count, 10u);

  const std::vector<TsPidStats> pids = ts.PidStats();
  ASSERT_EQ(pids.size(), 4u);
  EXPECT_EQ(pids[0].pid, 0);
  EXPECT_EQ(pids[0].packets, 10u);
  EXPECT_EQ(pids[1].pid, kVideoPid);
  EXPECT_EQ(pids[1].packets, 40u);
  EXPECT_EQ(pids[2].pid, kAudioPid);
  EXPECT_EQ(pids[2].packets, 10u);
  EXPECT_EQ(pids[3].pid, kPmtPid);
  EXPECT_EQ(pids[3].packets, 10u);
  for (const TsPidStats& p : pids) {
    EXPECT_EQ(p.cc_errors, 0u) << p.pid;
    EXPECT_FALSE(p.pcr) << p.pid;
  }
}

TEST(TsHealth, OneMissingPacketIsOneCcErrorOnItsPid) {
  TsHealth ts;
  FeedCcs(ts, {14, 15, 0, 1, 2, 4, 5, 6});  // 3 is missing
  FeedCcs(ts, {7, 8, 9}, kAudioPid);
  EXPECT_EQ(ts.stats().cc_errors, 1u);
  const std::vector<TsPidStats> pids = ts.PidStats();
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_EQ(pids[0].pid, kVideoPid);
  EXPECT_EQ(pids[0].cc_errors, 1u);
  EXPECT_EQ(pids[1].pid, kAudioPid);
  EXPECT_EQ(pids[1].cc_errors, 0u);
}

TEST(TsHealth, OneRepeatedPacketIsLegalASecondIsNot) {
  TsHealth once;
  FeedCcs(once, {0, 1, 1, 2, 3, 3, 4});
  EXPECT_EQ(once.stats().cc_errors, 0u);

  TsHealth twice;
  FeedCcs(twice, {0, 1, 1, 1, 2});
  EXPECT_EQ(twice.stats().cc_errors, 1u);

  // Every copy beyond the one legal repeat is an error, not every other one.
  TsHealth stuck;
  FeedCcs(stuck, {5, 5, 5, 5, 5, 6});
  EXPECT_EQ(stuck.stats().cc_errors, 3u);
}

TEST(TsHealth, AdaptationOnlyPacketKeepsTheCc) {
  TsHealth ts;
  FeedCcs(ts, {0, 1});
  ts.OnDatagram(Datagram({MakePacket({.cc = 1, .payload = false})}), At(0));
  FeedCcs(ts, {2});
  EXPECT_EQ(ts.stats().cc_errors, 0u);
  // An adaptation-only packet that counts on is an error; the next packet
  // follows it.
  ts.OnDatagram(Datagram({MakePacket({.cc = 3, .payload = false})}), At(0));
  EXPECT_EQ(ts.stats().cc_errors, 1u);
  FeedCcs(ts, {4});
  EXPECT_EQ(ts.stats().cc_errors, 1u);
}

TEST(TsHealth, DiscontinuityIndicatorResetsTheCc) {
  TsHealth flagged;
  FeedCcs(flagged, {0, 1, 2});
  flagged.OnDatagram(Datagram({MakePacket({.cc = 9, .discontinuity = true})}), At(0));
  FeedCcs(flagged, {10, 11});
  EXPECT_EQ(flagged.stats().cc_errors, 0u);

  TsHealth unflagged;
  FeedCcs(unflagged, {0, 1, 2, 9, 10, 11});
  EXPECT_EQ(unflagged.stats().cc_errors, 1u);

  // A legal repeat just before the discontinuity does not use up the
  // repeat allowed after it.
  TsHealth repeats;
  FeedCcs(repeats, {0, 1, 1});
  repeats.OnDatagram(Datagram({MakePacket({.cc = 9, .discontinuity = true})}), At(0));
  FeedCcs(repeats, {9, 10});
  EXPECT_EQ(repeats.stats().cc_errors, 0u);
}

TEST(TsHealth, NullPidIsNotAnalysed) {
  TsHealth ts;
  FeedCcs(ts, {0, 7, 3, 3, 3, 12}, kNullPid);
  FeedCcs(ts, {0, 1});
  EXPECT_EQ(ts.stats().packets, 8u);    // counted as TS packets ...
  EXPECT_EQ(ts.stats().cc_errors, 0u);  // ... but neither checked ...
  EXPECT_EQ(ts.stats().pids, 1u);       // ... nor listed
  const std::vector<TsPidStats> pids = ts.PidStats();
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(pids[0].pid, kVideoPid);
}

TEST(TsHealth, TransportErrorIndicatorIsCounted) {
  TsHealth ts;
  TsPacket p = MakePacket({});
  p[1] |= 0x80;
  ts.OnDatagram(Datagram({p, MakePacket({.cc = 1})}), At(0));
  EXPECT_EQ(ts.stats().transport_errors, 1u);
}

TEST(TsHealth, PcrIntervalIsTheLargestGapInStreamTime) {
  TsHealth ts;
  Mux mux;
  // 40 ms apart, then one 100 ms gap, then 40 ms again. Arrival time does
  // not matter: every datagram arrives at the same `now`.
  for (int64_t ms : {0, 40, 80, 120, 220, 260}) {
    ts.OnDatagram(Datagram({mux.Next({.pcr = ms * kPcrPerMs}), mux.Video()}), At(0));
  }
  const TsHealthStats& s = ts.stats();
  EXPECT_EQ(s.cc_errors, 0u);
  EXPECT_EQ(s.pcr_pids, 1u);
  EXPECT_DOUBLE_EQ(s.pcr_interval_max_ms, 100.0);
  const std::vector<TsPidStats> pids = ts.PidStats();
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_TRUE(pids[0].pcr);
  EXPECT_DOUBLE_EQ(pids[0].pcr_interval_max_ms, 100.0);
  EXPECT_EQ(pids[0].pcr_discontinuities, 0u);
}

TEST(TsHealth, PcrJumpsAreDiscontinuitiesNotIntervals) {
  TsHealth ts;
  Mux mux;
  auto pcr_at = [&](int64_t ms, bool discontinuity = false) {
    ts.OnDatagram(Datagram({mux.Next({.discontinuity = discontinuity, .pcr = ms * kPcrPerMs})}),
                  At(0));
  };
  pcr_at(1000);
  pcr_at(1040);
  pcr_at(1020);  // backwards
  EXPECT_EQ(ts.PidStats()[0].pcr_discontinuities, 1u);
  pcr_at(5000);  // forwards by more than a second
  EXPECT_EQ(ts.PidStats()[0].pcr_discontinuities, 2u);
  pcr_at(100, /*discontinuity=*/true);  // announced: neither a jump nor an interval
  pcr_at(130);
  EXPECT_EQ(ts.PidStats()[0].pcr_discontinuities, 2u);
  EXPECT_DOUBLE_EQ(ts.stats().pcr_interval_max_ms, 40.0);
  EXPECT_EQ(ts.stats().cc_errors, 0u);
}

TEST(TsHealth, PcrWrapIsAnInterval) {
  TsHealth ts;
  Mux mux;
  const int64_t modulus = (int64_t{1} << 33) * 300;
  ts.OnDatagram(Datagram({mux.Next({.pcr = modulus - 10 * kPcrPerMs})}), At(0));
  ts.OnDatagram(Datagram({mux.Next({.pcr = 20 * kPcrPerMs})}), At(0));
  EXPECT_EQ(ts.PidStats()[0].pcr_discontinuities, 0u);
  EXPECT_DOUBLE_EQ(ts.stats().pcr_interval_max_ms, 30.0);
}

TEST(TsHealth, PatAndPmtIntervalsAreMeasuredFromNow) {
  TsHealth ts;
  Mux mux;
  // A PMT before any PAT named its PID is not yet a PMT.
  ts.OnDatagram(Datagram({mux.Pmt()}), At(0));
  EXPECT_EQ(ts.stats().pmt_count, 0u);
  for (int64_t ms : {0, 100, 350, 400}) ts.OnDatagram(Datagram({mux.Pat()}), At(ms));
  for (int64_t ms : {500, 520, 700}) ts.OnDatagram(Datagram({mux.Pmt()}), At(ms));
  // Table 2 on a PID the PAT did not name is no PMT either.
  ts.OnDatagram(Datagram({mux.Next({.unit_start = true, .data = PmtPayload()})}), At(2000));
  const TsHealthStats& s = ts.stats();
  EXPECT_EQ(s.pat_count, 4u);
  EXPECT_EQ(s.pmt_count, 3u);
  EXPECT_DOUBLE_EQ(s.pat_interval_max_ms, 250.0);
  EXPECT_DOUBLE_EQ(s.pmt_interval_max_ms, 180.0);
  EXPECT_EQ(s.cc_errors, 0u);
}

TEST(TsHealth, NonTsDatagramsBeforeAndAfterTheStreamIsTs) {
  TsHealth ts;
  ts.OnDatagram(Bytes(1316, 0x00), At(0));
  ts.OnDatagram(Bytes(100, 0x47), At(0));
  EXPECT_FALSE(ts.stats().is_ts);
  EXPECT_EQ(ts.stats().not_ts_datagrams, 2u);
  EXPECT_EQ(ts.stats().packets, 0u);
  EXPECT_TRUE(ts.PidStats().empty());

  Mux mux;
  ts.OnDatagram(Datagram({mux.Video()}), At(0));
  EXPECT_TRUE(ts.stats().is_ts);
  ts.OnDatagram(Bytes(1316, 0x00), At(0));
  EXPECT_EQ(ts.stats().not_ts_datagrams, 2u);
  EXPECT_EQ(ts.stats().sync_errors, 1u);
  EXPECT_EQ(ts.stats().datagrams, 4u);
  EXPECT_EQ(ts.stats().packets, 1u);
}

TEST(TsHealth, HostileDatagrams) {
  TsHealth ts;
  Mux mux;
  ts.OnDatagram(Datagram({mux.Video()}), At(0));
  const Bytes one = Datagram({mux.Video()});

  ts.OnDatagram(std::span(one).first(187), At(0));
  Bytes longer = one;
  longer.push_back(kSyncByte);
  ts.OnDatagram(longer, At(0));
  ts.OnDatagram({}, At(0));
  Bytes second_unsynced = Datagram({mux.Video(), mux.Video()});
  second_unsynced[kTsPacketSize] = 0x48;
  ts.OnDatagram(second_unsynced, At(0));
  EXPECT_EQ(ts.stats().sync_errors, 4u);
  EXPECT_EQ(ts.stats().packets, 1u);  // none of them analysed in part

  // An adaptation_field_length past the packet's end: the packet is not
  // read further.
  TsPacket too_long = MakePacket({.pid = kAudioPid, .adaptation = true});
  too_long[4] = 255;
  ts.OnDatagram(Datagram({too_long}), At(0));
  EXPECT_EQ(ts.stats().sync_errors, 5u);
  // 183 bytes of adaptation field leave no room for the payload it claims.
  TsPacket full = MakePacket({.pid = kAudioPid, .cc = 1, .unit_start = true, .adaptation = true});
  full[4] = 183;
  ts.OnDatagram(Datagram({full}), At(0));
  // A pointer_field pointing past the packet.
  TsPacket far_pointer = MakePacket({.pid = 0, .unit_start = true, .data = {183, 0x00}});
  ts.OnDatagram(Datagram({far_pointer}), At(0));
  EXPECT_EQ(ts.stats().pat_count, 0u);

  // A PAT whose section_length (1021) runs past the packet: what fits is
  // read, the PMT it names still counts.
  PacketFields long_pat = {.pid = 0, .cc = 1, .unit_start = true};
  long_pat.data = PatPayload(kPmtPid, /*section_length=*/1021);
  ts.OnDatagram(Datagram({MakePacket(long_pat)}), At(0));
  EXPECT_EQ(ts.stats().pat_count, 1u);
  ts.OnDatagram(Datagram({mux.Pmt()}), At(0));
  EXPECT_EQ(ts.stats().pmt_count, 1u);
  // A PAT shorter than its header and CRC names nothing.
  PacketFields short_pat = {.pid = 0, .cc = 2, .unit_start = true};
  short_pat.data = PatPayload(0x1001, /*section_length=*/3);
  ts.OnDatagram(Datagram({MakePacket(short_pat)}), At(0));
  EXPECT_EQ(ts.stats().pat_count, 2u);
  ts.OnDatagram(Datagram({MakePacket({.pid = 0x1001, .unit_start = true, .data = PmtPayload()})}),
                At(0));
  EXPECT_EQ(ts.stats().pmt_count, 1u);
}

TEST(TsHealth, LostDatagramsCountTheirTsPackets) {
  TsHealth ts;
  Mux mux;
  ts.OnDatagram(Datagram({mux.Video(), mux.Video(), mux.Video(), mux.Video(), mux.Video(),
                          mux.Video(), mux.Video()}),
                At(0));
  ts.SetDatagramsLost(3);
  EXPECT_EQ(ts.stats().packets_lost, 21u);
  ts.SetDatagramsLost(5);  // a running total, not an increment
  EXPECT_EQ(ts.stats().packets_lost, 35u);
  // The latest datagram's packet count is the stream's.
  ts.OnDatagram(Datagram({mux.Video(), mux.Video(), mux.Video(), mux.Video()}), At(0));
  ts.SetDatagramsLost(5);
  EXPECT_EQ(ts.stats().packets_lost, 20u);
}

TEST(TsHealth, PidStatsKeepsTheBusiestPidsInPidOrder) {
  TsHealth ts;
  Mux mux;
  const std::map<uint16_t, int> counts = {{0x10, 3}, {0x20, 1}, {0x30, 5}, {0x40, 4}};
  for (const auto& [pid, n] : counts) {
    for (int i = 0; i < n; ++i) ts.OnDatagram(Datagram({mux.Next({.pid = pid})}), At(0));
  }
  const std::vector<TsPidStats> all = ts.PidStats();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].pid, 0x10);
  EXPECT_EQ(all[3].pid, 0x40);

  const std::vector<TsPidStats> top = ts.PidStats(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].pid, 0x30);
  EXPECT_EQ(top[0].packets, 5u);
  EXPECT_EQ(top[1].pid, 0x40);
  EXPECT_EQ(top[1].packets, 4u);

  const std::vector<TsPidStats> three = ts.PidStats(3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].pid, 0x10);
  EXPECT_EQ(three[1].pid, 0x30);
  EXPECT_EQ(three[2].pid, 0x40);

  EXPECT_TRUE(ts.PidStats(0).empty());
}

}  // namespace
}  // namespace hitless::mpegts
