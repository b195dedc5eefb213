#include "net/https_listener.hpp"

#include "core/host_port.hpp"
#include "net/with_timeout.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <limits>
#include <stdexcept>

namespace liaison::net {

namespace asio = boost::asio;
using asio::ip::tcp;

https_listener::https_listener(asio::io_context& io, broker::exchange& exchange,
                               std::shared_ptr<asio::ssl::context> tls,
                               config::https_section limits, const http_router& router,
                               std::string server_name)
    : io_(io),
      acceptor_(io),
      connections_(limits.max_connections, std::numeric_limits<std::size_t>::max()),
      streams_(limits.max_connections, limits.max_streams_per_principal),
      ctx_{exchange, std::move(tls),        limits, connections_, streams_,
           router,   std::move(server_name)} {}

void https_listener::listen(const std::string& text) {
  auto hp = core::parse_host_port(text);
  if (!hp) throw std::runtime_error("https listen address '" + text + "' is not HOST:PORT");
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(hp->host, std::to_string(hp->port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve https listen address '" + text + "'");
  tcp::endpoint ep = *results.begin();
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw std::runtime_error("cannot listen on " + text + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

tcp::endpoint https_listener::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void https_listener::replace_tls(std::shared_ptr<asio::ssl::context> tls) {
  std::atomic_store(&ctx_.tls, std::move(tls));
}

void https_listener::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void https_listener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  connections_.stop_all();
}

asio::awaitable<void> https_listener::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      spdlog::warn("https accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_https_session(std::move(socket), ctx_), asio::detached);
  }
}

}  // namespace liaison::net
