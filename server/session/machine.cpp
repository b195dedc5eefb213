#include "session/machine.hpp"

#include "audit/event.hpp"
#include "config/server_config.hpp"
#include "core/names.hpp"
#include "protocol/codec.hpp"

namespace liaison::session {

std::string_view to_string(close_reason r) {
  switch (r) {
    case close_reason::protocol_error:
      return "protocol_error";
    case close_reason::too_large:
      return "too_large";
    case close_reason::wrong_message_type:
      return "wrong_message_type";
    case close_reason::bad_framing:
      return "bad_framing";
    case close_reason::over_capacity:
      return "over_capacity";
    case close_reason::hello_timeout:
      return "hello_timeout";
    case close_reason::idle_timeout:
      return "idle_timeout";
  }
  return "unknown";
}

machine::machine(broker::exchange_port& port, core::principal who, std::string peer, limits lim,
                 transport_profile profile, std::string server_name, std::shared_ptr<outbox> out,
                 std::function<void()> notify, steady_time now)
    : port_(port),
      who_(std::move(who)),
      peer_(std::move(peer)),
      limits_(lim),
      profile_(profile),
      server_name_(std::move(server_name)),
      out_(std::move(out)),
      notify_(std::move(notify)),
      started_(now),
      last_activity_(now),
      last_write_(now) {}

void machine::audit(std::string_view action, std::string subject, std::string_view outcome,
                    nlohmann::json detail) {
  port_.audit(audit::event(port_.now(), action)
                  .from_peer(peer_, &who_)
                  .subject(std::move(subject))
                  .outcome(outcome)
                  .with_all(detail)
                  .build());
}

bool machine::reading() const {
  return !ended_ && !closing_ && parked_.empty();
}

steady_time machine::next_deadline() const {
  if (ended_) return steady_time::max();
  // Once closing, only the delivery rows are still due: the writer ends the
  // connection (under its own write deadline).
  if (closing_) return flush_due_.value_or(steady_time::max());
  auto d = greeted_ ? last_activity_ + limits_.idle_timeout : started_ + limits_.hello_timeout;
  if (flush_due_) d = std::min(d, *flush_due_);
  if (limits_.keepalive_interval.count() > 0 && !keepalive_queued_)
    d = std::min(d, last_write_ + limits_.keepalive_interval);
  if (duty_declared_ && !stalled_) {
    if (profile_.ping_frames && !duty_ping_queued_)
      d = std::min(d, last_activity_ + limits_.stall_after / 3);
    d = std::min(d, last_activity_ + limits_.stall_after);
  }
  return d;
}

steady_time machine::arm() {
  armed_ = next_deadline();
  return armed_;
}

void machine::after_input(bool was_reading) {
  if (!notify_) return;
  if ((!was_reading && reading()) || next_deadline() < armed_) notify_();
}

// --- requests ---

void machine::on_request(protocol::request request, steady_time now) {
  if (ended_ || closing_) return;
  const bool was_reading = reading();
  touched(now);
  dispatch(request.correlation_id, request.body);
  after_input(was_reading);
}

void machine::touched(steady_time now) {
  last_activity_ = now;
  duty_ping_queued_ = false;
  if (stalled_) {
    stalled_ = false;
    update_duty();
  }
}

void machine::update_duty() {
  const bool counted = on_duty_counted();
  if (counted == duty_counted_ || !attachment_) return;
  duty_counted_ = counted;
  attachment_->set_on_duty(counted);
}

void machine::dispatch(std::uint64_t cid, protocol::request_body& body) {
  if (auto* h = std::get_if<protocol::hello>(&body)) return on_hello(cid, *h);
  if (!greeted_)
    return fail(cid,
                core::make_error(core::errc::failed_precondition, "the first frame must be Hello"));
  if (auto* p = std::get_if<protocol::publish>(&body)) return on_publish(cid, *p);
  if (auto* s = std::get_if<protocol::subscribe>(&body)) return on_subscribe(cid, *s);
  if (auto* a = std::get_if<protocol::ack>(&body)) return on_ack(cid, *a);
  if (auto* pg = std::get_if<protocol::ping>(&body)) return reply(cid, protocol::pong{pg->nonce});
  if (std::get_if<protocol::client_pong>(&body)) return;  // the traffic is what counts
  if (auto* d = std::get_if<protocol::set_duty>(&body)) return on_set_duty(cid, *d);
  if (auto* r = std::get_if<protocol::send_receipt>(&body)) return on_send_receipt(cid, *r);
  if (auto* f = std::get_if<protocol::fetch_notices>(&body)) return on_fetch_notices(cid, *f);
  if (auto* q = std::get_if<protocol::query_status>(&body)) return on_query_status(cid, *q);
  if (std::get_if<protocol::query_presence>(&body)) return on_query_presence(cid);
}

void machine::on_hello(std::uint64_t cid, const protocol::hello& h) {
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
  // Notices reach the connection from now on; a desk counts in its
  // member's presence (on duty if it says so).
  duty_declared_ = h.on_duty && who_.role == core::role::desk;
  duty_counted_ = duty_declared_;
  attachment_ = port_.attach(who_, out_, duty_declared_);
}

// --- rapid response ---

void machine::on_set_duty(std::uint64_t cid, const protocol::set_duty& d) {
  if (who_.role != core::role::desk)
    return reply(cid, core::make_error(core::errc::permission_denied,
                                       core::role_phrase(who_.role) +
                                           " is never on duty; only a desk's connection is"));
  duty_declared_ = d.on_duty;
  update_duty();
  reply(cid, protocol::duty_set{duty_declared_, on_duty_counted()});
}

bool machine::take_request_slot(std::uint64_t cid) {
  if (requests_in_flight_ >= limits_.max_in_flight_requests) {
    reply(cid, core::make_error(core::errc::resource_exhausted,
                                "at most " + std::to_string(limits_.max_in_flight_requests) +
                                    " receipts and queries in flight per connection; wait for "
                                    "their answers"));
    return false;
  }
  ++requests_in_flight_;
  return true;
}

void machine::answer(std::uint64_t cid, const protocol::reply_body& body) {
  if (requests_in_flight_ > 0) --requests_in_flight_;
  if (!ended_) reply(cid, body);
}

void machine::on_send_receipt(std::uint64_t cid, const protocol::send_receipt& r) {
  auto decoded = protocol::decode_receipt(r.receipt.payload);
  if (!decoded) {
    port_.reject_receipt(who_, decoded.error());
    return reply(cid, decoded.error());
  }
  if (!take_request_slot(cid)) return;
  std::weak_ptr<machine> weak = weak_from_this();
  auto alert_id = decoded->alert_id;
  port_.send_receipt(who_, *decoded, r.receipt,
                     [weak, cid, alert_id](core::result<core::receipt_outcome> result) {
                       auto self = weak.lock();
                       if (!self) return;
                       if (result)
                         self->answer(cid, protocol::receipt_result{alert_id, *result});
                       else
                         self->answer(cid, result.error());
                     });
}

void machine::on_fetch_notices(std::uint64_t cid, const protocol::fetch_notices& f) {
  constexpr std::uint32_t max_notices = 500, default_notices = 100;
  const std::size_t limit = f.limit == 0 ? default_notices : std::min(f.limit, max_notices);
  if (!take_request_slot(cid)) return;
  std::weak_ptr<machine> weak = weak_from_this();
  port_.fetch_notices(who_, f.after_id, limit + 1,
                      [weak, cid, limit](core::result<std::vector<core::notice>> r) {
                        auto self = weak.lock();
                        if (!self) return;
                        if (!r) return self->answer(cid, r.error());
                        protocol::notices out;
                        out.more = r->size() > limit;
                        if (out.more) r->resize(limit);
                        out.items = std::move(*r);
                        self->answer(cid, out);
                      });
}

void machine::on_query_status(std::uint64_t cid, const protocol::query_status& q) {
  if (!take_request_slot(cid)) return;
  std::weak_ptr<machine> weak = weak_from_this();
  port_.query_status(who_, q.alert_id, q.origin, [weak, cid](core::result<core::alert_status> r) {
    auto self = weak.lock();
    if (!self) return;
    if (r)
      self->answer(cid, *r);
    else
      self->answer(cid, r.error());
  });
}

void machine::on_query_presence(std::uint64_t cid) {
  if (!take_request_slot(cid)) return;
  std::weak_ptr<machine> weak = weak_from_this();
  port_.query_presence(who_, [weak, cid](core::result<std::vector<core::member_presence>> r) {
    auto self = weak.lock();
    if (!self) return;
    if (!r) return self->answer(cid, r.error());
    self->answer(cid, protocol::presence{self->port_.now(), std::move(*r)});
  });
}

void machine::on_publish(std::uint64_t cid, protocol::publish& p) {
  auto decoded = protocol::decode_alert(p.signed_alert.payload);
  if (!decoded) {
    port_.reject_publish(who_, decoded.error());
    return reply(cid, decoded.error());
  }
  if (p.dry_run) {
    // Nothing is queued for the database: a request slot, not a publish's.
    if (!take_request_slot(cid)) return;
    std::weak_ptr<machine> weak = weak_from_this();
    port_.preview(who_, *decoded, p.signed_alert,
                  [weak, cid](core::result<core::recipient_preview> r) {
                    auto self = weak.lock();
                    if (!self) return;
                    if (!r) return self->answer(cid, r.error());
                    self->answer(cid, std::move(*r));
                  });
    return;
  }
  parked_publish next{cid, std::move(*decoded), std::move(p.signed_alert)};
  // Beyond the in-flight limit the publish waits here and reading() turns
  // false: the transport stops reading, and TCP pushes back on the client.
  if (in_flight_ >= limits_.max_in_flight_publishes || !parked_.empty()) {
    parked_.push_back(std::move(next));
    return;
  }
  submit(std::move(next));
}

void machine::submit(parked_publish p) {
  ++in_flight_;
  std::weak_ptr<machine> weak = weak_from_this();
  auto id = p.alert.id;
  port_.publish(who_, p.alert, p.envelope,
                [weak, cid = p.cid, id](core::result<core::publish_outcome> r) {
                  if (auto self = weak.lock()) self->on_published(cid, id, std::move(r));
                });
}

void machine::on_published(std::uint64_t cid, const std::string& alert_id,
                           core::result<core::publish_outcome> r) {
  const bool was_reading = reading();
  --in_flight_;
  if (r)
    reply(cid, protocol::publish_result{alert_id, r->seq, r->received_at, r->duplicate,
                                        std::move(r->left_out)});
  else
    reply(cid, r.error());
  while (!ended_ && !parked_.empty() && in_flight_ < limits_.max_in_flight_publishes) {
    auto next = std::move(parked_.front());
    parked_.pop_front();
    submit(std::move(next));
  }
  after_input(was_reading);
}

void machine::on_subscribe(std::uint64_t cid, const protocol::subscribe& sub) {
  if (!consumers_.contains(sub.consumer) && consumers_.size() >= limits_.max_consumers)
    return reply(cid, core::make_error(core::errc::resource_exhausted,
                                       "at most " + std::to_string(limits_.max_consumers) +
                                           " consumers per connection"));
  broker::start_position start;
  if (sub.start == protocol::start_from::seq)
    start = {broker::start_position::kind::from_seq, sub.from_seq};
  if (sub.start == protocol::start_from::only_new)
    start.from = broker::start_position::kind::only_new;
  std::weak_ptr<machine> weak = weak_from_this();
  auto name = sub.consumer;
  start.lanes = sub.lanes;
  port_.subscribe(who_, name, start, broker::claim_rule{sub.take_over, sub.client_instance}, out_,
                  [weak, cid, name](core::result<broker::subscription> r) {
                    auto self = weak.lock();
                    if (!self) {
                      if (r) r->handle->close();
                      return;
                    }
                    self->on_subscribed(cid, name, std::move(r));
                  });
}

void machine::on_subscribed(std::uint64_t cid, const std::string& name,
                            core::result<broker::subscription> r) {
  if (!r) return reply(cid, r.error());
  if (ended_) return r->handle->close();
  if (auto it = consumers_.find(name); it != consumers_.end()) it->second->close();
  consumers_[name] = r->handle;
  // Subscribed is queued before the first Deliver.
  protocol::subscribed answer{name, r->cursor, r->resume_after, {}};
  for (const auto& l : r->lanes) answer.lanes.push_back({l.lane, l.cursor, l.resume_after});
  reply(cid, answer);
  r->handle->start();
}

void machine::on_ack(std::uint64_t cid, const protocol::ack& a) {
  auto it = consumers_.find(a.consumer);
  if (it == consumers_.end())
    return reply(cid, core::make_error(core::errc::failed_precondition,
                                       "no consumer '" + a.consumer.substr(0, 64) +
                                           "' on this connection; Subscribe first"));
  auto out = out_;
  it->second->ack(a.lane, a.up_to_seq, [out, cid](core::result<void> r) {
    if (!r) out->push_reply(cid, r.error());
  });
}

// --- what the transport saw ---

void machine::on_bad_frame(const core::error& why, steady_time now) {
  if (ended_ || closing_) return;
  const bool was_reading = reading();
  if (profile_.bad_frame_ends_connection) {
    fail(0, why);
  } else {
    last_activity_ = now;
    audit(core::audit_action::protocol_error, "", core::to_string(why.code),
          {{"reason", why.message}});
    reply(0, why);
  }
  after_input(was_reading);
}

void machine::on_too_large(std::uint64_t size) {
  close_for(close_reason::too_large,
            core::make_error(core::errc::too_large,
                             "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
                                 std::to_string(limits_.max_frame_bytes) + " bytes"));
}

void machine::on_wrong_message_type(std::string message) {
  close_for(close_reason::wrong_message_type,
            core::make_error(core::errc::invalid_argument, std::move(message)));
}

void machine::on_bad_framing(std::string message) {
  close_for(close_reason::bad_framing,
            core::make_error(core::errc::invalid_argument, std::move(message)));
}

void machine::end_with(close_reason reason, core::error why) {
  close_for(reason, std::move(why));
}

void machine::on_activity(steady_time now) {
  touched(now);
}

void machine::fail(std::uint64_t cid, const core::error& why) {
  if (closing_ || ended_) return;
  closing_ = close_decision{close_reason::protocol_error, why};
  audit(core::audit_action::protocol_error, "", core::to_string(why.code),
        {{"reason", why.message}});
  out_->push_reply(cid, why, /*close_after=*/true);
  if (notify_) notify_();
}

void machine::close_for(close_reason reason, core::error why) {
  if (closing_ || ended_) return;
  // A close reason is short: a WebSocket close frame carries at most 123 bytes.
  if (why.message.size() > 120) why.message.resize(120);
  closing_ = close_decision{reason, why};
  audit(profile_.limit_close_action, "", core::to_string(why.code),
        {{"reason", why.message}, {"close", to_string(reason)}});
  const bool timeout =
      reason == close_reason::hello_timeout || reason == close_reason::idle_timeout;
  if (profile_.error_frame_on_limit_close && !timeout)
    out_->push_reply(0, why, /*close_after=*/true);
  else
    out_->push_close();
  if (notify_) notify_();
}

// --- time ---

void machine::on_tick(steady_time now) {
  if (ended_) return;
  if (flush_due_ && now >= *flush_due_) flush_deliveries();
  if (!closing_) {
    if (!greeted_ && now >= started_ + limits_.hello_timeout) {
      close_for(
          close_reason::hello_timeout,
          core::make_error(core::errc::deadline_exceeded,
                           "no Hello within " + config::format_duration(limits_.hello_timeout)));
    } else if (greeted_ && now >= last_activity_ + limits_.idle_timeout) {
      close_for(close_reason::idle_timeout,
                core::make_error(core::errc::deadline_exceeded,
                                 "idle timeout: nothing from the client for " +
                                     config::format_duration(limits_.idle_timeout)));
    } else if (limits_.keepalive_interval.count() > 0 && !keepalive_queued_ &&
               now >= last_write_ + limits_.keepalive_interval) {
      keepalive_queued_ = true;
      out_->push_keepalive();
    }
    // A desk on duty must show it is there: pinged when quiet, no longer
    // counted once it has answered nothing for stall_after.
    if (duty_declared_ && !stalled_ && !closing_) {
      if (now >= last_activity_ + limits_.stall_after) {
        stalled_ = true;
        update_duty();
        audit(core::audit_action::presence_change, who_.member, "stalled",
              {{"member", who_.member},
               {"reason", "no answer for " + config::format_duration(limits_.stall_after)}});
      } else if (profile_.ping_frames && !duty_ping_queued_ &&
                 now >= last_activity_ + limits_.stall_after / 3) {
        duty_ping_queued_ = true;
        reply(0, protocol::server_ping{++ping_nonce_});
      }
    }
  }
}

// --- the writer's progress ---

void machine::on_written(const std::vector<outgoing>& batch, steady_time now) {
  if (!batch.empty()) last_write_ = now;
  const auto written_at = batch.empty() ? core::time_point{} : port_.now();
  // Each write of a delivery is a disclosure: remember which alerts reached
  // which consumer, for one audit row per consumer and interval.
  for (const auto& item : batch) {
    if (item.what == outgoing::kind::keepalive) keepalive_queued_ = false;
    if (item.seq == 0) continue;
    if (item.alert) port_.delivered(item.alert->received_at, written_at);
    delivered_[item.consumer].push_back(item.seq);
    ++delivered_count_;
  }
  if (delivered_count_ >= limits_.delivery_row_max_seqs)
    flush_deliveries();
  else if (delivered_count_ > 0 && !flush_due_)
    flush_due_ = now + limits_.delivery_row_interval;
  retire_failed_consumers();
  // Each stream checks its own lane's queue.
  for (auto& [name, handle] : consumers_) handle->on_room();
  after_input(reading());
}

void machine::flush_deliveries() {
  for (auto& [consumer, seqs] : delivered_)
    audit(core::audit_action::deliver, consumer, "ok", {{"member", who_.member}, {"seqs", seqs}});
  delivered_.clear();
  delivered_count_ = 0;
  flush_due_.reset();
}

void machine::retire_failed_consumers() {
  for (const auto& name : out_->take_failed_consumers()) {
    auto it = consumers_.find(name);
    if (it == consumers_.end()) continue;
    it->second->close();
    consumers_.erase(it);
  }
}

void machine::on_end() {
  if (ended_) return;
  ended_ = true;
  flush_deliveries();
  for (auto& [name, handle] : consumers_) handle->close();
  consumers_.clear();
  attachment_.reset();
  parked_.clear();
  out_->close();
}

}  // namespace liaison::session
