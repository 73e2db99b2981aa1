// MetricsServer: the relay's HTTP endpoint (Boost.Beast), for Prometheus
// and operators: GET /metrics (text exposition format), GET /streams (JSON),
// anything else 404, a method other than GET/HEAD 405.
//
// One request per connection (the reply closes it); at most kMaxConnections
// at once (more are closed at accept); a request must arrive within
// kRequestTimeout and its header fit in 8 KiB (no body is read). Runs on the
// relay's io_context thread, so the page handler reads the relay's state
// directly. State: the acceptor, the live connections' count.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace hitless::relay {

struct HttpPage {
  int status = 200;
  std::string content_type;
  std::string body;
};

class MetricsServer {
 public:
  static constexpr int kMaxConnections = 32;
  // Binds and listens on `endpoint` ("127.0.0.1:9100"); `page` answers a GET
  // for a path. Errors: bind/listen failures.
  using PageHandler = std::function<HttpPage(const std::string& path)>;
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Create(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      PageHandler page);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void Close();
  uint64_t requests() const { return *requests_; }

 private:
  MetricsServer(boost::asio::io_context& io, PageHandler page);
  void Accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<PageHandler> page_;
  std::shared_ptr<int> live_ = std::make_shared<int>(0);
  std::shared_ptr<uint64_t> requests_ = std::make_shared<uint64_t>(0);
};

}  // namespace hitless::relay
