#include "net/native_listener.hpp"

namespace liaison::net {

native_listener::native_listener(boost::asio::io_context& io, broker::exchange& exchange,
                                 std::shared_ptr<boost::asio::ssl::context> tls,
                                 config::native_section limits, session::limits session_limits,
                                 audit::failure_tally& failures, std::string server_name)
    : sessions_(registry_limits{limits.max_connections, limits.max_connections_per_principal,
                                limits.max_pending_connections, limits.max_pending_per_address}),
      ctx_{exchange, std::move(tls),        limits, session_limits, sessions_,
           failures, std::move(server_name)},
      listener_(io, "native", [this](boost::asio::ip::tcp::socket socket) {
        return run_native_session(std::move(socket), ctx_);
      }) {}

void native_listener::stop() {
  listener_.stop();
  sessions_.stop_all();
}

void native_listener::replace_tls(std::shared_ptr<boost::asio::ssl::context> tls) {
  std::atomic_store(&ctx_.tls, std::move(tls));
}

}  // namespace liaison::net
