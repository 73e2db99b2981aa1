// ParseBitrate (bitrate.h).
#include "transport/base/bitrate.h"

#include <cmath>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace hitless {

absl::StatusOr<uint64_t> ParseBitrate(std::string_view text) {
  double scale = 1;
  std::string_view digits = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'm':
      case 'M':
        scale = 1e6;
        break;
      case 'g':
      case 'G':
        scale = 1e9;
        break;
      default:
        break;
    }
    if (scale != 1) digits.remove_suffix(1);
  }
  double value = 0;
  // SimpleAtod accepts "nan", "inf", hex and exponents: insist on plain digits.
  const bool plain =
      !digits.empty() && digits.find_first_not_of("0123456789.") == std::string_view::npos;
  if (!plain || !absl::SimpleAtod(absl::string_view(digits.data(), digits.size()), &value) ||
      !(value * scale >= 1) || value * scale > static_cast<double>(kMaxBitrate)) {
    const std::string_view shown = text.substr(0, 64);
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(absl::string_view(shown.data(), shown.size())),
                     text.size() > 64 ? "..." : "",
                     "\": expected a bitrate like 20M, 800k or 1G (1 bit/s up to 10G)"));
  }
  return static_cast<uint64_t>(std::llround(value * scale));
}

}  // namespace hitless
