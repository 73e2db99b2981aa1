// Implements endpoint.h.
#include "transport/io/endpoint.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hitless::io {

namespace asio = boost::asio;

absl::StatusOr<UdpEndpoint> ParseEndpoint(std::string_view input) {
  // Debian's abseil has its own absl::string_view; StrCat needs that type.
  const absl::string_view text(input.data(), input.size());
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid endpoint '", text, "': expected host:port"));
  }
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid endpoint '", text, "': write IPv6 addresses as [addr]:port"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid endpoint '", text, "': empty host"));
  }
  uint32_t port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port > 65535 ||
      port_text.find_first_not_of("0123456789") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid endpoint '", text, "': port '",
                                                   port_text, "' is not a number in 0..65535"));
  }
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (!ec) return UdpEndpoint(address, static_cast<uint16_t>(port));

  asio::io_context context;
  asio::ip::udp::resolver resolver(context);
  const auto results = resolver.resolve(std::string(host), std::string(port_text),
                                        asio::ip::udp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    // A runtime failure (the name service), not bad usage: Unavailable.
    return absl::UnavailableError(absl::StrCat("endpoint '", text, "': cannot resolve host '", host,
                                               "'", ec ? absl::StrCat(": ", ec.message()) : ""));
  }
  return results.begin()->endpoint();
}

std::string FormatEndpoint(const UdpEndpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

}  // namespace hitless::io
