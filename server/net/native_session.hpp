// One native-protocol connection: TLS 1.3 handshake under a deadline,
// principal from the client certificate, Hello/Welcome, then
// read_loop || write_loop || watchdog until one of them ends.
#pragma once

#include "broker/exchange.hpp"
#include "config/server_config.hpp"
#include "net/session_registry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace liaison::net {

// Shared by all sessions of one listener; outlives them.
struct native_context {
  broker::exchange& exchange;
  std::shared_ptr<boost::asio::ssl::context> tls;
  config::native_section limits;
  session_registry& sessions;
  std::string server_name;  // shown in Welcome
};

// Serves `socket` (whose executor is the connection's strand) to its end.
// Never throws.
boost::asio::awaitable<void> run_native_session(boost::asio::ip::tcp::socket socket,
                                                native_context& ctx);

}  // namespace liaison::net
