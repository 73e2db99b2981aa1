// A SenderSession and a ReceiverSession joined by two in-process delay lines
// (fixed delay, independent loss from a fixed seed, preallocated slots: the
// harness never allocates), on one virtual clock. For the allocation test
// and the per-packet cost benchmark: what the sessions themselves cost, with
// the I/O and the simulator's own allocations taken away.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "fec/adaptive_policy.h"
#include "fec/fec.h"
#include "transport/session/receiver_session.h"
#include "transport/session/sender_session.h"
#include "transport/wire/header.h"

namespace hitless::session::testing {

constexpr size_t kPayload = 1316;

// A one-way link: fixed delay, independent loss, FIFO of preallocated slots.
class DelayLine final : public DatagramSink {
 public:
  DelayLine(Duration delay, double loss, uint64_t seed)
      : delay_(delay),
        loss_threshold_(static_cast<uint64_t>(loss * 18446744073709551615.0)),
        rng_(seed | 1),
        slots_(kSlots) {}

  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    if (Next() < loss_threshold_) return;
    if (count_ == kSlots || d.size() > kMaxDatagramSize) {
      ++overflow;
      return;
    }
    Slot& s = slots_[(head_ + count_) % kSlots];
    std::memcpy(s.data.data(), d.data(), d.size());
    s.size = d.size();
    s.due = *now_ + delay_;
    ++count_;
  }
  std::optional<Time> NextDue() const {
    if (count_ == 0) return std::nullopt;
    return slots_[head_].due;
  }
  // Hands every datagram due at `now` to `deliver`.
  template <typename F>
  void DeliverDue(Time now, F&& deliver) {
    while (count_ > 0 && slots_[head_].due <= now) {
      const Slot& s = slots_[head_];
      deliver(std::span<const uint8_t>(s.data.data(), s.size));
      head_ = (head_ + 1) % kSlots;
      --count_;
    }
  }
  void SetClock(const Time* now) { now_ = now; }
  uint64_t overflow = 0;

 private:
  static constexpr size_t kSlots = 1 << 15;
  struct Slot {
    std::array<uint8_t, kMaxDatagramSize> data;
    size_t size = 0;
    Time due;
  };
  uint64_t Next() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 2685821657736338717ULL;
  }
  Duration delay_;
  uint64_t loss_threshold_;
  uint64_t rng_;
  std::vector<Slot> slots_;
  size_t head_ = 0, count_ = 0;
  const Time* now_ = nullptr;
};

class CountingMedia final : public MediaSink {
 public:
  void DeliverMedia(std::span<const uint8_t> payload, Time) override {
    ++delivered;
    bytes += payload.size();
  }
  uint64_t delivered = 0, bytes = 0;
};

// Sender and receiver on one virtual clock; RunFor advances it.
// fec: 0 none, 1 Reed-Solomon k=10 m=2, 2 adaptive. Latency 200 ms, 20 ms
// each way, the reverse link losing half the forward rate.
class Pair {
 public:
  Pair(uint64_t bitrate_bps, double loss, int fec)
      : forward_(Duration::Milliseconds(20), loss, 1),
        reverse_(Duration::Milliseconds(20), loss / 2, 2),
        interval_(Duration::Nanoseconds(
            static_cast<int64_t>(kPayload * 8e9 / static_cast<double>(bitrate_bps)))),
        payload_(kPayload, 0x47) {
    forward_.SetClock(&now_);
    reverse_.SetClock(&now_);
    SenderConfig s;
    s.latency = Duration::Milliseconds(200);
    ReceiverConfig r;
    r.latency = s.latency;
    r.release_window = Duration::Microseconds(1500);
    if (fec != 0) {
      s.fec = FecEncoderConfig{};
      s.fec->mode = FecCodec::kReedSolomon;
      s.fec->k = 10;
      s.fec->m = 2;
      if (fec == 2) s.fec_adaptive = AdaptiveFecConfig{};
      r.fec = true;
    }
    sender_ = std::make_unique<SenderSession>(s, now_, &forward_);
    receiver_ = std::make_unique<ReceiverSession>(r, now_, &reverse_, &media_);
    next_media_ = now_;
  }

  void RunFor(Duration d) {
    const Time end = now_ + d;
    while (true) {
      Time t = next_media_;
      for (const std::optional<Time> o : {sender_->NextWakeup(), receiver_->NextWakeup(),
                                          forward_.NextDue(), reverse_.NextDue()}) {
        if (o) t = std::min(t, *o);
      }
      if (t > end) break;
      now_ = std::max(now_, t);
      while (next_media_ <= now_) {
        std::memcpy(payload_.data(), &sent, sizeof sent);
        sender_->OnMedia(payload_, now_);
        ++sent;
        next_media_ += interval_;
      }
      forward_.DeliverDue(now_, [&](std::span<const uint8_t> d) {
        if (auto view = ParseHeader(d); view.ok()) receiver_->OnPacket(*view, now_);
      });
      reverse_.DeliverDue(now_, [&](std::span<const uint8_t> d) {
        if (auto view = ParseHeader(d); view.ok()) sender_->OnPacket(*view, now_);
      });
      if (const auto w = sender_->NextWakeup(); w && *w <= now_) sender_->OnTimer(now_);
      if (const auto w = receiver_->NextWakeup(); w && *w <= now_) receiver_->OnTimer(now_);
    }
    now_ = end;
  }

  uint64_t sent = 0;
  const CountingMedia& media() const { return media_; }
  const ReceiverSession& receiver() const { return *receiver_; }

 private:
  Time now_ = Time::Zero();
  DelayLine forward_, reverse_;
  Duration interval_;
  std::vector<uint8_t> payload_;
  Time next_media_;
  CountingMedia media_;
  std::unique_ptr<SenderSession> sender_;
  std::unique_ptr<ReceiverSession> receiver_;
};

}  // namespace hitless::session::testing
