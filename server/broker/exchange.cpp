#include "broker/exchange.hpp"

#include "audit/event.hpp"
#include "broker/admission.hpp"
#include "core/names.hpp"

namespace liaison::broker {
namespace {

class reader_backlog final : public backlog_source {
 public:
  explicit reader_backlog(store::reader& reader) : reader_(reader) {}
  void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                     std::function<void(core::result<core::backlog_page>)> done) override {
    reader_.fetch_backlog(std::move(member), after_seq, limit, std::move(done));
  }

 private:
  store::reader& reader_;
};

}  // namespace

// One durable consumer as its connection holds it.
class exchange::durable final : public subscription_handle {
 public:
  durable(exchange& x, core::principal who, std::shared_ptr<consumer> c)
      : exchange_(x), who_(std::move(who)), consumer_(std::move(c)) {}
  ~durable() override { close(); }

  void start() override { consumer_->start(); }
  void on_room() override { consumer_->on_room(); }

  void ack(std::uint64_t up_to_seq, std::function<void(core::result<void>)> done) override {
    auto decision = consumer_->check_ack(up_to_seq);
    if (!decision) return done(decision.error());
    if (!*decision) return done({});  // at or below the cursor: nothing to store
    const auto& key = consumer_->identity().key;
    auto event = audit::event(exchange_.now(), core::audit_action::ack)
                     .by(who_)
                     .subject(key.name)
                     .with("member", who_.member)
                     .with("from_seq", consumer_->cursor() + 1)
                     .with("up_to_seq", up_to_seq)
                     .build();
    std::weak_ptr<consumer> weak = consumer_;
    exchange_.log_->writer().ack(key, up_to_seq, std::move(event),
                                 [weak, up_to_seq, done = std::move(done)](core::result<void> r) {
                                   if (r)
                                     if (auto c = weak.lock()) c->acknowledged(up_to_seq);
                                   done(std::move(r));
                                 });
  }

  void close() override {
    if (closed_.exchange(true)) return;
    consumer_->stop();
    exchange_.hub_->release(consumer_->identity().key, consumer_.get());
  }

 private:
  exchange& exchange_;
  const core::principal who_;
  const std::shared_ptr<consumer> consumer_;
  std::atomic<bool> closed_{false};
};

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
  // Every commit of every node reaches the hub once, in order, on the log's
  // live-feed thread; the writer never waits for it.
  log_ = std::make_unique<store::ordered_log>(
      config_.database, now_,
      [this](const std::vector<core::stored_alert_ptr>& alerts) { hub_->fan_out(alerts); });
  hub_ = std::make_unique<broker::hub>(log_->open());
  backlog_ = std::make_unique<reader_backlog>(log_->reader());
  log_->start();
}

void exchange::stop() {
  if (log_) log_->stop();
}

void exchange::replace_registry(std::shared_ptr<const core::registry> next) {
  std::atomic_store(&registry_, std::move(next));
}

void exchange::publish(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert, core::publish_handler done) {
  auto refuse = [&](const core::error& why) {
    audit(audit::event(now_(), core::audit_action::publish)
              .by(who)
              .subject(decoded.id.substr(0, 64))
              .refused(why)
              .with("origin", decoded.origin.substr(0, 16))
              .with("key_id", signed_alert.key_id.substr(0, 64))
              .build());
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
  auto left_out = admitted->recipients.left_out;
  if (!left_out.empty())
    done = [left_out = std::move(left_out),
            done = std::move(done)](core::result<core::publish_outcome> r) {
      if (r) r->left_out = left_out;
      done(std::move(r));
    };
  log_->writer().publish(std::move(*admitted), std::move(done));
}

void exchange::reject_publish(const core::principal& who, const core::error& why) {
  audit(audit::event(now_(), core::audit_action::publish).by(who).refused(why).build());
}

void exchange::subscribe(const core::principal& who, const std::string& name, start_position start,
                         claim_rule claim, std::shared_ptr<delivery_sink> sink,
                         std::function<void(core::result<subscription>)> done) {
  auto refuse = [this, who, name](core::error e) {
    audit(audit::event(now_(), core::audit_action::subscribe)
              .by(who)
              .subject(name.substr(0, 64))
              .refused(e)
              .build());
    return e;
  };
  if (who.role != core::role::desk && who.role != core::role::partner)
    return done(refuse(core::make_error(core::errc::permission_denied,
                                        core::role_phrase(who.role) + " may not subscribe")));
  if (!valid_consumer_name(name))
    return done(
        refuse(core::make_error(core::errc::invalid_argument,
                                "consumer name must be 1 to 64 characters of A-Z a-z 0-9 . _ -")));
  if (start.from == start_position::kind::from_seq && start.seq == 0)
    return done(refuse(core::make_error(
        core::errc::invalid_argument,
        "from_seq starts at 1 (the first alert); to resume after the stored cursor, send "
        "stored_cursor")));
  if (claim.client_instance.size() > 64)
    return done(refuse(
        core::make_error(core::errc::invalid_argument, "client_instance is longer than 64 bytes")));
  core::consumer_key key{who.id, name};
  log_->reader().open_consumer(
      key, who.member,
      [this, who, key, start, claim, refuse, sink = std::move(sink),
       done = std::move(done)](core::result<core::consumer_state> state) {
        if (!state) return done(refuse(state.error()));
        std::uint64_t position = state->cursor;
        if (start.from == start_position::kind::from_seq) position = start.seq - 1;
        if (start.from == start_position::kind::only_new)
          position = std::max(state->log_head, hub_->last_seq());
        auto c = std::make_shared<broker::consumer>(
            consumer_identity{key, who.member, who.clearance, claim.client_instance}, position,
            state->cursor, sink, *hub_, *backlog_, config_.database.backlog_page,
            [this](core::audit_event e) { audit(std::move(e)); }, now_);
        // One connection at a time: another live holder keeps the consumer
        // unless this one takes it over, or is the same client process
        // reconnecting before its old connection was noticed gone.
        auto claimed = hub_->claim(key, c, [&claim](const consumer& holder) {
          return claim.take_over || (!claim.client_instance.empty() &&
                                     holder.identity().client_instance == claim.client_instance);
        });
        if (!claimed.claimed)
          return done(refuse(core::make_error(
              core::errc::failed_precondition,
              "consumer '" + key.name +
                  "' is held by another connection; subscribe with take_over (liaison "
                  "subscribe --take-over) to take it from there")));
        if (claimed.other)
          claimed.other->fail(
              core::make_error(core::errc::failed_precondition,
                               "consumer '" + key.name + "' was taken over by a newer connection"));
        audit(audit::event(now_(), core::audit_action::subscribe)
                  .by(who)
                  .subject(key.name)
                  .with("member", who.member)
                  .with("cursor", state->cursor)
                  .with("resume_after", position)
                  .build());
        done(subscription{std::make_shared<durable>(*this, who, c), state->cursor, position});
      });
}

void exchange::audit(core::audit_event event) {
  if (log_) log_->writer().audit(std::move(event));
}

void exchange::audit_summary(core::audit_event event) {
  if (log_) log_->writer().audit_summary(std::move(event));
}

bool exchange::ready() const {
  return log_ && log_->writer().connected();
}

store::writer_stats exchange::writer_stats() const {
  return log_ ? log_->writer().stats() : store::writer_stats{};
}

store::log_follower::stats exchange::live_feed() const {
  return log_ ? log_->live_feed() : store::log_follower::stats{};
}

}  // namespace liaison::broker
