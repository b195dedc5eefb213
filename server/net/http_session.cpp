#include "audit/event.hpp"
#include "core/names.hpp"
#include "net/https_connection.hpp"
#include "net/linger.hpp"
#include "net/tls.hpp"
#include "net/with_timeout.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

namespace liaison::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::awaitable;
using connection_ptr = std::shared_ptr<https_connection>;

template <class Response>
void set_common(Response& res, const http_reply& r, bool keep_alive, const std::string& server) {
  res.set(http::field::server, server);
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
}

awaitable<bool> write_reply(connection_ptr c, http_reply r, unsigned version, bool keep_alive) {
  auto limit = c->ctx.limits.request_timeout;
  if (!r.stream) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    set_common(res, r, keep_alive, c->ctx.server_name);
    res.body() = std::move(r.body);
    res.prepare_payload();
    auto w = co_await with_timeout(http::async_write(c->stream, res, use_nothrow), limit);
    co_return w && !std::get<0>(*w);
  }
  // Streamed (exports): chunked, one chunk in memory at a time.
  http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
  set_common(res, r, keep_alive, c->ctx.server_name);
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  auto head =
      co_await with_timeout(http::async_write_header(c->stream, serializer, use_nothrow), limit);
  if (!head || std::get<0>(*head)) co_return false;
  while (auto chunk = co_await r.stream()) {
    if (chunk->empty()) continue;
    auto w = co_await with_timeout(
        asio::async_write(c->stream, http::make_chunk(asio::buffer(*chunk)), use_nothrow), limit);
    if (!w || std::get<0>(*w)) co_return false;
  }
  auto last = co_await with_timeout(
      asio::async_write(c->stream, http::make_chunk_last(), use_nothrow), limit);
  co_return last && !std::get<0>(*last);
}

// Why a request could not be read, or nullopt when the client just left.
std::optional<core::error> read_failure(const boost::system::error_code& ec,
                                        const https_context& ctx) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::ssl::error::stream_truncated || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset)
    return std::nullopt;
  if (ec == http::error::header_limit)
    return core::make_error(core::errc::too_large, "the request line and headers exceed " +
                                                       std::to_string(ctx.limits.max_header_bytes) +
                                                       " bytes");
  if (ec == http::error::body_limit)
    return core::make_error(
        core::errc::too_large,
        "the request body exceeds " + std::to_string(ctx.limits.max_body_bytes) + " bytes");
  return core::make_error(core::errc::invalid_argument, "malformed HTTP request: " + ec.message());
}

awaitable<void> serve(connection_ptr c, std::uint64_t registration) {
  auto& ctx = c->ctx;
  auto handshake =
      co_await with_timeout(c->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow),
                            ctx.limits.request_timeout);
  if (!handshake || std::get<0>(*handshake)) {
    std::string reason =
        !handshake ? "TLS handshake timed out" : peer_verify_error(c->stream.native_handle());
    if (reason.empty()) reason = "TLS handshake failed: " + std::get<0>(*handshake).message();
    ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::authenticate)
                           .from_peer(c->peer)
                           .subject("https")
                           .refused(core::make_error(core::errc::unauthenticated, reason))
                           .build());
    co_return;
  }
  auto name = peer_common_name(c->stream.native_handle());
  if (!name.empty()) {
    auto registry = ctx.exchange.registry();
    if (const auto* p = registry->find_principal(name)) {
      c->who = *p;
      // Known to the registry, so that revoking the principal closes it too.
      ctx.connections.authenticate(registration, p->id, peer_serial(c->stream.native_handle()));
    }
  }

  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx.limits.max_header_bytes));
    parser.body_limit(ctx.limits.max_body_bytes);
    auto read = co_await with_timeout(http::async_read(c->stream, buffer, parser, use_nothrow),
                                      ctx.limits.request_timeout);
    if (!read) {
      // A silent keep-alive connection just ends; a slow request (a client
      // trickling its headers, say) gets 408, an audit row and the close.
      if (parser.got_some()) {
        auto why = core::make_error(core::errc::deadline_exceeded,
                                    "the request did not arrive within the request timeout of " +
                                        config::format_duration(ctx.limits.request_timeout));
        ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::protocol_error)
                               .from_peer(c->peer, c->who ? &*c->who : nullptr)
                               .subject("https")
                               .refused(why)
                               .build());
        auto reply = error_reply(why);
        // The client is still sending: linger, or its unread bytes turn the
        // close into a reset that can destroy the 408.
        if (co_await write_reply(c, std::move(reply), 11, false))
          co_await linger_close(c->stream.next_layer(), ctx.limits.max_header_bytes,
                                std::chrono::seconds(2));
      }
      co_return;
    }
    if (auto ec = std::get<0>(*read)) {
      if (auto why = read_failure(ec, ctx)) {
        ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::protocol_error)
                               .from_peer(c->peer, c->who ? &*c->who : nullptr)
                               .subject("https")
                               .refused(*why)
                               .build());
        auto reply = error_reply(*why);
        if (ec == http::error::header_limit) reply.status = 431;
        // The client may still be sending the body we refused.
        if (co_await write_reply(c, std::move(reply), 11, false))
          co_await linger_close(c->stream.next_layer(), 4 * ctx.limits.max_body_bytes,
                                std::chrono::seconds(2));
      }
      co_return;
    }
    auto& req = parser.get();
    auto target =
        protocol::parse_http_target(std::string_view(req.target().data(), req.target().size()));
    if (boost::beast::websocket::is_upgrade(req) && target && target->path == "/v1/stream") {
      co_await run_stream(c, parser.release());
      co_return;
    }
    http_reply reply;
    if (!target) {
      reply = error_reply(target.error());
    } else {
      http_request request;
      request.method = std::string(req.method_string());
      request.target = std::move(*target);
      request.body = std::move(req.body());
      request.header = [&req](std::string_view field) { return std::string(req[field]); };
      request_context rc{ctx.exchange, c->who ? &*c->who : nullptr, c->peer, request};
      reply = co_await ctx.router.handle(rc);
    }
    bool keep_alive = req.keep_alive();
    if (!co_await write_reply(c, std::move(reply), req.version(), keep_alive) || !keep_alive)
      co_return;
  }
}

}  // namespace

awaitable<void> run_https_session(asio::ip::tcp::socket socket, https_context& ctx) {
  auto c = std::make_shared<https_connection>(std::move(socket), ctx);
  std::weak_ptr<https_connection> weak = c;
  auto registration = ctx.connections.open([weak] {
    if (auto self = weak.lock()) asio::post(self->stream.get_executor(), [self] { self->stop(); });
  });
  if (!registration) {
    spdlog::warn("refusing https connection from {}: the connection limit ({}) is reached", c->peer,
                 ctx.limits.max_connections);
    co_return;
  }
  try {
    co_await serve(c, *registration);
  } catch (const std::exception& e) {
    spdlog::error("https connection {}: {}", c->peer, e.what());
  }
  ctx.connections.close(*registration);
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(c->stream).close(ignored);
}

}  // namespace liaison::net
