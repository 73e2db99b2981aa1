#include "transport/apps/fec_option.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "transport/session/fec_config.h"

namespace hitless::apps {
namespace {

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrFormat("fec=%s: %s (examples: fec=rs,k=20,m=4  fec=adaptive,k=20,m=10  "
                      "fec=xor,l=10,d=10,mode=2d  fec=none)",
                      std::string(text), std::string(why)));
}

}  // namespace

absl::StatusOr<FecConfig> ParseFecOption(std::string_view text) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), ',');
  FecConfig fec;
  if (parts.empty() || parts[0] == "none") {
    if (parts.size() > 1) return Bad(text, "\"none\" takes no parameters");
    return fec;
  }
  std::map<std::string, std::string> params;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq == std::string::npos) return Bad(text, "expected key=value after the scheme");
    params[parts[i].substr(0, eq)] = parts[i].substr(eq + 1);
  }
  const auto number = [&](const std::string& key, int def, int lo, int hi) -> absl::StatusOr<int> {
    const auto it = params.find(key);
    if (it == params.end()) return def;
    int v = 0;
    if (!absl::SimpleAtoi(it->second, &v) || v < lo || v > hi) {
      return Bad(text, absl::StrFormat("%s must be an integer in %d..%d", key, lo, hi));
    }
    params.erase(it);
    return v;
  };
  if (parts[0] == "rs" || parts[0] == "adaptive") {
    const bool adaptive = parts[0] == "adaptive";
    auto k = number("k", 20, 1, 254);
    if (!k.ok()) return k.status();
    // Adaptive: m and i are the caps the sender moves within.
    // Defaults stay inside k + m <= 255 for any k.
    auto m = number("m", std::min({adaptive ? 10 : 4, *k, 255 - *k}), 1, 254);
    if (!m.ok()) return m.status();
    auto interleave = number("i", adaptive ? std::max(1, std::min(8, 1024 / *k)) : 1, 1, 255);
    if (!interleave.ok()) return interleave.status();
    fec.mode = adaptive ? FecMode::kReedSolomonAdaptive : FecMode::kReedSolomon;
    fec.k = static_cast<uint16_t>(*k);
    fec.m = static_cast<uint8_t>(*m);
    fec.interleave = static_cast<uint8_t>(*interleave);
  } else if (parts[0] == "xor") {
    const bool d_given = params.contains("d");
    auto l = number("l", 10, 1, 255);
    if (!l.ok()) return l.status();
    auto d = number("d", 10, 1, 255);
    if (!d.ok()) return d.status();
    std::string mode = "row";
    if (const auto it = params.find("mode"); it != params.end()) {
      mode = it->second;
      params.erase(it);
    }
    if (mode == "row") {
      fec.mode = FecMode::kXorRow;
    } else if (mode == "column") {
      fec.mode = FecMode::kXorColumn;
    } else if (mode == "2d") {
      fec.mode = FecMode::kXorRowColumn;
    } else {
      return Bad(text, "mode must be row, column or 2d");
    }
    if (fec.mode == FecMode::kXorRow && d_given) {
      return Bad(text, "d applies to mode=column or mode=2d (a row repair covers l packets)");
    }
    fec.l = static_cast<uint8_t>(*l);
    fec.d = fec.mode == FecMode::kXorRow ? 0 : static_cast<uint8_t>(*d);
  } else {
    return Bad(text, "the scheme must be rs, adaptive, xor or none");
  }
  if (!params.empty()) return Bad(text, "unknown parameter \"" + params.begin()->first + "\"");
  if (!session::EncoderConfigFor(fec) || !ValidFecConfig(fec)) {
    return Bad(text,
               "parameters out of range (RS: m <= k, k + m <= 255, k x i <= 1024; "
               "XOR: l x d <= 1024)");
  }
  return fec;
}

}  // namespace hitless::apps
