// RetransmitBuffer and RetransmitPolicy: storage, expiry and eviction; EDF
// order, deadline refusal, once-per-RTT suppression, the bandwidth cap,
// last-chance copies, and NACKs for unknown or ancient sequences.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "transport/arq/retransmit_buffer.h"
#include "transport/arq/retransmit_policy.h"

namespace hitless::arq {
namespace {

constexpr Duration Ms(int64_t ms) { return Duration::Milliseconds(ms); }
constexpr Time At(int64_t ms) { return Time::Zero() + Duration::Milliseconds(ms); }

std::vector<uint8_t> Payload(int64_t seq, size_t size = 1316) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(seq + static_cast<int64_t>(i));
  return p;
}

std::vector<int64_t> Seqs(const std::vector<Retransmission>& out) {
  std::vector<int64_t> seqs;
  for (const Retransmission& r : out) seqs.push_back(r.seq);
  return seqs;
}

TEST(RetransmitBufferTest, StoresFindsAndExpires) {
  RetransmitBuffer buf({.capacity = 8, .retention = Ms(100)});
  for (int64_t s = 0; s < 5; ++s) EXPECT_TRUE(buf.Store(s, At(s * 10), Payload(s)));
  EXPECT_FALSE(buf.Store(4, At(50), Payload(4)));  // not increasing
  EXPECT_FALSE(buf.Store(9, At(50), {}));          // empty
  EXPECT_EQ(buf.stats().rejected, 2u);
  ASSERT_NE(buf.Find(3), nullptr);
  EXPECT_EQ(buf.Find(3)->send_time, At(30));
  EXPECT_EQ(std::vector<uint8_t>(buf.Find(3)->bytes.begin(), buf.Find(3)->bytes.end()), Payload(3));
  EXPECT_EQ(buf.Find(5), nullptr);
  EXPECT_EQ(buf.size(), 5u);
  EXPECT_EQ(buf.live_bytes(), 5u * 1316);
  EXPECT_EQ(buf.Expire(At(119)), 2u);  // 0 and 1 (sent at 0 and 10 ms)
  EXPECT_EQ(buf.Find(1), nullptr);
  EXPECT_EQ(buf.lowest_seq(), 2);
  EXPECT_EQ(buf.Expire(At(1000)), 3u);
  EXPECT_FALSE(buf.lowest_seq().has_value());
  EXPECT_EQ(buf.stats().expired, 5u);
}

TEST(RetransmitBufferTest, LateFillsTakeFreeSlotsWithinTheRingOnly) {
  // A relay forwards packets its upstream repaired after later ones.
  RetransmitBuffer buf({.capacity = 8, .max_capacity = 8, .retention = Ms(1000)});
  EXPECT_TRUE(buf.Store(10, At(0), Payload(10)));
  EXPECT_TRUE(buf.Store(13, At(3), Payload(13)));
  EXPECT_TRUE(buf.Store(12, At(2), Payload(12)));   // a gap filled late
  EXPECT_TRUE(buf.Store(9, At(1), Payload(9)));     // below the lowest, within the ring
  EXPECT_FALSE(buf.Store(12, At(2), Payload(12)));  // already held
  EXPECT_FALSE(buf.Store(5, At(2), Payload(5)));    // 13 - 8: would share 13's slot
  EXPECT_EQ(buf.stats().rejected, 2u);
  EXPECT_EQ(buf.size(), 4u);
  EXPECT_EQ(buf.lowest_seq(), 9);
  EXPECT_EQ(buf.highest_seq(), 13);
  ASSERT_NE(buf.Find(12), nullptr);
  EXPECT_EQ(std::vector<uint8_t>(buf.Find(12)->bytes.begin(), buf.Find(12)->bytes.end()),
            Payload(12));
  EXPECT_EQ(buf.Find(11), nullptr);
  // Expiry goes in sequence order: 9 (sent at 1 ms) and 10 leave first.
  EXPECT_EQ(buf.Expire(At(1001)), 2u);
  EXPECT_EQ(buf.lowest_seq(), 12);
  EXPECT_TRUE(buf.Store(14, At(4), Payload(14)));
  EXPECT_EQ(buf.Expire(At(2000)), 3u);
  EXPECT_FALSE(buf.lowest_seq().has_value());
  // Once empty, a fill below the highest still lands (live range restarts).
  EXPECT_TRUE(buf.Store(11, At(2000), Payload(11)));
  EXPECT_EQ(buf.lowest_seq(), 11);
}

TEST(RetransmitBufferTest, EvictsWhenTheRingLapsAtItsCapAndReusesMemory) {
  RetransmitBuffer buf({.capacity = 8, .max_capacity = 8, .retention = Duration::Seconds(10)});
  for (int64_t s = 0; s < 8; ++s) buf.Store(s, At(s), Payload(s));
  const uint8_t* slot0 = buf.Find(0)->bytes.data();
  buf.Store(8, At(8), Payload(8));  // takes 0's slot
  EXPECT_EQ(buf.Find(0), nullptr);
  EXPECT_EQ(buf.Find(8)->bytes.data(), slot0);  // same allocation
  EXPECT_EQ(buf.stats().evicted, 1u);
  EXPECT_EQ(buf.stats().evicted_unexpired, 1u);  // the cap is too small for 10 s
  buf.Store(12, At(9), Payload(12));             // skips 9..11: evicts 1..4
  EXPECT_EQ(buf.stats().evicted, 5u);
  EXPECT_EQ(buf.lowest_seq(), 5);
  EXPECT_EQ(buf.size(), 5u);                 // 5, 6, 7, 8, 12
  buf.Store(1'000'000, At(10), Payload(0));  // a jump over the whole ring
  EXPECT_EQ(buf.size(), 1u);
  EXPECT_EQ(buf.lowest_seq(), 1'000'000);
}

TEST(RetransmitBufferTest, GrowsToHoldItsRetentionThenStopsAtTheCap) {
  // 1 packet per ms kept 10 s: the ring doubles 8 -> 16 -> 32 and keeps all.
  RetransmitBuffer buf({.capacity = 8, .max_capacity = 32, .retention = Duration::Seconds(10)});
  for (int64_t s = 0; s < 32; ++s) ASSERT_TRUE(buf.Store(s, At(s), Payload(s)));
  EXPECT_EQ(buf.capacity(), 32u);
  EXPECT_EQ(buf.stats().grown, 2u);
  EXPECT_EQ(buf.stats().evicted, 0u);
  for (int64_t s = 0; s < 32; ++s) {
    ASSERT_NE(buf.Find(s), nullptr) << s;
    EXPECT_EQ(std::vector<uint8_t>(buf.Find(s)->bytes.begin(), buf.Find(s)->bytes.end()),
              Payload(s));
  }
  EXPECT_EQ(buf.memory_bytes(), 32u * 1500);
  // At the cap: the oldest goes, though still within its retention.
  ASSERT_TRUE(buf.Store(32, At(32), Payload(32)));
  EXPECT_EQ(buf.capacity(), 32u);
  EXPECT_EQ(buf.Find(0), nullptr);
  EXPECT_EQ(buf.stats().evicted_unexpired, 1u);
}

// Bookkeeping only (slot_bytes 0, a relay hop whose payloads live in the
// stream's ring): no arena, sizes kept, StoreMeta as Store otherwise;
// WouldGrow says beforehand what a store would do to the ring.
TEST(RetransmitBufferTest, BookkeepingOnlyKeepsSizesAndNoBytes) {
  RetransmitBuffer buf(
      {.capacity = 4, .max_capacity = 8, .slot_bytes = 0, .retention = Duration::Seconds(10)});
  EXPECT_EQ(buf.memory_bytes(), 0u);
  for (int64_t s = 0; s < 4; ++s) {
    EXPECT_FALSE(buf.WouldGrow(s, At(s)));
    ASSERT_TRUE(buf.StoreMeta(s, At(s), 1332));
  }
  EXPECT_TRUE(buf.WouldGrow(4, At(4)));  // 0 is still within its retention
  ASSERT_TRUE(buf.StoreMeta(4, At(4), 1332));
  EXPECT_EQ(buf.capacity(), 8u);
  EXPECT_EQ(buf.memory_bytes(), 0u);
  ASSERT_NE(buf.Find(2), nullptr);
  EXPECT_EQ(buf.Find(2)->size, 1332u);
  EXPECT_TRUE(buf.Find(2)->bytes.empty());
  EXPECT_EQ(buf.live_bytes(), 5u * 1332);
  for (int64_t s = 5; s < 8; ++s) ASSERT_TRUE(buf.StoreMeta(s, At(s), 100));
  EXPECT_FALSE(buf.WouldGrow(8, At(8)));  // at the cap: it evicts, never grows
  // Refusals: a payload-keeping call, an empty or absurd size.
  EXPECT_FALSE(buf.Store(9, At(9), Payload(9)));
  EXPECT_FALSE(buf.StoreMeta(9, At(9), 0));
  EXPECT_FALSE(buf.StoreMeta(9, At(9), 70000));
  EXPECT_EQ(buf.stats().rejected, 3u);
  // A buffer that keeps bytes refuses StoreMeta.
  RetransmitBuffer keeping({.capacity = 4, .retention = Ms(100)});
  EXPECT_FALSE(keeping.StoreMeta(0, At(0), 100));
  // Past the retention, the oldest make room: no growth.
  RetransmitBuffer expiring(
      {.capacity = 4, .max_capacity = 8, .slot_bytes = 0, .retention = Ms(3)});
  for (int64_t s = 0; s < 4; ++s) ASSERT_TRUE(expiring.StoreMeta(s, At(s), 10));
  EXPECT_FALSE(expiring.WouldGrow(4, At(4)));
}

TEST(RetransmitBufferTest, ExpiredPacketsMakeRoomWithoutGrowing) {
  // Kept 5 ms, one per ms: 8 slots are always enough.
  RetransmitBuffer buf({.capacity = 8, .max_capacity = 1024, .retention = Ms(5)});
  for (int64_t s = 0; s < 1000; ++s) {
    buf.Expire(At(s));
    ASSERT_TRUE(buf.Store(s, At(s), Payload(s, 100)));
  }
  EXPECT_EQ(buf.capacity(), 8u);
  EXPECT_EQ(buf.stats().grown, 0u);
  EXPECT_EQ(buf.stats().evicted_unexpired, 0u);
}

TEST(RetransmitBufferTest, SerializesInPlaceAndRefusesWhatDoesNotFit) {
  RetransmitBuffer buf({.capacity = 8, .slot_bytes = 200, .retention = Ms(100)});
  std::span<uint8_t> slot = buf.NextSlot(5, At(0));
  ASSERT_EQ(slot.size(), 200u);
  slot[0] = 0xab;
  ASSERT_TRUE(buf.Commit(5, At(0), 10));
  ASSERT_NE(buf.Find(5), nullptr);
  EXPECT_EQ(buf.Find(5)->bytes.size(), 10u);
  EXPECT_EQ(buf.Find(5)->bytes[0], 0xab);
  EXPECT_FALSE(buf.Commit(6, At(1), 10));              // no NextSlot for it
  EXPECT_FALSE(buf.Store(6, At(1), Payload(6, 201)));  // over slot_bytes
  EXPECT_FALSE(buf.NextSlot(5, At(1)).size() > 0);     // not increasing
  EXPECT_EQ(buf.stats().rejected, 3u);
  EXPECT_EQ(buf.Find(6), nullptr);
}

class PolicyTest : public ::testing::Test {
 protected:
  // 10 packets sent 1 ms apart from t = 0; latency 200 ms; SRTT 40 ms.
  void SetUp() override {
    for (int64_t s = 0; s < 10; ++s) buffer_.Store(s, At(s), Payload(s));
    policy_.SetLinkEstimate({.srtt = Ms(40), .one_way = Ms(20), .loss_rate = 0.1});
  }
  std::vector<Retransmission> Pop(Time now) {
    std::vector<Retransmission> out;
    policy_.PopDue(now, out);
    return out;
  }

