// DropReason: why the stack discarded a packet. A bad packet is not an error,
// it is a drop: parsers and cores report one of these and the owner counts it
// in a DropCounters. Names are stable: they appear in stats JSON and metrics.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hitless {

#define HITLESS_DROP_REASONS(X)                                                 \
  X(kTruncated, "truncated")            /* shorter than its header or fields */ \
  X(kOversized, "oversized")            /* longer than the protocol allows */   \
  X(kBadVersion, "bad_version")         /* unsupported protocol version */      \
  X(kUnknownType, "unknown_type")       /* packet type we do not know */        \
  X(kBadField, "bad_field")             /* a field out of its allowed range */  \
  X(kTrailingBytes, "trailing_bytes")   /* bytes after a fixed-size body */     \
  X(kUnknownSession, "unknown_session") /* session id we have no state for */   \
  X(kDuplicate, "duplicate")            /* already received */                  \
  X(kTooLate, "too_late")               /* arrived after its release time */    \
  X(kAuthFailed, "auth_failed")         /* AEAD tag or cookie did not verify */ \
  X(kBufferFull, "buffer_full")         /* no room to keep it */

enum class DropReason : uint8_t {
#define HITLESS_DROP_ENUM(name, text) name,
  HITLESS_DROP_REASONS(HITLESS_DROP_ENUM)
#undef HITLESS_DROP_ENUM
};

inline constexpr size_t kDropReasonCount = 0
#define HITLESS_DROP_COUNT(name, text) +1
    HITLESS_DROP_REASONS(HITLESS_DROP_COUNT)
#undef HITLESS_DROP_COUNT
    ;

constexpr std::string_view DropReasonName(DropReason r) {
  constexpr std::array<std::string_view, kDropReasonCount> kNames = {
#define HITLESS_DROP_NAME(name, text) text,
      HITLESS_DROP_REASONS(HITLESS_DROP_NAME)
#undef HITLESS_DROP_NAME
  };
  return kNames[static_cast<size_t>(r)];
}

// One counter per reason; cheap to copy for stats snapshots.
class DropCounters {
 public:
  void Count(DropReason r, uint64_t n = 1) { counts_[static_cast<size_t>(r)] += n; }
  uint64_t Get(DropReason r) const { return counts_[static_cast<size_t>(r)]; }
  uint64_t Total() const {
    uint64_t t = 0;
    for (uint64_t c : counts_) t += c;
    return t;
  }
  // Calls f(DropReason, count) for every reason, in enum order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < kDropReasonCount; ++i) f(static_cast<DropReason>(i), counts_[i]);
  }

 private:
  std::array<uint64_t, kDropReasonCount> counts_{};
};

}  // namespace hitless
