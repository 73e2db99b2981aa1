#include "transport/base/clock.h"

#include <time.h>

#include "transport/base/bug.h"

namespace hitless {

Time SteadyClock::Now() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Time::FromNanoseconds(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

void ManualClock::Advance(Duration d) {
  if (d < Duration::Zero()) {
    HITLESS_BUG("ManualClock::Advance with a negative duration");
    return;
  }
  now_ += d;
}

void ManualClock::AdvanceTo(Time t) {
  if (t < now_) {
    HITLESS_BUG("ManualClock::AdvanceTo into the past");
    return;
  }
  now_ = t;
}

}  // namespace hitless
