// libFuzzer target: endpoint URLs (hitless-send/-recv parse whatever the
// command line holds). Every input is parsed as an input and as an output;
// a URL that parses must describe itself and re-parse identically.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "transport/endpoints/query.h"
#include "transport/endpoints/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hitless::endpoints;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Role role : {Role::kInput, Role::kOutput}) {
    auto spec = ParseEndpointUrl(text, role);
    if (!spec.ok()) {
      // Errors quote a bounded, escaped prefix of the URL.
      if (spec.status().message().size() > 2 * kMaxUrlLength) std::abort();
      continue;
    }
    (void)spec->SchemeName();
    auto again = ParseEndpointUrl(spec->url, role);
    if (!again.ok() || again->kind.index() != spec->kind.index()) std::abort();
  }
  (void)ParseBitrate(text);
  (void)ParseDurationText(text);
  (void)ParseByteSize(text, 0, UINT64_MAX);
  (void)PercentDecode(text);
  return 0;
}
