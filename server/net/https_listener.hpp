// The HTTPS listener (Beast): the JSON API, health checks, metrics and the
// WebSocket stream on one TLS port. Same identity rules as the native
// protocol; a client certificate is requested but only required by the
// routes that need a principal.
#pragma once

#include "audit/failure_tally.hpp"
#include "broker/exchange.hpp"
#include "config/server_config.hpp"
#include "net/http_router.hpp"
#include "net/listener.hpp"
#include "net/session_registry.hpp"
#include "session/machine.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace liaison::net {

// Shared by all connections of the listener; outlives them.
struct https_context {
  broker::exchange& exchange;
  std::shared_ptr<boost::asio::ssl::context> tls;
  config::https_section limits;
  session::limits stream_limits;  // of the WebSocket streams
  session_registry& connections;  // every HTTPS connection (the total cap)
  session_registry& streams;      // WebSocket streams (per-principal cap)
  const http_router& router;
  audit::failure_tally& failures;  // failed authentications, summarised
  std::string server_name;
};

// Serves one connection: requests until the client closes, a limit is hit
// or it upgrades to a WebSocket stream. Never throws.
boost::asio::awaitable<void> run_https_session(boost::asio::ip::tcp::socket socket,
                                               https_context& ctx);

// The session limits of a WebSocket stream, from [https] and [audit].
session::limits stream_session_limits(const config::https_section& https,
                                      const config::audit_section& audit,
                                      const config::presence_section& presence);

class https_listener {
 public:
  https_listener(boost::asio::io_context& io, broker::exchange& exchange,
                 std::shared_ptr<boost::asio::ssl::context> tls, config::https_section limits,
                 session::limits stream_limits, const http_router& router,
                 audit::failure_tally& failures, std::string server_name);

  // Binds `host_port` (port 0 picks a free one); throws with the reason.
  void listen(const std::string& host_port) { listener_.listen(host_port); }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return listener_.local_endpoint(); }
  void start() { listener_.start(); }
  // Stops accepting and asks every connection to end.
  void stop();
  // New connections use `tls`; open ones keep theirs. Thread-safe.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);
  session_registry& streams() { return streams_; }
  session_registry& connections() { return connections_; }

 private:
  session_registry connections_;
  session_registry streams_;
  https_context ctx_;
  listener listener_;
};

}  // namespace liaison::net
