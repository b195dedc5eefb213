#include "net/native_session.hpp"
#include "runtime/log.hpp"

#include "audit/event.hpp"
#include "core/names.hpp"
#include "net/linger.hpp"
#include "net/session_driver.hpp"
#include "net/tls.hpp"
#include "net/with_timeout.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame_reader.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

namespace liaison::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr auto close_grace = std::chrono::seconds(2);

constexpr session::transport_profile native_profile{
    core::audit_action::protocol_error,
    /*bad_frame_ends_connection=*/true,
    /*error_frame_on_limit_close=*/true,
    /*ping_frames=*/true,
};

// The native transport: the TLS stream, the frame splitter, the driver.
struct native_connection {
  native_connection(tcp::socket socket, native_context& c)
      : tls(std::atomic_load(&c.tls)), stream(std::move(socket), *tls), ctx(c) {
    boost::system::error_code ec;
    auto ep = stream.next_layer().remote_endpoint(ec);
    address = ec ? "unknown" : ep.address().to_string();
    peer = ec ? "unknown" : address + ":" + std::to_string(ep.port());
  }

  std::shared_ptr<asio::ssl::context> tls;  // the context current at accept (reloads swap it)
  asio::ssl::stream<tcp::socket> stream;
  native_context& ctx;
  std::string address;  // the source address, without the port
  std::string peer;     // address:port
  std::shared_ptr<session_driver> driver;
  bool linger = false;  // the last frame was an error: close gently

  void audit(core::audit_event e) { ctx.exchange.audit(std::move(e)); }
  audit::event event(std::string_view action, const core::principal* who = nullptr) {
    audit::event e(ctx.exchange.now(), action);
    e.from_peer(peer, who);
    return e;
  }
  // A stranger's failure: counted and summarised, never one audit row each.
  void failed(audit::auth_failure kind, std::string_view reason) {
    spdlog::debug("native connection {}: {} ({})", peer, audit::to_string(kind), reason);
    ctx.failures.record("native", address, kind, reason, ctx.exchange.now());
  }
  void cancel_io() {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  }
};

using connection_ptr = std::shared_ptr<native_connection>;

awaitable<bool> write_now(const connection_ptr& c, std::string bytes) {
  auto r = co_await with_timeout(asio::async_write(c->stream, asio::buffer(bytes), use_nothrow),
                                 c->ctx.limits.write_timeout);
  co_return r && !std::get<0>(*r);
}

awaitable<void> read_loop(connection_ptr c) {
  auto& d = *c->driver;
  protocol::frame_reader reader(c->ctx.limits.max_frame_bytes);
  for (;;) {
    for (;;) {
      if (!co_await d.may_read()) co_return;
      auto item = reader.next();
      if (item.state == protocol::frame_reader::status::need_more) break;
      if (item.state == protocol::frame_reader::status::too_large) {
        d.machine().on_too_large(item.declared_size);
        continue;  // may_read() is false now: the writer ends the connection
      }
      // Only a complete frame counts as activity: a client trickling bytes
      // does not keep its connection alive.
      auto request = protocol::decode_request(item.body, protocol::wire_format::native);
      if (!request)
        d.machine().on_bad_frame(request.error(), session_driver::now());
      else
        d.machine().on_request(std::move(*request), session_driver::now());
    }
    auto area = reader.prepare(read_chunk);
    auto [ec, n] =
        co_await c->stream.async_read_some(asio::buffer(area.data(), area.size()), use_nothrow);
    reader.commit(ec ? 0 : n);
    if (ec) co_return;
  }
}

awaitable<void> write_loop(connection_ptr c) {
  auto& d = *c->driver;
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    auto batch = co_await d.next_batch(write_batch_bytes);
    if (batch.empty()) co_return;
    // Many small frames go out in one TLS write.
    buffers.clear();
    bool close_after = false;
    for (const auto& item : batch) {
      if (!item.bytes.empty()) buffers.emplace_back(asio::buffer(item.bytes));
      if (item.shared) buffers.emplace_back(asio::buffer(*item.shared));
      close_after = close_after || item.close_after;
    }
    if (!buffers.empty()) {
      auto written = co_await with_timeout(asio::async_write(c->stream, buffers, use_nothrow),
                                           c->ctx.limits.write_timeout);
      if (!written || std::get<0>(*written)) co_return;
    }
    d.machine().on_written(batch, session_driver::now());
    if (close_after) {
      // An Error frame went last: let the client read it before the close.
      c->linger = !buffers.empty();
      co_return;
    }
  }
}

