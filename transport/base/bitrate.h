// Bitrates as people write them: "20M", "2.5M", "800k", "1G", "1000000"
// (k/M/G are powers of 1000, either case). One parser for every place that
// reads one (URLs, flags, route files). Stateless.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace hitless {

inline constexpr uint64_t kMaxBitrate = 10'000'000'000;  // 10 Gbit/s

// Bits per second, > 0 and at most kMaxBitrate; InvalidArgument naming the
// text otherwise (plain digits only: no sign, exponent, "inf" or hex).
absl::StatusOr<uint64_t> ParseBitrate(std::string_view text);

}  // namespace hitless
