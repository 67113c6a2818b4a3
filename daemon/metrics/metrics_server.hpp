// Serves the registry as Prometheus text over HTTP/1.1 (Boost.Beast) on the daemon's own Asio
// loop: GET /metrics answers the exposition, anything else 404 (405 for other methods). Meant
// for a scraper on a trusted network: no TLS, no authentication; bind it to 127.0.0.1 or a
// management address.
#pragma once

#include <memory>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "daemon/metrics/metrics_registry.hpp"

namespace deskgate {

class MetricsServer {
public:
    // Binds now (throws std::runtime_error naming the address when it cannot); `listen` is
    // "host:port", "[v6]:port" or ":port" (all addresses).
    MetricsServer(boost::asio::io_context& io, const std::string& listen, MetricsRegistry& registry);

    boost::asio::awaitable<void> run();  // accepts until stop()
    void stop();
    unsigned short port() const;  // the bound port (useful with port 0)

private:
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    MetricsRegistry& registry_;
    std::set<boost::asio::ip::tcp::socket*> open_;  // closed by stop(), so shutdown does not wait for scrapers
    bool stopping_ = false;
};

}  // namespace deskgate