// The principal of the verified client certificate, or nullopt after
// answering and auditing why not.
awaitable<std::optional<core::principal>> authenticate(connection_ptr c,
                                                       std::uint64_t registration) {
  auto handshake =
      co_await with_timeout(c->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow),
                            c->ctx.limits.handshake_timeout);
  if (!handshake || std::get<0>(*handshake)) {
    if (!handshake) {
      c->failed(audit::auth_failure::handshake_timeout, "TLS handshake timed out");
    } else {
      std::string reason = peer_verify_error(c->stream.native_handle());
      if (reason.empty()) reason = "TLS handshake failed: " + std::get<0>(*handshake).message();
      c->failed(audit::auth_failure::tls, reason);
    }
    co_return std::nullopt;
  }
  auto name = peer_common_name(c->stream.native_handle());
  auto registry = c->ctx.exchange.registry();
  const auto* known = registry->find_principal(name);
  if (!known) {
    auto refusal =
        core::make_error(core::errc::unauthenticated, "certificate '" + name.substr(0, 64) +
                                                          "' is not registered with this exchange");
    c->failed(audit::auth_failure::unregistered, refusal.message);
    co_await write_now(c, protocol::encode_reply(0, refusal, protocol::wire_format::native));
    c->linger = true;
    co_return std::nullopt;
  }
  std::optional<core::error> refusal;
  switch (c->ctx.sessions.authenticate(registration, known->id,
                                       peer_serial(c->stream.native_handle()))) {
    case session_registry::admission::ok:
      break;
    case session_registry::admission::gone:
      co_return std::nullopt;
    case session_registry::admission::full:
      refusal = core::make_error(core::errc::resource_exhausted,
                                 "the server has no room for more connections (limit " +
                                     std::to_string(c->ctx.sessions.limits().max_authenticated) +
                                     "); retry later");
      break;
    case session_registry::admission::principal_full:
      refusal =
          core::make_error(core::errc::resource_exhausted,
                           "too many connections for '" + known->id + "' (limit " +
                               std::to_string(c->ctx.sessions.limits().max_per_principal) + ")");
      break;
  }
  if (refusal) {
    c->audit(c->event(core::audit_action::authenticate, known)
                 .subject(name.substr(0, 64))
                 .refused(*refusal)
                 .build());
    co_await write_now(c, protocol::encode_reply(0, *refusal, protocol::wire_format::native));
    c->linger = true;
    co_return std::nullopt;
  }
  c->audit(c->event(core::audit_action::authenticate, known)
               .subject(known->id)
               .with("role", core::to_string(known->role))
               .build());
  co_return *known;
}

awaitable<void> serve(connection_ptr c, std::uint64_t registration) {
  auto who = co_await authenticate(c, registration);
  if (!who) co_return;
  const auto& limits = c->ctx.limits;
  c->driver = session_driver::make(
      c->stream.get_executor(), c->ctx.exchange,
      session_setup{*who, c->peer, c->ctx.session_limits, native_profile, c->ctx.server_name,
                    limits.outbox_max_bytes, protocol::wire_format::native});
  co_await c->driver->run(read_loop(c), write_loop(c), [c] { c->cancel_io(); });
}

}  // namespace

session::limits native_session_limits(const config::native_section& native,
                                      const config::audit_section& audit,
                                      const config::presence_section& presence) {
  session::limits l;
  l.max_frame_bytes = native.max_frame_bytes;
  l.max_in_flight_publishes = native.max_in_flight_publishes;
  l.max_consumers = native.max_consumers_per_connection;
  // The handshake timeout covers the time to Hello too.
  l.hello_timeout = native.handshake_timeout;
  l.idle_timeout = native.idle_timeout;
  l.keepalive_interval = {};  // native clients send Ping frames themselves
  l.delivery_row_interval = audit.delivery_row_interval;
  l.delivery_row_max_seqs = audit.delivery_row_max_seqs;
  l.stall_after = presence.stall_after;
  return l;
}

awaitable<void> run_native_session(tcp::socket socket, native_context& ctx) {
  auto c = std::make_shared<native_connection>(std::move(socket), ctx);
  std::weak_ptr<native_connection> weak = c;
  auto registration = ctx.sessions.open(
      c->address,
      [weak] {
        if (auto self = weak.lock())
          asio::post(self->stream.get_executor(), [self] {
            if (self->driver)
              self->driver->stop();
            else
              self->cancel_io();
          });
      },
      std::chrono::steady_clock::now());
  if (!registration) {
    // Closed before TLS: a stranger's flood costs a counter, not a slot.
    c->failed(audit::auth_failure::capacity, "no free slot for connections still authenticating");
    boost::system::error_code ignored;
    c->stream.next_layer().close(ignored);
    co_return;
  }
  try {
    // The connection ends by closing TCP after the last frame: a TLS
    // close_notify would need the stream in a clean state, which a cancelled
    // read does not guarantee.
    co_await serve(c, *registration);
    if (c->linger)
      co_await linger_close(c->stream.next_layer(), 4 * ctx.limits.max_frame_bytes, close_grace);
  } catch (const std::exception& e) {
    runtime::log_event(runtime::log_level::error, "connection.error")
        .with("port", "native")
        .with("peer", c->peer)
        .with("error", e.what())
        .say("native connection " + c->peer + ": " + e.what());
  }
  if (c->driver) c->driver->stop();
  ctx.sessions.close(*registration);
  boost::system::error_code ignored;
  c->stream.next_layer().close(ignored);
}

}  // namespace liaison::net
