#include "net/https_listener.hpp"

#include <limits>

namespace liaison::net {

session::limits stream_session_limits(const config::https_section& https,
                                      const config::audit_section& audit,
                                      const config::presence_section& presence) {
  session::limits l;
  l.max_frame_bytes = static_cast<std::uint32_t>(https.max_body_bytes);
  l.max_in_flight_publishes = https.stream_max_in_flight_publishes;
  l.max_consumers = https.max_consumers_per_stream;
  // A stream has no handshake of its own after the upgrade: the first
  // message (Hello) and every later silence share the idle timeout.
  l.hello_timeout = https.stream_idle_timeout;
  l.idle_timeout = https.stream_idle_timeout;
  l.keepalive_interval = https.stream_ping_interval;
  l.delivery_row_interval = audit.delivery_row_interval;
  l.delivery_row_max_seqs = audit.delivery_row_max_seqs;
  l.stall_after = presence.stall_after;
  return l;
}

https_listener::https_listener(boost::asio::io_context& io, broker::exchange& exchange,
                               std::shared_ptr<boost::asio::ssl::context> tls,
                               config::https_section limits, session::limits stream_limits,
                               const http_router& router, audit::failure_tally& failures,
                               std::string server_name)
    : connections_(registry_limits{limits.max_connections, std::numeric_limits<std::size_t>::max(),
                                   limits.max_pending_connections, limits.max_pending_per_address}),
      // Streams are counted per principal only; their connections are above.
      streams_(registry_limits{limits.max_connections, limits.max_streams_per_principal,
                               std::numeric_limits<std::size_t>::max(),
                               std::numeric_limits<std::size_t>::max()}),
      ctx_{exchange, std::move(tls), limits,   stream_limits,         connections_,
           streams_, router,         failures, std::move(server_name)},
      listener_(io, "https", [this](boost::asio::ip::tcp::socket socket) {
        return run_https_session(std::move(socket), ctx_);
      }) {}

void https_listener::replace_tls(std::shared_ptr<boost::asio::ssl::context> tls) {
  std::atomic_store(&ctx_.tls, std::move(tls));
}

void https_listener::stop() {
  listener_.stop();
  connections_.stop_all();
}

}  // namespace liaison::net
