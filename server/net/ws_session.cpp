// The WebSocket stream (wss://HOST:PORT/v1/stream): a thin adapter that feeds
// WebSocket messages to the same frame_session as the native protocol. One
// message is one Frame: binary protobuf on liaison.v1.proto, protobuf's JSON
// mapping on liaison.v1.json.
#include "core/names.hpp"
#include "net/frame_session.hpp"
#include "net/https_connection.hpp"
#include "net/with_timeout.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
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

using ws_stream = websocket::stream<asio::ssl::stream<asio::ip::tcp::socket>>;

struct stream_connection {
  stream_connection(std::shared_ptr<https_connection> from, protocol::wire_format f)
      : https(std::move(from)),
        ws(std::move(https->stream)),
        format(f),
        wake(ws.get_executor()),
        closing(ws.get_executor()) {}

  std::shared_ptr<https_connection> https;
  ws_stream ws;
  protocol::wire_format format;
  asio::steady_timer wake;     // the writer's "outbox not empty" signal, and its ping clock
  asio::steady_timer closing;  // a loop that asked for a close waits here
  std::shared_ptr<frame_session> session;
  steady::time_point last_activity = steady::now();
  websocket::close_reason close{websocket::close_code::normal};
  bool ended = false;

  const config::https_section& limits() const { return https->ctx.limits; }

  void stop_io() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).cancel(ignored);
    wake.cancel();
    closing.cancel();
    if (session) session->end();
  }

  // Ends the stream with `code` and `reason` after what is queued, and
  // audits why.
  void request_close(websocket::close_code code, std::string reason, std::string outcome) {
    if (close.code != websocket::close_code::normal) return;
    if (reason.size() > 120)
      reason.resize(120);  // a close frame carries at most 123 bytes of reason
    session->audit("stream.close", "", std::move(outcome),
                   {{"close_code", static_cast<int>(code)}, {"reason", reason}});
    close = websocket::close_reason(code, reason);
    session->out()->push_close();
  }
};

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

awaitable<void> wait_for_close(stream_ptr s) {
  s->closing.expires_after(s->limits().request_timeout);
  co_await s->closing.async_wait(use_nothrow);
}

awaitable<void> read_loop(stream_ptr s) {
  auto& session = *s->session;
  const bool json = s->format == protocol::wire_format::json;
  const std::size_t limit = s->limits().max_body_bytes;
  beast::flat_buffer buffer;
  for (;;) {
    // Read a message piece by piece, so that one over the limit is refused
    // without ever being held in memory, with our own close reason.
    buffer.clear();
    do {
      auto [ec, n] = co_await s->ws.async_read_some(buffer, read_chunk, use_nothrow);
      if (ec) co_return;
      s->last_activity = steady::now();
      if (buffer.size() > limit) {
        s->request_close(websocket::close_code::too_big,
                         "message over the limit of " + std::to_string(limit) + " bytes",
                         "TOO_LARGE");
        co_return co_await wait_for_close(s);
      }
    } while (!s->ws.is_message_done());
    if (s->ws.got_text() != json) {
      s->request_close(websocket::close_code::unknown_data,
                       json ? "binary message on the liaison.v1.json subprotocol: send text"
                            : "text message on the liaison.v1.proto subprotocol: send binary",
                       "INVALID_ARGUMENT");
      co_return co_await wait_for_close(s);
    }
    auto request = protocol::decode_request(beast::buffers_to_string(buffer.data()), s->format);
    if (!request) {
      // Messages stay framed, so the stream goes on after a bad one.
      session.audit(core::audit_action::protocol_error, "",
                    std::string(core::to_string(request.error().code)),
                    {{"reason", request.error().message}});
      session.out()->push_reply(0, request.error());
      continue;
    }
    co_await session.dispatch(std::move(*request));
    if (session.failed()) co_return co_await wait_for_close(s);
    if (s->ended) co_return;
  }
}

awaitable<void> write_loop(stream_ptr s) {
  auto& session = *s->session;
  for (;;) {
    session.retire_failed_consumers();
    auto batch = session.out()->take(write_batch_bytes);
    if (batch.empty()) {
      if (session.out()->closed()) co_return;
      // Quiet: ping after a while so that a dead peer is noticed.
      s->wake.expires_after(s->limits().stream_ping_interval);
      auto [ec] = co_await s->wake.async_wait(use_nothrow);
      if (s->ended) co_return;
      if (!ec) {
        auto ping =
            co_await with_timeout(s->ws.async_ping({}, use_nothrow), s->limits().request_timeout);
        if (!ping || std::get<0>(*ping)) co_return;
      }
      continue;
    }
    for (const auto& item : batch) {
      if (!item.bytes.empty()) {
        auto w = co_await with_timeout(s->ws.async_write(asio::buffer(item.bytes), use_nothrow),
                                       s->limits().request_timeout);
        if (!w || std::get<0>(*w)) co_return;
      }
      if (item.close_after) {
        if (s->close.code == websocket::close_code::normal && session.failed())
          s->close = websocket::close_reason(websocket::close_code::policy_error,
                                             "protocol error; see the Error frame");
        co_await with_timeout(s->ws.async_close(s->close, use_nothrow),
                              s->limits().request_timeout);
        co_return;
      }
    }
    session.written(batch);
  }
}

