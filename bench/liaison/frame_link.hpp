// One native-protocol connection of the load generator: mutual TLS 1.3 with
// an identity folder, Hello/Welcome, then frames in both directions on one
// io_context thread. Unlike the CLI's blocking client it never waits: frames
// queued while a write is in flight go out together in the next write
// (pipelining), and incoming frames are handed to a callback as they arrive.
// Not thread-safe: after start(), use it only on its io_context's thread.
#pragma once

#include "liaison/v1/frame.pb.h"
#include "pki/identity.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace liaison::bench {

class frame_link {
 public:
  using frame_handler = std::function<void(const liaison::v1::Frame&)>;
  using error_handler = std::function<void(const std::string&)>;

  // Connects and authenticates with `id` (blocking; call before the
  // io_context runs). Throws std::runtime_error on any failure, including an
  // Error frame in answer to Hello.
  frame_link(boost::asio::io_context& io, const pki::identity& id, const std::string& server);
  ~frame_link();
  frame_link(const frame_link&) = delete;
  frame_link& operator=(const frame_link&) = delete;

  // Blocking exchange before start(): sends `request` and returns the first
  // frame that answers it (same correlation id). Throws on failure.
  liaison::v1::Frame call_blocking(liaison::v1::Frame request);

  // Starts reading: every frame goes to `on_frame`; a connection failure to
  // `on_error` once.
  void start(frame_handler on_frame, error_handler on_error);

  // Queues a frame; returns its correlation id (assigned when 0).
  std::uint64_t send(liaison::v1::Frame& frame);
  void close();
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void read_more();
  void flush();
  void parse_frames();

  boost::asio::ssl::context tls_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  std::uint64_t next_id_ = 1;
  std::string queued_;   // frames waiting for the next write
  std::string writing_;  // the bytes of the write in flight
  bool write_in_flight_ = false;
  bool dispatching_ = false;  // inside parse_frames(): sends wait for one flush after it
  std::vector<char> in_;
  std::size_t in_len_ = 0;
  frame_handler on_frame_;
  error_handler on_error_;
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace liaison::bench
