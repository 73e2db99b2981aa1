// Implements srt_streamid.h.
#include "relay/srt_streamid.h"

#include "absl/strings/str_cat.h"

namespace hitless::relay {
namespace {

constexpr size_t kMaxStreamId = 512;

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("streamid: ", std::string(why)));
}

absl::StatusOr<SrtStreamRequest> Named(std::string_view name, bool publish) {
  if (name.empty()) return Invalid("names no stream");
  return SrtStreamRequest{.stream = std::string(name), .publish = publish};
}

}  // namespace

absl::StatusOr<SrtStreamRequest> ParseSrtStreamId(std::string_view id) {
  if (id.empty()) return Invalid("empty (name the stream: #!::r=NAME,m=publish or NAME)");
  if (id.size() > kMaxStreamId) return Invalid("longer than 512 bytes");
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Invalid("control character");
  }
  constexpr std::string_view kAccessControl = "#!::";
  if (id.starts_with(kAccessControl)) {
    std::string_view rest = id.substr(kAccessControl.size());
    std::string_view resource;
    bool publish = false;
    bool have_resource = false;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t eq = item.find('=');
      if (eq == std::string_view::npos)
        return Invalid(absl::StrCat("\"", std::string(item), "\" is not key=value"));
      const std::string_view key = item.substr(0, eq);
      const std::string_view value = item.substr(eq + 1);
      if (key == "r") {
        resource = value;
        have_resource = true;
      } else if (key == "m") {
        if (value == "publish") {
          publish = true;
        } else if (value == "request") {
          publish = false;
        } else {
          return Invalid(
              absl::StrCat("m=", std::string(value), ": the relay serves m=request and m=publish"));
        }
      }
    }
    if (!have_resource) return Invalid("#!:: without r=NAME");
    return Named(resource, publish);
  }
  if (id.starts_with("publish:")) return Named(id.substr(8), true);
  if (id.starts_with("read:")) return Named(id.substr(5), false);
  return Named(id, false);
}

}  // namespace hitless::relay
