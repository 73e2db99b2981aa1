// Host resolution for udp:// endpoints (shared by UdpInput and UdpOutput).
//
// Stateless; resolving a name blocks, so call at startup only.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "transport/io/endpoint.h"

namespace hitless::endpoints {

// `host` as stored in UdpSpec (IPv6 without brackets; "" = 0.0.0.0).
// Errors (InvalidArgument): the name does not resolve.
absl::StatusOr<io::UdpEndpoint> ResolveUdp(std::string_view host, uint16_t port);

}  // namespace hitless::endpoints
