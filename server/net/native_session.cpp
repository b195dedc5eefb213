#include "net/native_session.hpp"

#include "core/names.hpp"
#include "net/outbox.hpp"
#include "net/tls.hpp"
#include "net/with_timeout.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame_reader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <map>

namespace liaison::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr std::size_t max_consumers_per_connection = 16;
constexpr auto close_grace = std::chrono::seconds(2);

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

struct session : std::enable_shared_from_this<session> {
  session(tcp::socket socket, native_context& c)
      : stream(std::move(socket), *c.tls),
        ctx(c),
        wake(stream.get_executor()),
        capacity(stream.get_executor()),
        closing(stream.get_executor()),
        reader(c.limits.max_frame_bytes) {
    boost::system::error_code ec;
    auto ep = stream.next_layer().remote_endpoint(ec);
    peer = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  asio::ssl::stream<tcp::socket> stream;
  native_context& ctx;
  asio::steady_timer wake;      // the writer's "outbox not empty" signal
  asio::steady_timer capacity;  // the reader's "a publish slot is free" signal
  asio::steady_timer closing;   // the reader waits on it for the writer's last frame
  protocol::frame_reader reader;
  std::shared_ptr<outbox> out;
  std::string peer;
  core::principal who;
  bool greeted = false;
  bool ended = false;
  bool timed_out = false;
  bool waiting_for_capacity = false;
  bool linger = false;  // the last frame was an error: close gently
  std::size_t in_flight = 0;
  steady::time_point deadline;
  std::map<std::string, std::shared_ptr<broker::consumer>> consumers;

  broker::exchange& exchange() { return ctx.exchange; }
  core::time_point now() const { return ctx.exchange.now(); }

  void audit(std::string_view action, std::string subject, std::string outcome, nlohmann::json detail) {
    detail["peer"] = peer;
    bool known = !who.id.empty();
    exchange().audit(core::audit_event{now(), known ? who.id : "tls:" + peer, who.member, std::string(action),
                                       std::move(subject), std::move(outcome), dump(detail)});
  }

  // Stops every pending operation: the loops see errors and end.
  void stop_io() {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
    wake.cancel();
    capacity.cancel();
    closing.cancel();
  }

  // Queues `why` as the last frame; the writer closes the connection after it.
  void fail(std::uint64_t correlation_id, const core::error& why) {
    audit(core::audit_action::protocol_error, "", std::string(core::to_string(why.code)), {{"reason", why.message}});
    out->push_reply(correlation_id, why, /*close_after=*/true);
  }

  void reply(std::uint64_t correlation_id, const protocol::reply_body& body) { out->push_reply(correlation_id, body); }

  void drop_failed_consumers() {
    for (const auto& name : out->take_failed_consumers()) {
      auto it = consumers.find(name);
      if (it == consumers.end()) continue;
      exchange().unsubscribe(it->second);
      consumers.erase(it);
    }
  }
};

using session_ptr = std::shared_ptr<session>;

awaitable<bool> write_now(const session_ptr& s, std::string bytes) {
  auto r = co_await with_timeout(asio::async_write(s->stream, asio::buffer(bytes), use_nothrow),
                                 s->ctx.limits.write_timeout);
  co_return r && !std::get<0>(*r);
}

// ---- requests ---------------------------------------------------------------

void on_hello(const session_ptr& s, std::uint64_t cid, const protocol::hello& h) {
  if (s->greeted) return s->reply(cid, core::make_error(core::errc::failed_precondition, "Hello was already sent"));
  if (h.version != protocol::protocol_version)
    return s->fail(cid, core::make_error(core::errc::invalid_argument,
                                         "protocol version " + std::to_string(h.version) +
                                             " is not supported; this server speaks version " +
                                             std::to_string(protocol::protocol_version)));
  s->greeted = true;
  s->reply(cid, protocol::welcome{s->who, s->ctx.server_name, s->ctx.limits.max_frame_bytes,
                                  static_cast<std::uint32_t>(s->ctx.limits.max_in_flight_publishes)});
}

awaitable<void> on_publish(session_ptr s, std::uint64_t cid, protocol::publish p) {
  auto decoded = protocol::decode_alert(p.signed_alert.payload);
  if (!decoded) {
    s->exchange().reject_publish(s->who, decoded.error());
    s->reply(cid, decoded.error());
    co_return;
  }
  // Bounded pipelining: beyond the in-flight limit, stop reading (TCP pushes
  // back on the client) until a result frees a slot.
  while (s->in_flight >= s->ctx.limits.max_in_flight_publishes && !s->ended) {
    s->waiting_for_capacity = true;
    s->capacity.expires_at(steady::time_point::max());
    auto [ec] = co_await s->capacity.async_wait(use_nothrow);
    s->waiting_for_capacity = false;
    if (ec != asio::error::operation_aborted || s->ended) co_return;
  }
  ++s->in_flight;
  auto alert_id = decoded->id;
  s->exchange().publish(s->who, *decoded, p.signed_alert,
                        [s, cid, alert_id](core::result<store::publish_outcome> r) {
                          asio::post(s->stream.get_executor(), [s, cid, alert_id, r = std::move(r)] {
                            --s->in_flight;
                            if (s->waiting_for_capacity) s->capacity.cancel();
                            if (r)
                              s->reply(cid, protocol::publish_result{alert_id, r->seq, r->received_at, r->duplicate});
                            else
                              s->reply(cid, r.error());
                          });
                        });
}

void on_subscribe(const session_ptr& s, std::uint64_t cid, const protocol::subscribe& sub) {
  if (!s->consumers.contains(sub.consumer) && s->consumers.size() >= max_consumers_per_connection)
    return s->reply(cid, core::make_error(core::errc::resource_exhausted,
                                          "at most " + std::to_string(max_consumers_per_connection) +
                                              " consumers per connection"));
  broker::start_position start;
  if (sub.start == protocol::start_from::seq) start = {broker::start_position::kind::from_seq, sub.from_seq};
  if (sub.start == protocol::start_from::only_new) start.from = broker::start_position::kind::only_new;
  auto name = sub.consumer;
  s->exchange().subscribe(s->who, name, start, s->out, [s, cid, name](core::result<broker::subscription> r) {
    asio::post(s->stream.get_executor(), [s, cid, name, r = std::move(r)] {
      if (!r) return s->reply(cid, r.error());
      if (s->ended) return s->exchange().unsubscribe(r->consumer);
      if (auto it = s->consumers.find(name); it != s->consumers.end()) s->exchange().unsubscribe(it->second);
      s->consumers[name] = r->consumer;
      // Subscribed is queued before the first Deliver.
      s->reply(cid, protocol::subscribed{name, r->cursor, r->resume_after});
      r->consumer->start();
    });
  });
}

void on_ack(const session_ptr& s, std::uint64_t cid, const protocol::ack& a) {
  auto it = s->consumers.find(a.consumer);
  if (it == s->consumers.end())
    return s->reply(cid, core::make_error(core::errc::failed_precondition,
                                          "no consumer '" + a.consumer.substr(0, 64) +
                                              "' on this connection; Subscribe first"));
  auto out = s->out;
  s->exchange().ack(s->who, it->second, a.up_to_seq, [out, cid](core::result<void> r) {
    if (!r) out->push_reply(cid, r.error());
  });
}

awaitable<void> dispatch(session_ptr s, protocol::request req) {
  auto cid = req.correlation_id;
  if (auto* h = std::get_if<protocol::hello>(&req.body)) {
    on_hello(s, cid, *h);
    co_return;
  }
  if (!s->greeted) {
    s->fail(cid, core::make_error(core::errc::failed_precondition, "the first frame must be Hello"));
    co_return;
  }
  if (auto* p = std::get_if<protocol::publish>(&req.body)) {
    co_await on_publish(s, cid, std::move(*p));
  } else if (auto* sub = std::get_if<protocol::subscribe>(&req.body)) {
    on_subscribe(s, cid, *sub);
  } else if (auto* a = std::get_if<protocol::ack>(&req.body)) {
    on_ack(s, cid, *a);
  } else if (auto* pg = std::get_if<protocol::ping>(&req.body)) {
    s->reply(cid, protocol::pong{pg->nonce});
  }
}

// ---- the three loops ----------------------------------------------------------

// After fail(): the writer sends the error and ends the connection, which
// cancels this wait; the timeout only guards against a writer that is stuck.
awaitable<void> wait_for_last_frame(session_ptr s) {
  s->closing.expires_after(s->ctx.limits.write_timeout + close_grace);
  co_await s->closing.async_wait(use_nothrow);
}

awaitable<void> read_loop(session_ptr s) {
  for (;;) {
    for (;;) {
      auto item = s->reader.next();
      if (item.state == protocol::frame_reader::status::need_more) break;
      if (item.state == protocol::frame_reader::status::too_large) {
        s->fail(0, core::make_error(core::errc::too_large,
                                    "frame of " + std::to_string(item.declared_size) + " bytes exceeds the limit of " +
                                        std::to_string(s->ctx.limits.max_frame_bytes) + " bytes"));
        co_return co_await wait_for_last_frame(s);
      }
      s->deadline = steady::now() + s->ctx.limits.idle_timeout;
      auto req = protocol::decode_request(item.body, protocol::wire_format::native);
      if (!req) {
        s->fail(0, req.error());
        co_return co_await wait_for_last_frame(s);
      }
      co_await dispatch(s, std::move(*req));
      if (s->ended) co_return;
    }
    auto area = s->reader.prepare(read_chunk);
    auto [ec, n] = co_await s->stream.async_read_some(asio::buffer(area.data(), area.size()), use_nothrow);
    s->reader.commit(ec ? 0 : n);
    if (ec) co_return;
  }
}

awaitable<void> write_loop(session_ptr s) {
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    s->drop_failed_consumers();
    auto batch = s->out->take(write_batch_bytes);
    if (batch.empty()) {
      if (s->out->closed()) co_return;
      s->wake.expires_at(steady::time_point::max());
      auto [ec] = co_await s->wake.async_wait(use_nothrow);
      if (ec != asio::error::operation_aborted || s->ended) co_return;
      continue;
    }
    buffers.clear();
    bool close_after = false;
    for (const auto& item : batch) {
      buffers.emplace_back(asio::buffer(item.bytes));
      close_after = close_after || item.close_after;
    }
    auto written = co_await with_timeout(asio::async_write(s->stream, buffers, use_nothrow), s->ctx.limits.write_timeout);
    if (!written || std::get<0>(*written)) co_return;
    // Each write is a disclosure: record which alerts reached which consumer.
    std::map<std::string, std::vector<std::uint64_t>> delivered;
    for (const auto& item : batch)
      if (item.seq != 0) delivered[item.consumer].push_back(item.seq);
    for (auto& [consumer, seqs] : delivered)
      s->audit(core::audit_action::deliver, consumer, "ok", {{"member", s->who.member}, {"seqs", seqs}});
    if (close_after) {
      s->linger = true;
      co_return;
    }
    if (s->out->wants_more())
      for (auto& [name, c] : s->consumers) c->on_room();
  }
}

