// One TCP listener of liaisond: binds, accepts (backing off briefly after a
// failed accept, e.g. out of file descriptors), gives each connection its
// own strand and runs `serve` for it. The native port and the HTTPS port are
// each one of these with their own serve function.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace liaison::net {

class listener {
 public:
  // `serve` runs on the connection's strand (the socket's executor) and must
  // not throw.
  using serve_fn = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

  // `name` ("native", "https") appears in messages and logs.
  listener(boost::asio::io_context& io, std::string name, serve_fn serve);

  // Binds `host_port` (port 0 picks a free one). Throws std::runtime_error
  // with the address and the reason, e.g. when it is already in use.
  void listen(const std::string& host_port);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting; open connections are the caller's to stop.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  const std::string name_;
  const serve_fn serve_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace liaison::net
