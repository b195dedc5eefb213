// The WebSocket stream (wss://HOST:PORT/v1/stream): a thin driver that feeds
// WebSocket messages to the same session machine as the native protocol. One
// message is one Frame: binary protobuf on liaison.v1.proto, protobuf's JSON
// mapping on liaison.v1.json.
#include "audit/event.hpp"
#include "core/names.hpp"
#include "net/https_connection.hpp"
#include "net/linger.hpp"
#include "net/session_driver.hpp"
#include "net/with_timeout.hpp"
#include "net/ws_guard_stream.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

namespace liaison::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using steady = std::chrono::steady_clock;

constexpr std::string_view proto_subprotocol = "liaison.v1.proto";
constexpr std::string_view json_subprotocol = "liaison.v1.json";
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr std::size_t read_chunk = 16 * 1024;

using guarded_tls = ws_guard_stream<asio::ssl::stream<asio::ip::tcp::socket>>;
using ws_stream = websocket::stream<guarded_tls>;

constexpr session::transport_profile stream_profile{
    core::audit_action::stream_close,
    /*bad_frame_ends_connection=*/false,
    /*error_frame_on_limit_close=*/false,
    /*ping_frames=*/false,  // the stream's keep-alive pings; a pong is traffic
};

struct stream_connection {
  stream_connection(std::shared_ptr<https_connection> from, protocol::wire_format f)
      : https(std::move(from)), ws(std::move(https->stream)), format(f) {}

  std::shared_ptr<https_connection> https;
  ws_stream ws;
  protocol::wire_format format;
  std::shared_ptr<session_driver> driver;
  // The server closed the stream: what the client still sends is read and
  // discarded for a moment before the socket closes.
  bool linger = false;

  const config::https_section& limits() const { return https->ctx.limits; }
  void cancel_io() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).cancel(ignored);
  }
};

// The WebSocket close that says why the machine ended the stream.
websocket::close_reason close_of(const std::optional<session::close_decision>& d) {
  if (!d) return websocket::close_reason(websocket::close_code::normal);
  auto reason = d->error.message;
  switch (d->reason) {
    case session::close_reason::protocol_error:
      return websocket::close_reason(websocket::close_code::policy_error,
                                     "protocol error; see the Error frame");
    case session::close_reason::too_large:
      return websocket::close_reason(websocket::close_code::too_big, reason);
    case session::close_reason::wrong_message_type:
      return websocket::close_reason(websocket::close_code::unknown_data, reason);
    case session::close_reason::bad_framing:
      return websocket::close_reason(websocket::close_code::protocol_error, reason);
    case session::close_reason::over_capacity:
      return websocket::close_reason(websocket::close_code::try_again_later, reason);
    case session::close_reason::hello_timeout:
    case session::close_reason::idle_timeout:
      return websocket::close_reason(websocket::close_code::going_away, reason);
  }
  return websocket::close_reason(websocket::close_code::normal);
}

using stream_ptr = std::shared_ptr<stream_connection>;

// The first subprotocol the client offers that we speak.
std::optional<protocol::wire_format> choose_subprotocol(std::string_view offered,
                                                        std::string& chosen) {
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto item = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == proto_subprotocol || item == json_subprotocol) {
      chosen = std::string(item);
      return item == proto_subprotocol ? protocol::wire_format::binary
                                       : protocol::wire_format::json;
    }
  }
  return std::nullopt;
}

awaitable<void> refuse_upgrade(std::shared_ptr<https_connection> c, const core::error& e,
                               unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(http_status(e.code)), version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::server, c->ctx.server_name);
  res.body() = error_reply(e).body;
  res.keep_alive(false);
  res.prepare_payload();
  co_await with_timeout(http::async_write(c->stream, res, use_nothrow),
                        c->ctx.limits.request_timeout);
}

// After the read side decided the close: stay until the writer has written
// it and the driver ends the connection.
awaitable<void> wait_for_end(stream_ptr s) {
  co_await s->driver->may_read();
}

awaitable<void> read_loop(stream_ptr s) {
  auto& d = *s->driver;
  const bool json = s->format == protocol::wire_format::json;
  const std::size_t limit = s->limits().max_body_bytes;
  beast::flat_buffer buffer;
  for (;;) {
    if (!co_await d.may_read()) co_return;
    // Read a message piece by piece, so that one over the limit is refused
    // without ever being held in memory, with our own close reason.
    buffer.clear();
    bool too_large = false;
    do {
      auto [ec, n] = co_await s->ws.async_read_some(buffer, read_chunk, use_nothrow);
      if (ec && s->ws.next_layer().broken()) {
        // Refused by a frame header, before any payload was waited for.
        if (s->ws.next_layer().verdict() == protocol::ws_frame_scanner::verdict::too_large)
          d.machine().on_too_large(s->ws.next_layer().announced());
        else
          d.machine().on_bad_framing(
              "a frame's 64-bit payload length has its most significant bit set (RFC 6455 5.2)");
        co_return co_await wait_for_end(s);
      }
      if (ec) co_return;
      d.machine().on_activity(session_driver::now());
      too_large = buffer.size() > limit;
    } while (!too_large && !s->ws.is_message_done());
    if (too_large) {
      d.machine().on_too_large(buffer.size());
      continue;
    }
    if (s->ws.got_text() != json) {
      d.machine().on_wrong_message_type(
          json ? "binary message on the liaison.v1.json subprotocol: send text"
               : "text message on the liaison.v1.proto subprotocol: send binary");
      continue;
    }
    auto request = protocol::decode_request(beast::buffers_to_string(buffer.data()), s->format);
    if (!request)
      d.machine().on_bad_frame(request.error(), session_driver::now());
    else
      d.machine().on_request(std::move(*request), session_driver::now());
  }
}

