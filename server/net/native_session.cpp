#include "net/native_session.hpp"

#include "core/names.hpp"
#include "net/frame_session.hpp"
#include "net/linger.hpp"
#include "net/tls.hpp"
#include "net/with_timeout.hpp"
#include "protocol/frame_reader.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

namespace liaison::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr auto close_grace = std::chrono::seconds(2);

// The native transport around a frame_session: the TLS stream, the frame
// splitter and the three loops.
struct native_connection {
  native_connection(tcp::socket socket, native_context& c)
      : tls(std::atomic_load(&c.tls)),
        stream(std::move(socket), *tls),
        ctx(c),
        wake(stream.get_executor()),
        closing(stream.get_executor()),
        watchdog_timer(stream.get_executor()),
        reader(c.limits.max_frame_bytes) {
    boost::system::error_code ec;
    auto ep = stream.next_layer().remote_endpoint(ec);
    peer = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  std::shared_ptr<asio::ssl::context> tls;  // the context current at accept (reloads swap it)
  asio::ssl::stream<tcp::socket> stream;
  native_context& ctx;
  asio::steady_timer wake;            // the writer's "outbox not empty" signal
  asio::steady_timer closing;         // the reader waits on it for the writer's last frame
  asio::steady_timer watchdog_timer;  // expires at `deadline` (or earlier, to re-arm)
  protocol::frame_reader reader;
  std::string peer;
  std::shared_ptr<frame_session> session;
  bool ended = false;
  bool timed_out = false;
  bool linger = false;  // the last frame was an error: close gently
  steady::time_point deadline;
  bool rearm = false;  // the watchdog was woken to wait for an earlier deadline

  // Moves the deadline; the watchdog, asleep until the old one, is woken when
  // the new one comes sooner (an idle timeout shorter than the handshake's).
  void set_deadline(steady::time_point next) {
    bool sooner = next < deadline;
    deadline = next;
    if (sooner) {
      rearm = true;
      watchdog_timer.cancel();
    }
  }

  void audit(std::string_view action, std::string subject, std::string outcome,
             nlohmann::json detail, const core::principal* who = nullptr) {
    audit_connection(ctx.exchange, who, peer, action, std::move(subject), std::move(outcome),
                     std::move(detail));
  }

  // Stops every pending operation: the loops see errors and end.
  void stop_io() {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
    wake.cancel();
    closing.cancel();
    if (session) session->end();
  }
};

using connection_ptr = std::shared_ptr<native_connection>;

awaitable<bool> write_now(const connection_ptr& c, std::string bytes) {
  auto r = co_await with_timeout(asio::async_write(c->stream, asio::buffer(bytes), use_nothrow),
                                 c->ctx.limits.write_timeout);
  co_return r && !std::get<0>(*r);
}

// After fail(): the writer sends the error and ends the connection, which
// cancels this wait; the timeout only guards against a stuck writer.
awaitable<void> wait_for_last_frame(connection_ptr c) {
  c->closing.expires_after(c->ctx.limits.write_timeout + close_grace);
  co_await c->closing.async_wait(use_nothrow);
}

awaitable<void> read_loop(connection_ptr c) {
  auto& s = *c->session;
  for (;;) {
    for (;;) {
      auto item = c->reader.next();
      if (item.state == protocol::frame_reader::status::need_more) break;
      if (item.state == protocol::frame_reader::status::too_large) {
        s.fail(0, core::make_error(core::errc::too_large,
                                   "frame of " + std::to_string(item.declared_size) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(c->ctx.limits.max_frame_bytes) + " bytes"));
        co_return co_await wait_for_last_frame(c);
      }
      // Only a complete frame counts as activity: a client trickling bytes
      // does not keep its connection alive.
      c->set_deadline(steady::now() + c->ctx.limits.idle_timeout);
      auto request = protocol::decode_request(item.body, protocol::wire_format::native);
      if (!request) {
        // The stream cannot be trusted after a frame that does not decode.
        s.fail(0, request.error());
        co_return co_await wait_for_last_frame(c);
      }
      co_await s.dispatch(std::move(*request));
      if (s.failed()) co_return co_await wait_for_last_frame(c);
      if (c->ended) co_return;
    }
    auto area = c->reader.prepare(read_chunk);
    auto [ec, n] =
        co_await c->stream.async_read_some(asio::buffer(area.data(), area.size()), use_nothrow);
    c->reader.commit(ec ? 0 : n);
    if (ec) co_return;
  }
}

awaitable<void> write_loop(connection_ptr c) {
  auto& s = *c->session;
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    s.retire_failed_consumers();
    auto batch = s.out()->take(write_batch_bytes);
    if (batch.empty()) {
      if (s.out()->closed()) co_return;
      c->wake.expires_at(steady::time_point::max());
      auto [ec] = co_await c->wake.async_wait(use_nothrow);
      if (ec != asio::error::operation_aborted || c->ended) co_return;
      continue;
    }
    // Many small frames go out in one TLS write.
    buffers.clear();
    bool close_after = false;
    for (const auto& item : batch) {
      buffers.emplace_back(asio::buffer(item.bytes));
      close_after = close_after || item.close_after;
    }
    auto written = co_await with_timeout(asio::async_write(c->stream, buffers, use_nothrow),
                                         c->ctx.limits.write_timeout);
    if (!written || std::get<0>(*written)) co_return;
    s.written(batch);
    if (close_after) {
      c->linger = true;
      co_return;
    }
  }
}