awaitable<void> watchdog(stream_ptr s) {
  asio::steady_timer timer(s->ws.get_executor());
  for (;;) {
    timer.expires_at(s->last_activity + s->limits().stream_idle_timeout);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec == asio::error::operation_aborted || s->ended) co_return;
    if (steady::now() >= s->last_activity + s->limits().stream_idle_timeout) {
      s->request_close(websocket::close_code::going_away,
                       "idle timeout: no traffic for " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              s->limits().stream_idle_timeout)
                                              .count()) +
                           " s",
                       "DEADLINE_EXCEEDED");
      co_return co_await wait_for_close(s);
    }
  }
}

awaitable<void> until_done(stream_ptr s, awaitable<void> loop) {
  try {
    co_await std::move(loop);
  } catch (const std::exception& e) {
    spdlog::error("stream {}: {}", s->https->peer, e.what());
  }
  s->ended = true;
  s->stop_io();
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
    refusal = core::make_error(
        core::errc::permission_denied,
        "a " + std::string(core::to_string(who->role)) + " principal may not open a stream");
  else if (!format)
    refusal =
        core::make_error(core::errc::invalid_argument,
                         "Sec-WebSocket-Protocol must offer liaison.v1.proto or liaison.v1.json");
  if (refusal) {
    audit_connection(ctx.exchange, who, c->peer, "stream.open", "",
                     std::string(core::to_string(refusal->code)), {{"reason", refusal->message}});
    co_await refuse_upgrade(c, *refusal, upgrade.version());
    co_return;
  }

  auto s = std::make_shared<stream_connection>(c, *format);
  std::weak_ptr<stream_connection> weak = s;
  c->stop = [weak] {
    if (auto self = weak.lock()) {
      self->ended = true;
      self->stop_io();
    }
  };
  s->ws.set_option(websocket::stream_base::timeout{ctx.limits.request_timeout,
                                                   websocket::stream_base::none(), false});
  s->ws.set_option(websocket::stream_base::decorator(
      [chosen, server = ctx.server_name](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, chosen);
        res.set(http::field::server, server);
      }));
  // The read loop enforces max_body_bytes itself, with a clear close reason.
  s->ws.read_message_max(0);
  s->ws.auto_fragment(false);
  if (*format == protocol::wire_format::json)
    s->ws.text(true);
  else
    s->ws.binary(true);
  s->ws.control_callback([weak](websocket::frame_type, beast::string_view) {
    if (auto self = weak.lock()) self->last_activity = steady::now();
  });
  auto accepted =
      co_await with_timeout(s->ws.async_accept(upgrade, use_nothrow), ctx.limits.request_timeout);
  if (!accepted || std::get<0>(*accepted)) co_return;

  auto wake = [weak] {
    if (auto self = weak.lock())
      asio::post(self->ws.get_executor(), [self] { self->wake.cancel(); });
  };
  s->session = std::make_shared<frame_session>(
      ctx.exchange, s->ws.get_executor(), *who, c->peer, *format,
      frame_limits{static_cast<std::uint32_t>(ctx.limits.max_body_bytes), 256,
                   ctx.limits.stream_outbox_max_bytes, 16},
      ctx.server_name, wake);

  auto slot = ctx.streams.open([] {});
  if (!slot || !ctx.streams.authenticate(*slot, who->id)) {
    auto limit = std::to_string(ctx.limits.max_streams_per_principal);
    s->request_close(websocket::close_code::try_again_later,
                     "too many streams for " + who->id + " (limit " + limit + ")",
                     "RESOURCE_EXHAUSTED");
    co_await write_loop(s);
    if (slot) ctx.streams.close(*slot);
    s->session->end();
    co_return;
  }
  s->session->audit("stream.open", chosen, "ok", {{"role", core::to_string(who->role)}});
  using namespace asio::experimental::awaitable_operators;
  co_await (until_done(s, read_loop(s)) || until_done(s, write_loop(s)) ||
            until_done(s, watchdog(s)));
  ctx.streams.close(*slot);
  s->session->end();
}

}  // namespace liaison::net
