// Clocks: the only sources of `now`.
//
// SteadyClock reads CLOCK_MONOTONIC and is used by the I/O layer and mains
// only. ManualClock is a virtual clock for tests and the simulator: it moves
// only when told to. Protocol cores never hold a Clock; they receive `now`.
#pragma once

#include "transport/base/time.h"

namespace hitless {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  Time Now() const override;
};

// The I/O layer's clock for a protocol core: CLOCK_MONOTONIC, and a
// datagram's kernel arrival stamp in place of the time it was read (a read
// delayed by batching or by a busy CPU must not read as path delay: RTT
// samples, jitter and release times are measured from it). Never earlier
// than a time it gave before, so the core's `now` never goes back.
class ArrivalClock final : public Clock {
 public:
  Time Now() const override { return Stamp(clock_.Now()); }
  // `arrival` (at most Now()), or the last time given if that is later.
  Time Arrival(Time arrival) const { return Stamp(arrival); }

 private:
  Time Stamp(Time t) const {
    if (t > last_) last_ = t;
    return last_;
  }
  SteadyClock clock_;
  mutable Time last_ = Time::Zero();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = Time::Zero()) : now_(start) {}
  Time Now() const override { return now_; }
  // Moves the clock forward by `d` (which must not be negative).
  void Advance(Duration d);
  // Sets the clock to `t` (which must not be earlier than Now()).
  void AdvanceTo(Time t);

 private:
  Time now_;
};

}  // namespace hitless