awaitable<void> watchdog(session_ptr s) {
  asio::steady_timer timer(s->stream.get_executor());
  for (;;) {
    timer.expires_at(s->deadline);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec == asio::error::operation_aborted || s->ended) co_return;
    if (steady::now() >= s->deadline) {
      s->timed_out = true;
      co_return;
    }
  }
}

// Runs `loop` and, whatever way it ends, stops the other two.
awaitable<void> until_done(session_ptr s, awaitable<void> loop) {
  try {
    co_await std::move(loop);
  } catch (const std::exception& e) {
    spdlog::error("native session {} ({}): {}", s->peer, s->who.id, e.what());
  }
  s->ended = true;
  s->stop_io();
}

// ---- connection set-up -----------------------------------------------------

awaitable<bool> authenticate(const session_ptr& s, std::uint64_t registration) {
  auto handshake = co_await with_timeout(s->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow),
                                         s->ctx.limits.handshake_timeout);
  if (!handshake || std::get<0>(*handshake)) {
    std::string reason = !handshake ? "TLS handshake timed out" : peer_verify_error(s->stream.native_handle());
    if (reason.empty()) reason = "TLS handshake failed: " + std::get<0>(*handshake).message();
    s->audit(core::audit_action::authenticate, "", "UNAUTHENTICATED", {{"reason", reason}});
    co_return false;
  }
  auto name = peer_common_name(s->stream.native_handle());
  auto registry = s->exchange().registry();
  const auto* known = registry->find_principal(name);
  if (!known) {
    core::error e = core::make_error(core::errc::unauthenticated,
                                     "certificate '" + name.substr(0, 64) + "' is not registered with this exchange");
    s->audit(core::audit_action::authenticate, name.substr(0, 64), "UNAUTHENTICATED", {{"reason", e.message}});
    co_await write_now(s, protocol::encode_reply(0, e, protocol::wire_format::native));
    s->linger = true;
    co_return false;
  }
  s->who = *known;
  if (!s->ctx.sessions.authenticate(registration, s->who.id)) {
    core::error e = core::make_error(core::errc::resource_exhausted,
                                     "too many connections for '" + s->who.id + "' (limit " +
                                         std::to_string(s->ctx.sessions.max_per_principal()) + ")");
    s->audit(core::audit_action::authenticate, s->who.id, "RESOURCE_EXHAUSTED", {{"reason", e.message}});
    co_await write_now(s, protocol::encode_reply(0, e, protocol::wire_format::native));
    s->linger = true;
    co_return false;
  }
  s->audit(core::audit_action::authenticate, s->who.id, "ok", {{"role", core::to_string(s->who.role)}});
  co_return true;
}