awaitable<void> watchdog(connection_ptr c) {
  for (;;) {
    c->rearm = false;
    c->watchdog_timer.expires_at(c->deadline);
    auto [ec] = co_await c->watchdog_timer.async_wait(use_nothrow);
    if (c->ended || (ec == asio::error::operation_aborted && !c->rearm)) co_return;
    if (steady::now() >= c->deadline) {
      c->timed_out = true;
      co_return;
    }
  }
}

// Runs `loop` and, whatever way it ends, stops the other two.
awaitable<void> until_done(connection_ptr c, awaitable<void> loop) {
  try {
    co_await std::move(loop);
  } catch (const std::exception& e) {
    spdlog::error("native connection {}: {}", c->peer, e.what());
  }
  c->ended = true;
  c->stop_io();
}

// The principal of the verified client certificate, or nullopt after
// answering and auditing why not.
awaitable<std::optional<core::principal>> authenticate(connection_ptr c,
                                                       std::uint64_t registration) {
  auto handshake =
      co_await with_timeout(c->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow),
                            c->ctx.limits.handshake_timeout);
  if (!handshake || std::get<0>(*handshake)) {
    std::string reason =
        !handshake ? "TLS handshake timed out" : peer_verify_error(c->stream.native_handle());
    if (reason.empty()) reason = "TLS handshake failed: " + std::get<0>(*handshake).message();
    c->audit(core::audit_action::authenticate, "", "UNAUTHENTICATED", {{"reason", reason}});
    co_return std::nullopt;
  }
  auto name = peer_common_name(c->stream.native_handle());
  auto registry = c->ctx.exchange.registry();
  const auto* known = registry->find_principal(name);
  std::optional<core::error> refusal;
  if (!known) {
    refusal =
        core::make_error(core::errc::unauthenticated, "certificate '" + name.substr(0, 64) +
                                                          "' is not registered with this exchange");
  } else if (!c->ctx.sessions.authenticate(registration, known->id,
                                           peer_serial(c->stream.native_handle()))) {
    refusal = core::make_error(core::errc::resource_exhausted,
                               "too many connections for '" + known->id + "' (limit " +
                                   std::to_string(c->ctx.sessions.max_per_principal()) + ")");
  }
  if (refusal) {
    c->audit(core::audit_action::authenticate, name.substr(0, 64),
             std::string(core::to_string(refusal->code)), {{"reason", refusal->message}}, known);
    co_await write_now(c, protocol::encode_reply(0, *refusal, protocol::wire_format::native));
    c->linger = true;
    co_return std::nullopt;
  }
  c->audit(core::audit_action::authenticate, known->id, "ok",
           {{"role", core::to_string(known->role)}}, known);
  co_return *known;
}

awaitable<void> serve(connection_ptr c, std::uint64_t registration) {
  auto who = co_await authenticate(c, registration);
  if (!who) co_return;
  std::weak_ptr<native_connection> weak = c;
  auto wake = [weak] {
    if (auto self = weak.lock())
      asio::post(self->stream.get_executor(), [self] { self->wake.cancel(); });
  };
  const auto& limits = c->ctx.limits;
  c->session = std::make_shared<frame_session>(
      c->ctx.exchange, c->stream.get_executor(), *who, c->peer, protocol::wire_format::native,
      frame_limits{limits.max_frame_bytes, limits.max_in_flight_publishes, limits.outbox_max_bytes,
                   16},
      c->ctx.server_name, wake);
  // Hello must arrive within the handshake timeout; later frames within the idle timeout.
  c->deadline = steady::now() + limits.handshake_timeout;
  using namespace asio::experimental::awaitable_operators;
  co_await (until_done(c, read_loop(c)) || until_done(c, write_loop(c)) ||
            until_done(c, watchdog(c)));
  if (c->timed_out)
    c->session->audit(
        core::audit_action::protocol_error, "", "DEADLINE_EXCEEDED",
        {{"reason",
          c->session->greeted() ? "idle timeout" : "no Hello within the handshake timeout"}});
}

}  // namespace

awaitable<void> run_native_session(tcp::socket socket, native_context& ctx) {
  auto c = std::make_shared<native_connection>(std::move(socket), ctx);
  std::weak_ptr<native_connection> weak = c;
  auto registration = ctx.sessions.open([weak] {
    if (auto self = weak.lock())
      asio::post(self->stream.get_executor(), [self] {
        self->ended = true;
        self->stop_io();
      });
  });
  if (!registration) {
    spdlog::warn("refusing connection from {}: the connection limit ({}) is reached", c->peer,
                 ctx.limits.max_connections);
    c->audit(core::audit_action::authenticate, "", "RESOURCE_EXHAUSTED",
             {{"reason", "connection limit reached"}});
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
    spdlog::error("native connection {}: {}", c->peer, e.what());
  }
  c->ended = true;
  if (c->session) c->session->end();
  ctx.sessions.close(*registration);
  boost::system::error_code ignored;
  c->stream.next_layer().close(ignored);
}

}  // namespace liaison::net
