// The native protocol's port: a listener whose connections run
// run_native_session, and the registry that enforces its connection limits.
#pragma once

#include "net/listener.hpp"
#include "net/native_session.hpp"
#include "net/session_registry.hpp"

#include <memory>
#include <string>

namespace liaison::net {

class native_listener {
 public:
  native_listener(boost::asio::io_context& io, broker::exchange& exchange,
                  std::shared_ptr<boost::asio::ssl::context> tls, config::native_section limits,
                  session::limits session_limits, audit::failure_tally& failures,
                  std::string server_name);

  // Binds `host_port` (port 0 picks a free one); throws with the reason.
  void listen(const std::string& host_port) { listener_.listen(host_port); }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return listener_.local_endpoint(); }
  void start() { listener_.start(); }
  // Stops accepting and asks every session to end.
  void stop();
  // New connections use `tls` (a reloaded CRL, CA or certificate); open ones
  // keep theirs. Thread-safe.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);
  session_registry& sessions() { return sessions_; }

 private:
  session_registry sessions_;
  native_context ctx_;
  listener listener_;
};

}  // namespace liaison::net
