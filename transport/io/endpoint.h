// Parsing and formatting of UDP endpoints written as "host:port".
//
// Stateless helpers. Hosts are numeric IPv4 ("127.0.0.1"), bracketed IPv6
// ("[::1]") or a name resolved once at startup ("localhost"); ports are
// decimal 0..65535 (0 = pick an ephemeral port when binding).
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hitless::io {

using UdpEndpoint = boost::asio::ip::udp::endpoint;

// Parses "host:port". Errors name the text and the problem: InvalidArgument
// for a missing ':', an empty host, a bad or out-of-range port; Unavailable
// for a host name that does not resolve (a runtime failure, exit code 1).
// Name resolution blocks; call at startup only.
absl::StatusOr<UdpEndpoint> ParseEndpoint(std::string_view text);

// "1.2.3.4:5" or "[::1]:5".
std::string FormatEndpoint(const UdpEndpoint& endpoint);

}  // namespace hitless::io