awaitable<void> write_loop(stream_ptr s) {
  auto& d = *s->driver;
  const auto limit = s->limits().request_timeout;
  for (;;) {
    auto batch = co_await d.next_batch(write_batch_bytes);
    if (batch.empty()) co_return;
    for (const auto& item : batch) {
      if (item.what == session::outgoing::kind::keepalive) {
        auto ping = co_await with_timeout(s->ws.async_ping({}, use_nothrow), limit);
        if (!ping || std::get<0>(*ping)) co_return;
      } else if (item.size() > 0) {
        std::array<asio::const_buffer, 2> buffers{
            asio::buffer(item.bytes),
            item.shared ? asio::buffer(*item.shared) : asio::const_buffer()};
        auto w = co_await with_timeout(s->ws.async_write(buffers, use_nothrow), limit);
        if (!w || std::get<0>(*w)) co_return;
      }
      if (item.close_after) {
        d.machine().on_written(batch, session_driver::now());
        auto close = close_of(d.machine().closing());
        if (s->ws.next_layer().broken()) {
          // Beast no longer writes on a stream whose transport failed.
          auto raw = raw_close_frame(static_cast<std::uint16_t>(close.code),
                                     std::string(close.reason.c_str()));
          co_await with_timeout(
              asio::async_write(s->ws.next_layer().next_layer(), asio::buffer(raw), use_nothrow),
              limit);
        } else {
          co_await with_timeout(s->ws.async_close(close, use_nothrow), limit);
        }
        // The client may still be sending (the rest of a refused message):
        // closing with unread input would reset the connection, and the
        // reset can destroy the close frame before the client reads it.
        s->linger = true;
        co_return;
      }
    }
    d.machine().on_written(batch, session_driver::now());
  }
}

}  // namespace

awaitable<void> run_stream(std::shared_ptr<https_connection> c,
                           http::request<http::string_body> upgrade) {
  auto& ctx = c->ctx;
  const core::principal* who = c->who ? &*c->who : nullptr;
  std::optional<core::error> refusal;
  std::string chosen;
  auto format =
      choose_subprotocol(std::string_view(upgrade[http::field::sec_websocket_protocol]), chosen);
  if (!who)
    refusal =
        core::make_error(core::errc::unauthenticated,
                         "the stream needs a client certificate registered with this exchange");
  else if (who->role != core::role::desk && who->role != core::role::partner)
    refusal = core::make_error(core::errc::permission_denied,
                               core::role_phrase(who->role) + " may not open a stream");
  else if (!format)
    refusal =
        core::make_error(core::errc::invalid_argument,
                         "Sec-WebSocket-Protocol must offer liaison.v1.proto or liaison.v1.json");
  if (refusal) {
    ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::stream_open)
                           .from_peer(c->peer, who)
                           .refused(*refusal)
                           .build());
    co_await refuse_upgrade(c, *refusal, upgrade.version());
    co_return;
  }

  auto s = std::make_shared<stream_connection>(c, *format);
  s->driver = session_driver::make(
      s->ws.get_executor(), ctx.exchange,
      session_setup{*who, c->peer, ctx.stream_limits, stream_profile, ctx.server_name,
                    ctx.limits.stream_outbox_max_bytes, *format});
  std::weak_ptr<stream_connection> weak = s;
  c->stop = [weak] {
    if (auto self = weak.lock()) self->driver->stop();
  };
  s->ws.set_option(websocket::stream_base::timeout{ctx.limits.request_timeout,
                                                   websocket::stream_base::none(), false});
  s->ws.set_option(websocket::stream_base::decorator(
      [chosen, server = ctx.server_name](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, chosen);
        res.set(http::field::server, server);
      }));
  // A message over max_body_bytes is refused by its frame header, before any
  // payload is read (the guard layer, close 1009); Beast's own limit and the
  // read loop's check of what it holds stand behind it.
  s->ws.next_layer().set_max_message(ctx.limits.max_body_bytes);
  s->ws.read_message_max(ctx.limits.max_body_bytes);
  s->ws.auto_fragment(false);
  if (*format == protocol::wire_format::json)
    s->ws.text(true);
  else
    s->ws.binary(true);
  // Pongs and pings are traffic: a partner system that only answers pings
  // stays connected.
  s->ws.control_callback([weak](websocket::frame_type, beast::string_view) {
    if (auto self = weak.lock()) self->driver->machine().on_activity(session_driver::now());
  });
  auto accepted =
      co_await with_timeout(s->ws.async_accept(upgrade, use_nothrow), ctx.limits.request_timeout);
  if (!accepted || std::get<0>(*accepted)) co_return;

  auto slot = ctx.streams.open(
      c->address, [] {}, std::chrono::steady_clock::now());
  auto& machine = s->driver->machine();
  if (!slot || ctx.streams.authenticate(*slot, who->id) != session_registry::admission::ok)
    machine.end_with(
        session::close_reason::over_capacity,
        core::make_error(core::errc::resource_exhausted,
                         "too many streams for " + who->id + " (limit " +
                             std::to_string(ctx.limits.max_streams_per_principal) + ")"));
  else
    machine.audit(core::audit_action::stream_open, chosen, "ok",
                  {{"role", core::to_string(who->role)}});
  co_await s->driver->run(read_loop(s), write_loop(s), [s] { s->cancel_io(); });
  if (s->linger)
    co_await linger_close(beast::get_lowest_layer(s->ws), ctx.limits.max_body_bytes,
                          std::chrono::seconds(2));
  if (slot) ctx.streams.close(*slot);
}

}  // namespace liaison::net
