// The native protocol's TCP listener: accepts connections, gives each its own
// strand and session coroutine, and enforces the connection limits.
#pragma once

#include "net/native_session.hpp"
#include "net/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

namespace liaison::net {

class native_listener {
 public:
  native_listener(boost::asio::io_context& io, broker::exchange& exchange,
                  std::shared_ptr<boost::asio::ssl::context> tls, config::native_section limits,
                  std::string server_name);

  // Binds `host_port` (port 0 picks a free one). Throws std::runtime_error
  // with the address and the reason, e.g. when it is already in use.
  void listen(const std::string& host_port);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void start();
  // Stops accepting and asks every session to end.
  void stop();
  // New connections use `tls` (a reloaded CRL, CA or certificate); open ones
  // keep theirs. Thread-safe.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);
  session_registry& sessions() { return sessions_; }

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  session_registry sessions_;
  native_context ctx_;
};

}  // namespace liaison::net
