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
