#include "net/frame_session.hpp"

#include "core/names.hpp"
#include "net/with_timeout.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

namespace liaison::net {

namespace asio = boost::asio;
using asio::awaitable;
using steady = std::chrono::steady_clock;

void audit_connection(broker::exchange& exchange, const core::principal* who,
                      const std::string& peer, std::string_view action, std::string subject,
                      std::string outcome, nlohmann::json detail) {
  detail["peer"] = peer;
  bool known = who && !who->id.empty();
  exchange.audit(
      core::audit_event{exchange.now(), known ? who->id : "tls:" + peer, known ? who->member : "",
                        std::string(action), std::move(subject), std::move(outcome),
                        detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

frame_session::frame_session(broker::exchange& exchange, asio::any_io_executor strand,
                             core::principal who, std::string peer, protocol::wire_format format,
                             frame_limits limits, std::string server_name,
                             std::function<void()> wake_writer)
    : exchange_(exchange),
      strand_(strand),
      who_(std::move(who)),
      peer_(std::move(peer)),
      limits_(limits),
      server_name_(std::move(server_name)),
      out_(std::make_shared<outbox>(limits.outbox_max_bytes, format, std::move(wake_writer))),
      capacity_(strand),
      delivery_flush_(strand) {}

void frame_session::audit(std::string_view action, std::string subject, std::string outcome,
                          nlohmann::json detail) {
  audit_connection(exchange_, &who_, peer_, action, std::move(subject), std::move(outcome),
                   std::move(detail));
}

void frame_session::fail(std::uint64_t correlation_id, const core::error& why) {
  if (failed_) return;
  failed_ = true;
  audit(core::audit_action::protocol_error, "", std::string(core::to_string(why.code)),
        {{"reason", why.message}});
  out_->push_reply(correlation_id, why, /*close_after=*/true);
}

awaitable<void> frame_session::dispatch(protocol::request req) {
  auto cid = req.correlation_id;
  if (auto* h = std::get_if<protocol::hello>(&req.body)) {
    on_hello(cid, *h);
    co_return;
  }
  if (!greeted_) {
    fail(cid, core::make_error(core::errc::failed_precondition, "the first frame must be Hello"));
    co_return;
  }
  if (auto* p = std::get_if<protocol::publish>(&req.body)) {
    co_await on_publish(cid, std::move(*p));
  } else if (auto* sub = std::get_if<protocol::subscribe>(&req.body)) {
    on_subscribe(cid, *sub);
  } else if (auto* a = std::get_if<protocol::ack>(&req.body)) {
    on_ack(cid, *a);
  } else if (auto* pg = std::get_if<protocol::ping>(&req.body)) {
    reply(cid, protocol::pong{pg->nonce});
  }
}

void frame_session::on_hello(std::uint64_t cid, const protocol::hello& h) {
  if (greeted_)
    return reply(cid, core::make_error(core::errc::failed_precondition, "Hello was already sent"));
  if (h.version != protocol::protocol_version)
    return fail(cid, core::make_error(core::errc::invalid_argument,
                                      "protocol version " + std::to_string(h.version) +
                                          " is not supported; this server speaks version " +
                                          std::to_string(protocol::protocol_version)));
  greeted_ = true;
  reply(cid, protocol::welcome{who_, server_name_, limits_.max_frame_bytes,
                               static_cast<std::uint32_t>(limits_.max_in_flight_publishes)});
}

awaitable<void> frame_session::on_publish(std::uint64_t cid, protocol::publish p) {
  auto decoded = protocol::decode_alert(p.signed_alert.payload);
  if (!decoded) {
    exchange_.reject_publish(who_, decoded.error());
    reply(cid, decoded.error());
    co_return;
  }
  while (in_flight_ >= limits_.max_in_flight_publishes && !ended_) {
    waiting_for_capacity_ = true;
    capacity_.expires_at(steady::time_point::max());
    auto [ec] = co_await capacity_.async_wait(use_nothrow);
    waiting_for_capacity_ = false;
    if (ec != asio::error::operation_aborted || ended_) co_return;
  }
  ++in_flight_;
  auto alert_id = decoded->id;
  auto self = shared_from_this();
  exchange_.publish(who_, *decoded, p.signed_alert,
                    [self, cid, alert_id](core::result<store::publish_outcome> r) {
                      asio::post(self->strand_, [self, cid, alert_id, r = std::move(r)] {
                        --self->in_flight_;
                        if (self->waiting_for_capacity_) self->capacity_.cancel();
                        if (r)
                          self->reply(cid, protocol::publish_result{alert_id, r->seq,
                                                                    r->received_at, r->duplicate});
                        else
                          self->reply(cid, r.error());
                      });
                    });
}

void frame_session::on_subscribe(std::uint64_t cid, const protocol::subscribe& sub) {
  if (!consumers_.contains(sub.consumer) && consumers_.size() >= limits_.max_consumers)
    return reply(cid, core::make_error(core::errc::resource_exhausted,
                                       "at most " + std::to_string(limits_.max_consumers) +
                                           " consumers per connection"));
  broker::start_position start;
  if (sub.start == protocol::start_from::seq)
    start = {broker::start_position::kind::from_seq, sub.from_seq};
  if (sub.start == protocol::start_from::only_new)
    start.from = broker::start_position::kind::only_new;
  auto name = sub.consumer;
  auto self = shared_from_this();
  exchange_.subscribe(who_, name, start, out_,
                      [self, cid, name](core::result<broker::subscription> r) {
                        asio::post(self->strand_, [self, cid, name, r = std::move(r)] {
                          if (!r) return self->reply(cid, r.error());
                          if (self->ended_) return self->exchange_.unsubscribe(r->consumer);
                          if (auto it = self->consumers_.find(name); it != self->consumers_.end())
                            self->exchange_.unsubscribe(it->second);
                          self->consumers_[name] = r->consumer;
                          // Subscribed is queued before the first Deliver.
                          self->reply(cid, protocol::subscribed{name, r->cursor, r->resume_after});
                          r->consumer->start();
                        });
                      });
}

void frame_session::on_ack(std::uint64_t cid, const protocol::ack& a) {
  auto it = consumers_.find(a.consumer);
  if (it == consumers_.end())
    return reply(cid, core::make_error(core::errc::failed_precondition,
                                       "no consumer '" + a.consumer.substr(0, 64) +
                                           "' on this connection; Subscribe first"));
  auto out = out_;
  exchange_.ack(who_, it->second, a.up_to_seq, [out, cid](core::result<void> r) {
    if (!r) out->push_reply(cid, r.error());
  });
}

void frame_session::written(const std::vector<outgoing>& batch) {
  // Each write is a disclosure: remember which alerts reached which consumer.
  for (const auto& item : batch)
    if (item.seq != 0) {
      delivered_[item.consumer].push_back(item.seq);
      ++delivered_count_;
    }
  if (delivered_count_ >= 4096) {
    flush_deliveries();
  } else if (delivered_count_ > 0 && !flush_scheduled_) {
    flush_scheduled_ = true;
    delivery_flush_.expires_after(delivery_audit_interval);
    delivery_flush_.async_wait([self = shared_from_this()](boost::system::error_code) {
      self->flush_scheduled_ = false;
      self->flush_deliveries();
    });
  }
  retire_failed_consumers();
  if (out_->wants_more())
    for (auto& [name, c] : consumers_) c->on_room();
}

void frame_session::flush_deliveries() {
  for (auto& [consumer, seqs] : delivered_)
    audit(core::audit_action::deliver, consumer, "ok", {{"member", who_.member}, {"seqs", seqs}});
  delivered_.clear();
  delivered_count_ = 0;
}

void frame_session::retire_failed_consumers() {
  for (const auto& name : out_->take_failed_consumers()) {
    auto it = consumers_.find(name);
    if (it == consumers_.end()) continue;
    exchange_.unsubscribe(it->second);
    consumers_.erase(it);
  }
}

void frame_session::end() {
  if (ended_) return;
  ended_ = true;
  flush_deliveries();
  delivery_flush_.cancel();
  for (auto& [name, c] : consumers_) exchange_.unsubscribe(c);
  consumers_.clear();
  out_->close();
  capacity_.cancel();
}

}  // namespace liaison::net
