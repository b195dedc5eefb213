// Internal to net/: the layer under the WebSocket stream that watches the
// client's frame headers (protocol::ws_frame_scanner) as Beast reads them,
// so that a bad frame is refused by its header at once, before any payload
// is waited for: a message announced over the limit fails the read with
// websocket::error::message_too_big (the session closes with 1009), a
// 64-bit length with its top bit set with websocket::error::bad_size (1002).
// Beast gives up on a stream whose transport failed, so the session writes
// that close frame itself (raw_close_frame). Everything else passes through.
#pragma once

#include "protocol/ws_frame_scanner.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstdint>
#include <string>

namespace liaison::net {

template <class Next>
class ws_guard_stream {
 public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;

  // The scanner's limit is set before the first read (set_max_message).
  explicit ws_guard_stream(Next&& next) : next_(std::move(next)), scanner_(UINT64_MAX) {}
  void set_max_message(std::uint64_t bytes) { scanner_ = protocol::ws_frame_scanner(bytes); }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }
  // ok until the client broke the framing (the reads fail from then on).
  protocol::ws_frame_scanner::verdict verdict() const noexcept { return verdict_; }
  bool broken() const noexcept { return verdict_ != protocol::ws_frame_scanner::verdict::ok; }
  // The message size announced, for too_large.
  std::uint64_t announced() const noexcept { return scanner_.announced(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        [this, buffers, started = false](auto& self, boost::system::error_code ec = {},
                                         std::size_t n = 0) mutable {
          if (!started) {
            started = true;
            if (broken()) return self.complete(error_of(verdict_), 0);
            return next_.async_read_some(buffers, std::move(self));
          }
          if (!ec && n > 0) {
            std::size_t left = n;
            for (auto it = boost::asio::buffer_sequence_begin(buffers);
                 left > 0 && it != boost::asio::buffer_sequence_end(buffers); ++it) {
              const boost::asio::mutable_buffer part = *it;
              const auto take = std::min(left, part.size());
              verdict_ = scanner_.scan({static_cast<const char*>(part.data()), take});
              if (broken()) return self.complete(error_of(verdict_), 0);
              left -= take;
            }
          }
          self.complete(ec, n);
        },
        token, next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return next_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  static boost::system::error_code error_of(protocol::ws_frame_scanner::verdict v) {
    return v == protocol::ws_frame_scanner::verdict::too_large
               ? boost::beast::websocket::error::message_too_big
               : boost::beast::websocket::error::bad_size;
  }

  Next next_;
  protocol::ws_frame_scanner scanner_;
  protocol::ws_frame_scanner::verdict verdict_ = protocol::ws_frame_scanner::verdict::ok;
};

// The WebSocket close frame from a server (unmasked), for a stream Beast no
// longer writes to: FIN + close opcode, the length, the code, the reason
// (cut to fit the 125 bytes of a control frame).
inline std::string raw_close_frame(std::uint16_t code, std::string reason) {
  if (reason.size() > 123) reason.resize(123);
  std::string out;
  out.push_back(static_cast<char>(0x88));
  out.push_back(static_cast<char>(2 + reason.size()));
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out += reason;
  return out;
}

// Beast's teardown at the end of a close handshake, through to the TLS layer.
template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, ws_guard_stream<Next>& stream,
                    Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

template <class Next>
void teardown(boost::beast::role_type role, ws_guard_stream<Next>& stream,
              boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

}  // namespace liaison::net