  RetransmitBuffer buffer_{{.capacity = 1024, .retention = Ms(200)}};
  RetransmitPolicyConfig config_{.latency = Ms(200),
                                 .copy_spacing = Duration::Zero(),
                                 .cap_fraction_of_stream = 0,
                                 .cap_min_bytes_per_second = 0};
  RetransmitPolicy policy_{config_, &buffer_};
};

TEST_F(PolicyTest, AnswersInEarliestDeadlineOrder) {
  const std::vector<NackRange> nack = {{7, 2}, {2, 1}, {4, 2}};
  policy_.OnNack(nack, At(20));
  EXPECT_EQ(policy_.NextWakeup(), Time::Zero());  // due now
  const auto out = Pop(At(20));
  EXPECT_EQ(Seqs(out), (std::vector<int64_t>{2, 4, 5, 7, 8}));
  EXPECT_EQ(out[0].bytes.size(), 1316u);
  EXPECT_EQ(std::vector<uint8_t>(out[0].bytes.begin(), out[0].bytes.end()), Payload(2));
  EXPECT_EQ(out[0].send_time, At(2));
  EXPECT_EQ(out[0].copies, 1u);
  EXPECT_EQ(policy_.stats().retransmitted, 5u);
  EXPECT_EQ(policy_.stats().retransmitted_bytes, 5u * 1316);
  EXPECT_FALSE(policy_.NextWakeup().has_value());
}

TEST_F(PolicyTest, RefusesWhatCannotMakeItsDeadline) {
  // Seq 0: deadline 200 ms, one way 20 ms: last useful send before 180 ms.
  const std::vector<NackRange> nack = {{0, 1}};
  policy_.OnNack(nack, At(180));
  EXPECT_EQ(policy_.stats().too_late, 1u);
  EXPECT_TRUE(Pop(At(180)).empty());
  policy_.OnNack(nack, At(179));
  EXPECT_EQ(Pop(At(179)).size(), 6u);  // last chance: copies (p = 10%: 6)
  // Queued in time but popped too late: dropped.
  const std::vector<NackRange> nack1 = {{1, 1}};
  policy_.OnNack(nack1, At(170));
  EXPECT_TRUE(Pop(At(181)).empty());
  EXPECT_EQ(policy_.stats().too_late_in_queue, 1u);
}

TEST_F(PolicyTest, AnswersAtMostOncePerRtt) {
  const std::vector<NackRange> nack = {{3, 1}};
  policy_.OnNack(nack, At(10));
  policy_.OnNack(nack, At(10));  // still pending
  EXPECT_EQ(policy_.stats().already_queued, 1u);
  EXPECT_EQ(Pop(At(10)).size(), 1u);
  policy_.OnNack(nack, At(30));  // 20 ms < SRTT after the retransmission
  policy_.OnNack(nack, At(54));  // 44 ms < 1.125 x SRTT = 45 ms
  EXPECT_TRUE(Pop(At(54)).empty());
  EXPECT_EQ(policy_.stats().suppressed, 2u);
  policy_.OnNack(nack, At(55));  // 1.125 SRTT later: answered again
  EXPECT_EQ(Pop(At(55)).size(), 1u);
  EXPECT_EQ(buffer_.Find(3)->arq.retransmissions, 2u);
}

TEST_F(PolicyTest, LastChanceSendsCopiesChosenFromTheLossRate) {
  EXPECT_EQ(RetransmitPolicy::CopiesFor(0.1, 1e-6, 4, 0.001), 4);  // needs 6
  EXPECT_EQ(RetransmitPolicy::CopiesFor(0.1, 1e-6, 8, 0.001), 6);
  EXPECT_EQ(RetransmitPolicy::CopiesFor(0.01, 1e-6, 4, 0.001), 3);
  EXPECT_EQ(RetransmitPolicy::CopiesFor(0.0, 1e-6, 4, 0.001), 2);  // floor p = 0.1%
  EXPECT_EQ(RetransmitPolicy::CopiesFor(0.3, 1e-6, 1, 0.001), 1);
  // Seq 5: deadline 205 ms. 2 x SRTT = 80 ms: before 125 ms one copy, after
  // it the last chance with 6 copies (p = 10%).
  const std::vector<NackRange> nack = {{5, 1}};
  policy_.OnNack(nack, At(125));
  EXPECT_EQ(Pop(At(125)).size(), 1u);
  policy_.OnNack(nack, At(170));
  const auto out = Pop(At(170));
  ASSERT_EQ(out.size(), 6u);
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(out[i].seq, 5);
    EXPECT_EQ(out[i].copy, i);
    EXPECT_EQ(out[i].copies, 6u);
  }
  EXPECT_EQ(policy_.stats().retransmitted, 2u);
  EXPECT_EQ(policy_.stats().copies, 5u);
  EXPECT_EQ(policy_.stats().last_chance, 1u);
  EXPECT_EQ(policy_.stats().retransmitted_bytes, 7u * 1316);
}

