#include "daemon/metrics/metrics_server.hpp"

#include "daemon/logging.hpp"

#include <chrono>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace deskgate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint parseListen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("metrics listen '" + listen + "' needs host:port");
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned long p = 0;
    try {
        std::size_t used = 0;
        p = std::stoul(port, &used);
        if (used != port.size() || p > 65535) throw std::invalid_argument(port);
    } catch (const std::exception&) {
        throw std::runtime_error("metrics listen '" + listen + "': bad port '" + port + "'");
    }
    boost::system::error_code ec;
    auto address = host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("metrics listen '" + listen + "': '" + host + "' is not an IP address");
    return {address, static_cast<unsigned short>(p)};
}

std::shared_ptr<spdlog::logger> log() { return componentLog("metrics"); }

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, const std::string& listen, MetricsRegistry& registry)
    : io_(io), acceptor_(io), registry_(registry) {
    const auto endpoint = parseListen(listen);
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen for metrics on " + listen + ": " + ec.message());
}

unsigned short MetricsServer::port() const { return acceptor_.local_endpoint().port(); }

void MetricsServer::stop() {
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto* socket : open_) socket->close(ec);
}

asio::awaitable<void> MetricsServer::run() {
    while (!stopping_) {
        boost::system::error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopping_) break;
            log()->warn("metrics accept failed reason={}", ec.message());
            continue;
        }
        asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> MetricsServer::session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    open_.insert(&stream.socket());
    try {
        for (;;) {
            // A scraper that stops talking must not hold a connection for ever.
            stream.expires_after(std::chrono::seconds(30));
            http::request<http::string_body> request;
            co_await http::async_read(stream, buffer, request, asio::use_awaitable);
            http::response<http::string_body> response;
            response.version(request.version());
            response.set(http::field::server, "deskgate");
            const auto target = request.target();
            const bool metricsPath = target == "/metrics" || target.starts_with("/metrics?");
            if (request.method() != http::verb::get && request.method() != http::verb::head) {
                response.result(http::status::method_not_allowed);
                response.set(http::field::allow, "GET, HEAD");
                response.set(http::field::content_type, "text/plain");
                response.body() = "only GET\n";
            } else if (!metricsPath) {
                response.result(http::status::not_found);
                response.set(http::field::content_type, "text/plain");
                response.body() = "deskgate serves /metrics\n";
            } else {
                response.result(http::status::ok);
                // https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4)
                response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                response.body() = registry_.exposition();
            }
            response.keep_alive(request.keep_alive());
            response.prepare_payload();
            if (request.method() == http::verb::head) response.body().clear();
            co_await http::async_write(stream, response, asio::use_awaitable);
            if (!response.keep_alive()) break;
        }
    } catch (const boost::system::system_error& e) {
        // The scraper closed the connection (end_of_stream) or timed out: nothing to report.
        if (e.code() != http::error::end_of_stream && e.code() != beast::error::timeout &&
            e.code() != asio::error::connection_reset)
            log()->debug("metrics connection ended reason={}", e.code().message());
    } catch (const std::exception& e) {
        log()->warn("metrics request failed reason={}", e.what());
    }
    open_.erase(&stream.socket());
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace deskgate