awaitable<void> serve(session_ptr s, std::uint64_t registration) {
  if (!co_await authenticate(s, registration)) co_return;
  std::weak_ptr<session> weak = s;
  s->out = std::make_shared<outbox>(s->ctx.limits.outbox_max_bytes, protocol::wire_format::native, [weak] {
    if (auto self = weak.lock()) asio::post(self->stream.get_executor(), [self] { self->wake.cancel(); });
  });
  // Hello must arrive within the handshake timeout; later frames within the idle timeout.
  s->deadline = steady::now() + s->ctx.limits.handshake_timeout;
  using namespace asio::experimental::awaitable_operators;
  co_await (until_done(s, read_loop(s)) || until_done(s, write_loop(s)) || until_done(s, watchdog(s)));
  if (s->timed_out) {
    s->audit(core::audit_action::protocol_error, "", "DEADLINE_EXCEEDED",
             {{"reason", s->greeted ? "idle timeout" : "no Hello within the handshake timeout"}});
  }
}

// After a final error frame: stop sending, then read and discard what the
// client still sends for a moment. Closing with unread input would make the
// kernel answer with a reset, which can destroy the error frame before the
// client reads it.
awaitable<void> linger(session_ptr s) {
  boost::system::error_code ec;
  s->stream.next_layer().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 16 * 1024> sink;
  auto until = steady::now() + close_grace;
  for (std::size_t drained = 0; drained < 4 * s->ctx.limits.max_frame_bytes && steady::now() < until;) {
    auto r = co_await with_timeout(s->stream.next_layer().async_read_some(asio::buffer(sink), use_nothrow),
                                   until - steady::now());
    if (!r || std::get<0>(*r)) break;
    drained += std::get<1>(*r);
  }
}

}  // namespace

