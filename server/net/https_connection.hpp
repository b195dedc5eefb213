// Internal to net/: one HTTPS connection (shared by the HTTP request loop and
// the WebSocket stream it may become).
#pragma once

#include "net/https_listener.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>

namespace liaison::net {

struct https_connection {
  https_connection(boost::asio::ip::tcp::socket socket, https_context& c)
      : tls(std::atomic_load(&c.tls)), stream(std::move(socket), *tls), ctx(c) {
    boost::system::error_code ec;
    auto ep = stream.next_layer().remote_endpoint(ec);
    address = ec ? "unknown" : ep.address().to_string();
    peer = ec ? "unknown" : address + ":" + std::to_string(ep.port());
  }

  std::shared_ptr<boost::asio::ssl::context>
      tls;  // the context current at accept (reloads swap it)
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream;
  https_context& ctx;
  std::string address;                 // the source address, without the port
  std::string peer;                    // address:port
  std::optional<core::principal> who;  // from a registered client certificate
  // Asks whatever currently uses the socket to stop (on the connection's strand).
  std::function<void()> stop = [this] {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  };
};

// Takes over `connection` after an upgrade request for /v1/stream: checks the
// principal and subprotocol, accepts, then runs the stream to its end.
boost::asio::awaitable<void> run_stream(
    std::shared_ptr<https_connection> connection,
    boost::beast::http::request<boost::beast::http::string_body> upgrade);

}  // namespace liaison::net
