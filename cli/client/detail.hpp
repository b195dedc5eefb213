// Internal to the client library: TLS set-up from an identity folder and
// running one asynchronous operation on a private io_context with a deadline.
#pragma once

#include "client/native_client.hpp"
#include "pki/identity.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <functional>
#include <utility>

namespace liaison::client::detail {

// TLS 1.3 only; the identity's certificate (unless `present_certificate` is
// false) and its CA as the only trust anchor. Throws client_error.
void configure_tls(boost::asio::ssl::context& tls, const pki::identity& id,
                   bool present_certificate = true);

// Connects `stream` to `server` (HOST:PORT), checks the server certificate's
// name and completes the TLS handshake, each step within `timeout`. Throws
// client_error.
void open_tls(boost::asio::io_context& io,
              boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
              const std::string& server, std::chrono::milliseconds timeout);

// Runs the operation `start` begins (its handler takes (error_code, size_t))
// until it completes or `limit` passes; then `cancel` is called, the
// operation is drained, and the result is timed_out.
template <class Start>
std::pair<boost::system::error_code, std::size_t> run_for(boost::asio::io_context& io,
                                                          const std::function<void()>& cancel,
                                                          Start start,
                                                          std::chrono::milliseconds limit) {
  boost::system::error_code result = boost::asio::error::would_block;
  std::size_t bytes = 0;
  bool done = false;
  start([&](boost::system::error_code ec, std::size_t n) {
    result = ec;
    bytes = n;
    done = true;
  });
  io.restart();
  io.run_for(limit);
  if (!done) {
    cancel();
    io.restart();
    io.run();
    // The operation may have completed before the cancellation reached it:
    // then its data is real and must not be dropped.
    if (result == boost::asio::error::operation_aborted ||
        result == boost::asio::error::would_block)
      return {boost::asio::error::timed_out, 0};
  }
  return {result, bytes};
}

}  // namespace liaison::client::detail
