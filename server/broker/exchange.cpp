#include "broker/exchange.hpp"

#include "broker/admission.hpp"
#include "core/names.hpp"

#include <nlohmann/json.hpp>

namespace liaison::broker {
namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::audit_event event_of(const core::principal& who, core::time_point at, std::string_view action,
                           std::string subject, std::string outcome, std::string detail) {
  return core::audit_event{at,
                           who.id,
                           who.member,
                           std::string(action),
                           std::move(subject),
                           std::move(outcome),
                           std::move(detail)};
}

class reader_backlog final : public backlog_source {
 public:
  explicit reader_backlog(store::reader& reader) : reader_(reader) {}
  void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                     std::function<void(core::result<store::backlog_page>)> done) override {
    reader_.fetch_backlog(std::move(member), after_seq, limit, std::move(done));
  }

 private:
  store::reader& reader_;
};

}  // namespace

bool valid_consumer_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

exchange::exchange(config::server_config config, std::shared_ptr<const core::registry> registry,
                   clock_fn now)
    : config_(std::move(config)),
      registry_(std::move(registry)),
      now_(std::move(now)),
      publish_rate_(
          rate_limit{config_.publish_rate.per_member, config_.publish_rate.burst_per_member}) {}

exchange::~exchange() {
  stop();
}

void exchange::start() {
  reader_ = std::make_unique<store::reader>(config_.database);
  backlog_ = std::make_unique<reader_backlog>(*reader_);
  auto head = reader_->log_head_blocking();
  hub_ = std::make_unique<broker::hub>(head);
  fanout_ = std::make_unique<fanout_worker>(*hub_);
  // The follower hands over batches in order; the fan-out happens on its own
  // thread, never on the database writer's.
  follower_ = std::make_unique<store::log_follower>(
      config_.database, head,
      [this](const std::vector<core::stored_alert_ptr>& alerts) { fanout_->push(alerts); });
  writer_ = std::make_unique<store::writer>(
      config_.database, now_, [this](const std::vector<core::stored_alert_ptr>& alerts) {
        follower_->on_local_commit(alerts);
      });
  reader_->start();
  fanout_->start();
  follower_->start();
  writer_->start();
}

void exchange::stop() {
  if (writer_) writer_->stop();
  if (follower_) follower_->stop();
  if (fanout_) fanout_->stop();
  if (reader_) reader_->stop();
}

void exchange::replace_registry(std::shared_ptr<const core::registry> next) {
  std::atomic_store(&registry_, std::move(next));
}

void exchange::publish(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert, store::publish_handler done) {
  auto refuse = [&](const core::error& why) {
    nlohmann::json detail{{"origin", decoded.origin.substr(0, 16)},
                          {"key_id", signed_alert.key_id.substr(0, 64)},
                          {"reason", why.message}};
    writer_->audit(event_of(who, now_(), core::audit_action::publish, decoded.id.substr(0, 64),
                            std::string(core::to_string(why.code)), dump(detail)));
    done(why);
  };
  // The rate comes first: refusing is cheaper than checking the alert, let
  // alone its signature. Only desks may publish, so only they take tokens
  // (admission refuses the others).
  if (who.role == core::role::desk) {
    auto taken = publish_rate_.try_take(who.member, rate_limiter::clock::now());
    if (!taken.allowed)
      return refuse(publish_rate_exceeded(who.member, publish_rate_.limit(), taken.retry_after));
  }
  auto reg = registry();
  auto admitted = admit_publish(*reg, who, decoded, signed_alert, config_.alerts, now_());
  if (!admitted) return refuse(admitted.error());
  writer_->publish(std::move(*admitted), std::move(done));
}

void exchange::reject_publish(const core::principal& who, const core::error& why) {
  nlohmann::json detail{{"reason", why.message}};
  writer_->audit(event_of(who, now_(), core::audit_action::publish, "",
                          std::string(core::to_string(why.code)), dump(detail)));
}

