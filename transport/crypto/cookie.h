// CookieMinter: the stateless HANDSHAKE cookie (docs/wire-format.md,
// "HANDSHAKE" and "Handshake state machines").
//
// A cookie is HMAC-SHA256(secret, peer bytes, initiator session id, time
// bucket) truncated to 16 bytes. A responder mints one for every INDUCTION
// request and keeps no state; the CONCLUSION request echoes it, which proves
// the initiator receives at its claimed address. Buckets are kCookieBucket
// (10 s) wide and Verify() accepts the current and the previous bucket, so a
// cookie lives between 10 and 20 seconds.
//
// State: the 32-byte secret only (immutable). No timers, no clock: callers
// pass `now`. Thread-compatible (const methods are safe concurrently).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "transport/base/time.h"

namespace hitless {

inline constexpr size_t kCookieSecretSize = 32;
inline constexpr size_t kCookieMacSize = 16;
inline constexpr Duration kCookieBucket = Duration::Seconds(10);

using CookieSecret = std::array<uint8_t, kCookieSecretSize>;
using CookieMac = std::array<uint8_t, kCookieMacSize>;

class CookieMinter {
 public:
  explicit CookieMinter(const CookieSecret& secret) : secret_(secret) {}

  // A fresh secret from OpenSSL's CSPRNG (RAND_bytes). A CSPRNG failure is
  // unrecoverable for a listener (a guessable secret defeats the cookie):
  // it reports HITLESS_BUG and aborts.
  static CookieSecret RandomSecret();

  // The time bucket `now` falls in: floor(now / kCookieBucket).
  static int64_t BucketOf(Time now);

  // The cookie for (`peer_bytes`, `initiator_session_id`) in `bucket`.
  // `peer_bytes` is opaque (the I/O layer passes the source address and
  // port); any length is accepted. Should OpenSSL fail (HITLESS_BUG), the
  // cookie is all zeros, which Verify() never accepts (it fails closed).
  CookieMac Mint(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id,
                 int64_t bucket) const;

  // True if `cookie` was minted for this peer and session id in the bucket of
  // `now` or the one before. Compares in constant time (CRYPTO_memcmp).
  bool Verify(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id,
              std::span<const uint8_t, kCookieMacSize> cookie, Time now) const;

 private:
  // Writes the MAC into `out`; false if OpenSSL failed.
  bool Compute(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id, int64_t bucket,
               CookieMac& out) const;

  CookieSecret secret_;
};

}  // namespace hitless
