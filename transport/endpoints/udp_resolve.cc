// Implements udp_resolve.h.
#include "transport/endpoints/udp_resolve.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hitless::endpoints {

absl::StatusOr<io::UdpEndpoint> ResolveUdp(std::string_view host, uint16_t port) {
  const absl::string_view h(host.data(), host.size());
  if (host.empty()) return io::ParseEndpoint(absl::StrCat("0.0.0.0:", port));
  if (host.find(':') != std::string_view::npos) {
    return io::ParseEndpoint(absl::StrCat("[", h, "]:", port));
  }
  return io::ParseEndpoint(absl::StrCat(h, ":", port));
}

}  // namespace hitless::endpoints
