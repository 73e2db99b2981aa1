// Implements query.h.
#include "transport/endpoints/query.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hitless::endpoints {
namespace {

// Debian's abseil has its own absl::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr size_t kMaxQuoted = 100;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

absl::Status Bad(std::string_view text, std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", QuoteForMessage(text), "\": expected ", Av(expected)));
}

}  // namespace

std::string RedactSecrets(std::string_view url) {
  std::string out(url);
  for (std::string_view key : {"passphrase=", "secret="}) {
    size_t at = 0;
    while ((at = out.find(key, at)) != std::string::npos) {
      const bool starts_key = at > 0 && (out[at - 1] == '?' || out[at - 1] == '&');
      at += key.size();
      if (!starts_key) continue;
      const size_t end = std::min(out.find('&', at), out.size());
      out.replace(at, end - at, "***");
    }
  }
  return out;
}

std::string QuoteForMessage(std::string_view text) {
  const bool cut = text.size() > kMaxQuoted;
  std::string out = absl::CHexEscape(Av(cut ? text.substr(0, kMaxQuoted) : text));
  if (cut) absl::StrAppend(&out, "...(", text.size(), " bytes)");
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int hi = complete ? HexValue(text[i + 1]) : -1;
    const int lo = complete ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad percent escape \"",
                                                     QuoteForMessage(text.substr(i, 3)),
                                                     "\": expected '%' and two hex digits"));
    }
    const auto c = static_cast<unsigned char>(hi * 16 + lo);
    if (IsControl(c)) {
      return absl::InvalidArgumentError(absl::StrCat("percent escape \"", Av(text.substr(i, 3)),
                                                     "\" decodes to a control character"));
    }
    out.push_back(static_cast<char>(c));
    i += 2;
  }
  return out;
}

absl::StatusOr<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  if (query.empty()) return params;
  absl::flat_hash_set<std::string> seen;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    if (param.empty()) {
      return absl::InvalidArgumentError("empty query parameter (stray '&')");
    }
    if (params.size() == kMaxQueryParams) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxQueryParams, " query parameters"));
    }
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter \"", QuoteForMessage(param),
                                                     "\" has no value: expected key=value"));
    }
    const std::string_view key = param.substr(0, eq);
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter \"", QuoteForMessage(param), "\" has an empty key"));
    }
    for (char c : key) {
      if (!IsKeyChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("query key \"", QuoteForMessage(key),
                         "\" is not lower-case letters, digits, '_' or '-'"));
      }
    }
    auto value = PercentDecode(param.substr(eq + 1));
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", Av(key), ": ", value.status().message()));
    }
    if (!seen.insert(std::string(key)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", Av(key), " is given twice"));
    }
    params.emplace_back(std::string(key), *std::move(value));
    start = end + 1;
  }
  return params;
}

absl::StatusOr<Duration> ParseDurationText(std::string_view text) {
  absl::Duration d;
  if (text.empty() || !absl::ParseDuration(Av(text), &d) || d <= absl::ZeroDuration() ||
      d == absl::InfiniteDuration() || d > absl::Hours(24 * 365 * 100)) {
    return Bad(text, "a positive duration like 500ms, 2s or 1m");
  }
  return Duration::Nanoseconds(absl::ToInt64Nanoseconds(d));
}

absl::StatusOr<uint64_t> ParseDecimal(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 20 ||
      text.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(Av(text), &value) || value < min || value > max) {
    return Bad(text, absl::StrCat("an integer in ", min, "..", max));
  }
  return value;
}

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t scale = 1;
  std::string_view digits = text;
  if (!text.empty()) {
    const char last = text.back();
    if (last == 'k' || last == 'K') scale = 1024;
    if (last == 'm' || last == 'M') scale = 1024 * 1024;
    if (scale != 1) digits.remove_suffix(1);
  }
  uint64_t value = 0;
  if (digits.empty() || digits.size() > 12 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(Av(digits), &value) || value * scale < min || value * scale > max) {
    return Bad(text, absl::StrCat("a byte count like 8M or 512k in ", min, "..", max));
  }
  return value * scale;
}

}  // namespace hitless::endpoints
