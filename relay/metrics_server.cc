// MetricsServer: one-request HTTP/1.1 connections on Boost.Beast.
#include "relay/metrics_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"

namespace hitless::relay {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr auto kRequestTimeout = std::chrono::seconds(5);

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, std::shared_ptr<MetricsServer::PageHandler> page,
                 std::shared_ptr<int> live, std::shared_ptr<uint64_t> requests)
      : stream_(std::move(socket)),
        page_(std::move(page)),
        live_(std::move(live)),
        requests_(std::move(requests)) {
    ++*live_;
  }
  ~HttpConnection() { --*live_; }

  void Start() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(0);
    stream_.expires_after(kRequestTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return;  // timeout, a closed connection, a malformed request
    ++*requests_;
    const auto& request = parser_->get();
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->keep_alive(false);
    response->set(http::field::server, "hitless-relay");
    HttpPage page;
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      page = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
      response->set(http::field::allow, "GET, HEAD");
    } else {
      std::string path(request.target());
      if (const size_t q = path.find('?'); q != std::string::npos) path.resize(q);
      page = (*page_)(path);
    }
    response->result(static_cast<http::status>(page.status));
    response->set(http::field::content_type, page.content_type);
    if (request.method() == http::verb::head) {
      response->content_length(page.body.size());
    } else {
      response->body() = std::move(page.body);
      response->prepare_payload();
    }
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8 * 1024};
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::shared_ptr<MetricsServer::PageHandler> page_;
  std::shared_ptr<int> live_;
  std::shared_ptr<uint64_t> requests_;
};

}  // namespace

MetricsServer::MetricsServer(boost::asio::io_context& io, PageHandler page)
    : acceptor_(io), page_(std::make_shared<PageHandler>(std::move(page))) {}

MetricsServer::~MetricsServer() { Close(); }

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Create(boost::asio::io_context& io,
                                                                     const tcp::endpoint& endpoint,
                                                                     PageHandler page) {
  std::unique_ptr<MetricsServer> s(new MetricsServer(io, std::move(page)));
  boost::system::error_code ec;
  s->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->acceptor_.bind(endpoint, ec);
  if (!ec) s->acceptor_.listen(64, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrFormat("cannot listen on TCP %s:%d for metrics: %s",
                                                  endpoint.address().to_string(), endpoint.port(),
                                                  ec.message()));
  }
  s->Accept();
  return s;
}

tcp::endpoint MetricsServer::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void MetricsServer::Close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void MetricsServer::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (*live_ >= kMaxConnections) {
        socket.close(ec);
      } else {
        std::make_shared<HttpConnection>(std::move(socket), page_, live_, requests_)->Start();
      }
    }
    Accept();
  });
}

}  // namespace hitless::relay