TEST(RetransmitPolicySpacingTest, SpacedCopiesWaitTheirTurn) {
  RetransmitBuffer buffer({.retention = Ms(200)});
  buffer.Store(0, At(0), Payload(0));
  RetransmitPolicy policy({.latency = Ms(200), .copy_spacing = Ms(2)}, &buffer);
  policy.SetLinkEstimate({.srtt = Ms(60), .one_way = Ms(30), .loss_rate = 0.01});
  const std::vector<NackRange> nack = {{0, 1}};
  policy.OnNack(nack, At(100));  // 100 ms left < 120 ms: 3 copies
  std::vector<Retransmission> out;
  EXPECT_EQ(policy.PopDue(At(100), out), 1u);
  EXPECT_EQ(policy.NextWakeup(), At(102));
  EXPECT_EQ(policy.PopDue(At(101), out), 0u);
  EXPECT_EQ(policy.PopDue(At(102), out), 1u);
  EXPECT_EQ(out[0].copy, 1u);
  EXPECT_EQ(policy.PopDue(At(104), out), 1u);
  EXPECT_EQ(out[0].copy, 2u);
  EXPECT_FALSE(policy.NextWakeup().has_value());
}

TEST(RetransmitPolicyCapTest, BandwidthCapDelaysAndCounts) {
  RetransmitBuffer buffer({.retention = Ms(1000)});
  for (int64_t s = 0; s < 100; ++s) buffer.Store(s, At(0), Payload(s, 1000));
  // 100 kB/s, bucket 10 kB: ten 1000-byte packets at once, then one per 10 ms.
  RetransmitPolicy policy({.latency = Ms(1000),
                           .cap_fraction_of_stream = 0,
                           .cap_min_bytes_per_second = 100'000,
                           .bucket_depth = Ms(100),
                           .min_bucket_bytes = 0},
                          &buffer);
  policy.SetLinkEstimate({.srtt = Ms(20), .one_way = Ms(10), .loss_rate = 0});
  EXPECT_DOUBLE_EQ(policy.CapBytesPerSecond(At(0)), 100'000);
  const std::vector<NackRange> nack = {{0, 30}};
  policy.OnNack(nack, At(0));
  std::vector<Retransmission> out;
  EXPECT_EQ(policy.PopDue(At(0), out), 10u);
  EXPECT_EQ(out.back().seq, 9);
  EXPECT_EQ(policy.stats().capped, 1u);
  ASSERT_TRUE(policy.NextWakeup().has_value());
  EXPECT_GT(*policy.NextWakeup(), At(9));
  EXPECT_LE(*policy.NextWakeup(), At(10) + Duration::Microseconds(1));
  EXPECT_EQ(policy.PopDue(*policy.NextWakeup(), out), 1u);
  EXPECT_EQ(out[0].seq, 10);
  EXPECT_EQ(policy.PopDue(At(101), out), 9u);  // 91 ms of tokens
  EXPECT_EQ(policy.stats().capped, 3u);
  EXPECT_EQ(policy.stats().retransmitted, 20u);
}

TEST(RetransmitPolicyCapTest, DefaultCapFollowsTheStreamRate) {
  RetransmitBuffer buffer({.retention = Ms(1000)});
  RetransmitPolicy policy({.latency = Ms(1000)}, &buffer);
  EXPECT_DOUBLE_EQ(policy.CapBytesPerSecond(At(0)), 125'000);  // floor until measured
  for (int64_t s = 0; s < 2000; ++s) buffer.Store(s, At(s), Payload(s, 1250));  // 10 Mbit/s
  buffer.Expire(At(2000));
  EXPECT_NEAR(policy.CapBytesPerSecond(At(2000)), 625'000, 1000);  // 50% of 1.25 MB/s
}

TEST(RetransmitPolicyCapTest, BudgetRoomReplacesTheFixedFraction) {
  RetransmitBuffer buffer({.retention = Ms(1000)});
  RetransmitPolicy policy({.latency = Ms(1000)}, &buffer);
  for (int64_t s = 0; s < 2000; ++s) buffer.Store(s, At(s), Payload(s, 1250));  // 10 Mbit/s
  buffer.Expire(At(2000));
  // A path with room (an outage's backlog): 3 MB/s beyond the media.
  policy.SetBudgetRoom(3'000'000);
  EXPECT_DOUBLE_EQ(policy.CapBytesPerSecond(At(2000)), 3'000'000);
  // A full path: at least 5% of the stream still goes to repairs.
  policy.SetBudgetRoom(0);
  EXPECT_NEAR(policy.CapBytesPerSecond(At(2000)), 62'500, 100);
  policy.SetBudgetRoom(std::nullopt);
  EXPECT_NEAR(policy.CapBytesPerSecond(At(2000)), 625'000, 1000);
}

TEST(RetransmitPolicySpacingTest, CopiesAreSpacedByTheBurstSpanWhileTheyFit) {
  RetransmitBuffer buffer({.retention = Ms(200)});
  buffer.Store(0, At(0), Payload(0));
  RetransmitPolicy policy({.latency = Ms(200), .copy_spacing = Ms(1)}, &buffer);
  policy.SetLinkEstimate(
      {.srtt = Ms(60), .one_way = Ms(30), .loss_rate = 0.01, .burst_span = Ms(20)});
  const std::vector<NackRange> nack = {{0, 1}};
  policy.OnNack(nack, At(100));  // 3 copies, 70 ms before deadline - one way
  std::vector<Retransmission> out;
  EXPECT_EQ(policy.PopDue(At(100), out), 1u);
  EXPECT_EQ(policy.NextWakeup(), At(120));  // a burst apart, not 1 ms
  EXPECT_EQ(policy.PopDue(At(120), out), 1u);
  // Time left for the last copy: (170 - 120) / 2 = 25 ms > 20 ms.
  EXPECT_EQ(policy.NextWakeup(), At(140));
}

TEST_F(PolicyTest, UnknownAncientAndHostileRanges) {
  const std::vector<NackRange> nack = {{100, 5},                      // never sent
                                       {-50, 52},                     // ancient, 2 of them stored
                                       {3, 0},                        // invalid count
                                       {kMaxSeq, 1},                  // edge of range, unknown
                                       {-kMaxSeq, kMaxSeq * 2 + 1}};  // everything
  policy_.OnNack(nack, At(20));
  EXPECT_EQ(policy_.stats().invalid_ranges, 1u);
  EXPECT_EQ(policy_.stats().unknown_seq,
            5u + 50u + 1u + static_cast<uint64_t>(kMaxSeq * 2 + 1) - 10u);
  EXPECT_EQ(policy_.stats().requests, 10u);  // 0..9 once; the overlap is already queued
  EXPECT_EQ(policy_.stats().already_queued, 2u);
  EXPECT_EQ(Pop(At(20)).size(), 10u);
  buffer_.Expire(At(1000));
  const std::vector<NackRange> again = {{0, 10}};
  policy_.OnNack(again, At(1000));
  EXPECT_EQ(policy_.stats().unknown_seq,
            5u + 50u + 1u + static_cast<uint64_t>(kMaxSeq * 2 + 1) - 10u + 10u);
}

TEST_F(PolicyTest, RequestsForExpiredPacketsAreDropped) {
  const std::vector<NackRange> nack = {{0, 2}};
  policy_.OnNack(nack, At(100));
  buffer_.Expire(At(200));  // 0 expires (retention 200 ms)
  const auto out = Pop(At(150));
  EXPECT_EQ(Seqs(out), (std::vector<int64_t>{1}));
  EXPECT_EQ(policy_.stats().expired_in_queue, 1u);
}

}  // namespace
}  // namespace hitless::arq
