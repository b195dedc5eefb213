#include "net/listener.hpp"

#include "core/host_port.hpp"
#include "net/with_timeout.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <stdexcept>

namespace liaison::net {

namespace asio = boost::asio;
using asio::ip::tcp;

listener::listener(asio::io_context& io, std::string name, serve_fn serve)
    : io_(io), name_(std::move(name)), serve_(std::move(serve)), acceptor_(io) {}

void listener::listen(const std::string& text) {
  auto hp = core::parse_host_port(text);
  if (!hp) throw std::runtime_error(name_ + " listen address '" + text + "' is not HOST:PORT");
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(hp->host, std::to_string(hp->port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve " + name_ + " listen address '" + text + "'");
  tcp::endpoint ep = *results.begin();
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw std::runtime_error("cannot listen on " + text + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

tcp::endpoint listener::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void listener::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> listener::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors or similar: back off briefly rather than spin.
      spdlog::warn("{} accept failed: {}", name_, ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_(std::move(socket)), asio::detached);
  }
}

}  // namespace liaison::net