awaitable<void> run_native_session(tcp::socket socket, native_context& ctx) {
  auto s = std::make_shared<session>(std::move(socket), ctx);
  std::weak_ptr<session> weak = s;
  auto registration = ctx.sessions.open([weak] {
    if (auto self = weak.lock())
      asio::post(self->stream.get_executor(), [self] {
        self->ended = true;
        self->stop_io();
      });
  });
  if (!registration) {
    spdlog::warn("refusing connection from {}: the connection limit ({}) is reached", s->peer,
                 ctx.limits.max_connections);
    s->audit(core::audit_action::authenticate, "", "RESOURCE_EXHAUSTED", {{"reason", "connection limit reached"}});
    co_return;
  }
  try {
    // The connection ends by closing TCP after the last frame: a TLS
    // close_notify would need the stream in a clean state, which a cancelled
    // read does not guarantee.
    co_await serve(s, *registration);
    if (s->linger) co_await linger(s);
  } catch (const std::exception& e) {
    spdlog::error("native session {}: {}", s->peer, e.what());
  }
  s->ended = true;
  for (auto& [name, c] : s->consumers) ctx.exchange.unsubscribe(c);
  s->consumers.clear();
  if (s->out) s->out->close();
  ctx.sessions.close(*registration);
  boost::system::error_code ignored;
  s->stream.next_layer().close(ignored);
}

}  // namespace liaison::net
