// One native-protocol connection: TLS 1.3 handshake under a deadline,
// principal from the client certificate, then the session machine driven by
// a frame reader and a writer that batches frames into one TLS write.
#pragma once

#include "audit/failure_tally.hpp"
#include "broker/exchange.hpp"
#include "config/server_config.hpp"
#include "net/session_registry.hpp"
#include "session/machine.hpp"

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
  session::limits session_limits;
  session_registry& sessions;
  audit::failure_tally& failures;  // failed authentications, summarised
  std::string server_name;         // shown in Welcome
};

// The session limits of a native connection, from [native] and [audit].
session::limits native_session_limits(const config::native_section& native,
                                      const config::audit_section& audit,
                                      const config::presence_section& presence);

// Serves `socket` (whose executor is the connection's strand) to its end.
// Never throws.
boost::asio::awaitable<void> run_native_session(boost::asio::ip::tcp::socket socket,
                                                native_context& ctx);

}  // namespace liaison::net