void exchange::subscribe(const core::principal& who, const std::string& name, start_position start,
                         std::shared_ptr<delivery_sink> sink,
                         std::function<void(core::result<subscription>)> done) {
  auto refuse = [&](core::error e) {
    nlohmann::json detail{{"reason", e.message}};
    writer_->audit(event_of(who, now_(), core::audit_action::subscribe, name.substr(0, 64),
                            std::string(core::to_string(e.code)), dump(detail)));
    done(std::move(e));
  };
  if (who.role != core::role::desk && who.role != core::role::partner)
    return refuse(core::make_error(
        core::errc::permission_denied,
        "a " + std::string(core::to_string(who.role)) + " principal may not subscribe"));
  if (!valid_consumer_name(name))
    return refuse(
        core::make_error(core::errc::invalid_argument,
                         "consumer name must be 1 to 64 characters of A-Z a-z 0-9 . _ -"));
  store::consumer_key key{who.id, name};
  reader_->open_consumer(
      key, who.member,
      [this, who, key, start, sink = std::move(sink),
       done = std::move(done)](core::result<store::consumer_state> state) {
        if (!state) {
          nlohmann::json detail{{"reason", state.error().message}};
          writer_->audit(event_of(who, now_(), core::audit_action::subscribe, key.name,
                                  std::string(core::to_string(state.error().code)), dump(detail)));
          done(state.error());
          return;
        }
        std::uint64_t position = state->cursor;
        if (start.from == start_position::kind::from_seq)
          position = start.seq > 0 ? start.seq - 1 : 0;
        if (start.from == start_position::kind::only_new)
          position = std::max(state->log_head, hub_->last_seq());
        auto c = std::make_shared<broker::consumer>(
            consumer_identity{key, who.member, who.clearance}, position, state->cursor, sink, *hub_,
            *backlog_, config_.database.backlog_page,
            [this](core::audit_event e) { writer_->audit(std::move(e)); }, now_);
        if (auto previous = hub_->claim(key, c))
          previous->fail(
              core::make_error(core::errc::failed_precondition,
                               "consumer '" + key.name + "' was taken over by a newer connection"));
        nlohmann::json detail{
            {"member", who.member}, {"cursor", state->cursor}, {"resume_after", position}};
        writer_->audit(
            event_of(who, now_(), core::audit_action::subscribe, key.name, "ok", dump(detail)));
        done(subscription{c, state->cursor, position});
      });
}

void exchange::unsubscribe(const std::shared_ptr<broker::consumer>& c) {
  c->stop();
  hub_->release(c->identity().key, c.get());
}

void exchange::ack(const core::principal& who, const std::shared_ptr<broker::consumer>& c,
                   std::uint64_t up_to_seq, std::function<void(core::result<void>)> done) {
  auto position = c->position();
  if (up_to_seq > position) {
    done(core::make_error(core::errc::invalid_argument,
                          "cannot acknowledge seq " + std::to_string(up_to_seq) + ": consumer '" +
                              c->identity().key.name + "' was delivered up to seq " +
                              std::to_string(position)));
    return;
  }
  auto cursor = c->cursor();
  if (up_to_seq <= cursor) {
    done({});
    return;
  }
  nlohmann::json detail{{"member", who.member}, {"from_seq", cursor + 1}, {"up_to_seq", up_to_seq}};
  auto event =
      event_of(who, now_(), core::audit_action::ack, c->identity().key.name, "ok", dump(detail));
  std::weak_ptr<broker::consumer> weak = c;
  writer_->ack(c->identity().key, up_to_seq, std::move(event),
               [weak, up_to_seq, done = std::move(done)](core::result<void> r) {
                 if (r)
                   if (auto self = weak.lock()) self->acknowledged(up_to_seq);
                 done(std::move(r));
               });
}

void exchange::audit(core::audit_event event) {
  writer_->audit(std::move(event));
}

bool exchange::ready() const {
  return writer_ && writer_->connected();
}

store::writer_stats exchange::writer_stats() const {
  return writer_ ? writer_->stats() : store::writer_stats{};
}

}  // namespace liaison::broker
