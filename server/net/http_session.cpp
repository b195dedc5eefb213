#include "audit/event.hpp"
#include "core/names.hpp"
#include "net/https_connection.hpp"
#include "net/linger.hpp"
#include "net/tls.hpp"
#include "net/with_timeout.hpp"
#include "protocol/http_header_check.hpp"
#include "runtime/log.hpp"

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

// A request ends the connection with `status` and `why`: audited, answered,
// then a gentle close (the client may still be sending what we refused).
awaitable<void> refuse_and_close(connection_ptr c, unsigned status, const core::error& why,
                                 std::size_t linger_bytes) {
  auto& ctx = c->ctx;
  // A principal's refusal is a row of its own; a stranger's is counted and
  // summarised (a slowloris flood must not fill the audit log).
  if (c->who)
    ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::protocol_error)
                           .from_peer(c->peer, &*c->who)
                           .subject("https")
                           .refused(why)
                           .build());
  else
    ctx.failures.record("https", c->address, audit::auth_failure::protocol, why.message,
                        ctx.exchange.now(), why.code);
  auto reply = error_reply(why);
  reply.status = status;
  if (co_await write_reply(c, std::move(reply), 11, false))
    co_await linger_close(c->stream.next_layer(), linger_bytes, std::chrono::seconds(2));
}

// TLS, then who it is: a registered principal moves into the authenticated
// budget; a connection without one stays pending (health checks). False when
// the connection must end.
awaitable<bool> authenticate(connection_ptr c, std::uint64_t registration) {
  auto& ctx = c->ctx;
  auto handshake =
      co_await with_timeout(c->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow),
                            ctx.limits.handshake_timeout);
  if (!handshake || std::get<0>(*handshake)) {
    auto kind = !handshake ? audit::auth_failure::handshake_timeout : audit::auth_failure::tls;
    std::string reason =
        !handshake ? "TLS handshake timed out" : peer_verify_error(c->stream.native_handle());
    if (reason.empty()) reason = "TLS handshake failed: " + std::get<0>(*handshake).message();
    ctx.failures.record("https", c->address, kind, reason, ctx.exchange.now());
    co_return false;
  }
  auto name = peer_common_name(c->stream.native_handle());
  if (name.empty()) co_return true;
  auto registry = ctx.exchange.registry();
  const auto* p = registry->find_principal(name);
  if (!p) co_return true;  // its requests are refused (401) and counted
  auto admitted =
      ctx.connections.authenticate(registration, p->id, peer_serial(c->stream.native_handle()));
  if (admitted == session_registry::admission::ok) {
    c->who = *p;
    co_return true;
  }
  if (admitted != session_registry::admission::gone)
    ctx.exchange.audit(
        audit::event(ctx.exchange.now(), core::audit_action::authenticate)
            .from_peer(c->peer, p)
            .subject(p->id)
            .refused(core::make_error(
                core::errc::resource_exhausted,
                "the HTTPS listener has no room for more connections (limit " +
                    std::to_string(ctx.connections.limits().max_authenticated) + ")"))
            .build());
  co_return false;
}

awaitable<void> serve(connection_ptr c, std::uint64_t registration) {
  auto& ctx = c->ctx;
  if (!co_await authenticate(c, registration)) co_return;

  const protocol::http_header_limits header_limits{ctx.limits.max_header_fields,
                                                   ctx.limits.max_header_line_bytes};
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx.limits.max_header_bytes));
    parser.body_limit(ctx.limits.max_body_bytes);
    // The header first, under its own deadline: a client trickling its
    // headers (slowloris) is gone after header_timeout.
    auto header = co_await with_timeout(
        http::async_read_header(c->stream, buffer, parser, use_nothrow), ctx.limits.header_timeout);
    std::optional<boost::system::error_code> failed;
    if (header) {
      failed = std::get<0>(*header);
      if (!*failed) failed.reset();
    }
    if (!header || failed) {
      if (!header) {
        // A silent keep-alive connection just ends; a slow request gets
        // 408, an audit row and the close.
        if (parser.got_some())
          co_await refuse_and_close(
              c, 408,
              core::make_error(core::errc::deadline_exceeded,
                               "the request headers did not arrive within the header timeout of " +
                                   config::format_duration(ctx.limits.header_timeout)),
              ctx.limits.max_header_bytes);
      } else if (auto why = read_failure(*failed, ctx)) {
        // The client may still be sending a body we refused by its length.
        co_await refuse_and_close(
            c, *failed == http::error::header_limit ? 431u : http_status(why->code), *why,
            4 * ctx.limits.max_body_bytes);
      }
      co_return;
    }
    {
      std::vector<std::pair<std::string_view, std::string_view>> fields;
      for (const auto& f : parser.get())
        fields.emplace_back(std::string_view(f.name_string().data(), f.name_string().size()),
                            std::string_view(f.value().data(), f.value().size()));
      if (auto refusal = protocol::check_http_header(fields, header_limits)) {
        co_await refuse_and_close(c, refusal->status, refusal->error, ctx.limits.max_body_bytes);
        co_return;
      }
    }
    auto target = protocol::parse_http_target(
        std::string_view(parser.get().target().data(), parser.get().target().size()));
    if (boost::beast::websocket::is_upgrade(parser.get()) && target &&
        target->path == "/v1/stream") {
      co_await run_stream(c, parser.release());
      co_return;
    }
    // Then the body, if any.
    if (!parser.is_done()) {
      auto body = co_await with_timeout(http::async_read(c->stream, buffer, parser, use_nothrow),
                                        ctx.limits.request_timeout);
      if (!body) {
        co_await refuse_and_close(
            c, 408,
            core::make_error(core::errc::deadline_exceeded,
                             "the request body did not arrive within the request timeout of " +
                                 config::format_duration(ctx.limits.request_timeout)),
            ctx.limits.max_body_bytes);
        co_return;
      }
      if (auto ec = std::get<0>(*body)) {
        if (auto why = read_failure(ec, ctx))
          co_await refuse_and_close(c, http_status(why->code), *why, 4 * ctx.limits.max_body_bytes);
        co_return;
      }
    }
    auto& req = parser.get();
    http_reply reply;
    if (!target) {
      reply = error_reply(target.error());
    } else {
      http_request request;
      request.method = std::string(req.method_string());
      request.target = std::move(*target);
      request.body = std::move(req.body());
      request.header = [&req](std::string_view field) { return std::string(req[field]); };
      request_context rc{ctx.exchange, c->who ? &*c->who : nullptr, c->peer, request, &ctx.failures,
                         c->address};
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
  auto registration = ctx.connections.open(
      c->address,
      [weak] {
        if (auto self = weak.lock())
          asio::post(self->stream.get_executor(), [self] { self->stop(); });
      },
      std::chrono::steady_clock::now());
  if (!registration) {
    ctx.failures.record("https", c->address, audit::auth_failure::capacity,
                        "no free slot for connections still authenticating", ctx.exchange.now());
    co_return;
  }
  try {
    co_await serve(c, *registration);
  } catch (const std::exception& e) {
    runtime::log_event(runtime::log_level::error, "connection.error")
        .with("port", "https")
        .with("peer", c->peer)
        .with("error", e.what())
        .say("https connection " + c->peer + ": " + e.what());
  }
  ctx.connections.close(*registration);
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(c->stream).close(ignored);
}

}  // namespace liaison::net
