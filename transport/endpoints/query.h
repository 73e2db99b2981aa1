// Value syntax shared by the endpoint URLs: the query string, percent
// escapes, bitrates, durations and byte sizes.
//
// Stateless parsers. Each returns InvalidArgument with a message naming the
// offending text and what was expected, *without* the URL (url.cc prefixes
// that), so the same helpers can serve flags too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "transport/base/bitrate.h"
#include "transport/base/time.h"

namespace hitless::endpoints {

// Longest URL accepted, and most query parameters: bounds on hostile input.
inline constexpr size_t kMaxUrlLength = 4096;
inline constexpr size_t kMaxQueryParams = 64;

// `text` made safe for an error message: C-escaped (control bytes, NUL and
// quotes become \xNN-style escapes) and cut to about 100 characters.
std::string QuoteForMessage(std::string_view text);

// `url` with the values of its secret keys (passphrase=, secret=) replaced
// by "***", for logs that outlive the command line.
std::string RedactSecrets(std::string_view url);

// Decodes %XX escapes (hex digits of either case). Errors: a '%' not followed
// by two hex digits, or an escape decoding to a control character (< 0x20 or
// 0x7f, NUL included).
absl::StatusOr<std::string> PercentDecode(std::string_view text);

// Splits "a=1&b=2" into decoded (key, value) pairs in order. Keys are
// [a-z0-9_-]+ (lower case, never escaped); values are percent-decoded and may
// be empty ("a="). Errors: an empty parameter ("a=1&&b=2"), a parameter
// without '=', a bad key, a key given twice, more than kMaxQueryParams
// parameters, a bad escape. An empty query yields no pairs.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
absl::StatusOr<QueryParams> ParseQuery(std::string_view query);

// Bits per second (transport/base/bitrate.h).
using ::hitless::ParseBitrate;

// absl duration syntax: "500ms", "2s", "1m", "1m30s", "1.5s". Must be > 0
// and finite.
absl::StatusOr<Duration> ParseDurationText(std::string_view text);

// Bytes: "8388608", "512k", "8M" (k/M are powers of 1024, either case).
// Must be in [min, max].
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text, uint64_t min, uint64_t max);

// Decimal integer in [min, max], digits only (no sign, no spaces).
absl::StatusOr<uint64_t> ParseDecimal(std::string_view text, uint64_t min, uint64_t max);

}  // namespace hitless::endpoints
