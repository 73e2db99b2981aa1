// Time and Duration: the one monotonic time type of Hitless.
//
// Both are strong wrappers around int64 nanoseconds. `Time` is a point on a
// monotonic clock with an arbitrary epoch (the steady clock in production, a
// virtual clock in tests and the simulator); `Duration` is a signed span.
// Protocol cores receive `now` as a Time and never read a clock themselves.
// Arithmetic saturates nowhere: the int64 range (+-292 years) is the contract.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace hitless {

class Duration {
 public:
  constexpr Duration() = default;

  static constexpr Duration Nanoseconds(int64_t n) { return Duration(n); }
  static constexpr Duration Microseconds(int64_t us) { return Duration(us * 1'000); }
  static constexpr Duration Milliseconds(int64_t ms) { return Duration(ms * 1'000'000); }
  static constexpr Duration Seconds(int64_t s) { return Duration(s * 1'000'000'000); }
  // Rounds to the nearest nanosecond.
  static constexpr Duration SecondsF(double s) {
    return Duration(static_cast<int64_t>(s * 1e9 + (s >= 0 ? 0.5 : -0.5)));
  }
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Infinite() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ToNanoseconds() const { return ns_; }
  constexpr int64_t ToMicroseconds() const { return ns_ / 1'000; }
  constexpr int64_t ToMilliseconds() const { return ns_ / 1'000'000; }
  constexpr double ToSecondsF() const { return static_cast<double>(ns_) / 1e9; }
  constexpr double ToMillisecondsF() const { return static_cast<double>(ns_) / 1e6; }
  constexpr bool IsInfinite() const { return ns_ == std::numeric_limits<int64_t>::max(); }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

class Time {
 public:
  constexpr Time() = default;

  static constexpr Time FromNanoseconds(int64_t ns) { return Time(ns); }
  static constexpr Time Zero() { return Time(0); }
  static constexpr Time Infinite() { return Time(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ToNanoseconds() const { return ns_; }
  constexpr bool IsInfinite() const { return ns_ == std::numeric_limits<int64_t>::max(); }
  // Time since the clock's epoch; useful for logs and wire timestamps.
  constexpr Duration SinceEpoch() const { return Duration::Nanoseconds(ns_); }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return Time(ns_ + d.ToNanoseconds()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.ToNanoseconds()); }
  constexpr Duration operator-(Time o) const { return Duration::Nanoseconds(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) {
    ns_ += d.ToNanoseconds();
    return *this;
  }

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

}  // namespace hitless
