#include "broker/exchange.hpp"

#include "audit/event.hpp"
#include "broker/admission.hpp"
#include "core/hex.hpp"
#include "core/names.hpp"
#include "rapid/receipts.hpp"

#include "broker/amendment.hpp"
#include "broker/event_log.hpp"
#include "broker/preview.hpp"
#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace liaison::broker {
namespace {

class reader_backlog final : public backlog_source {
 public:
  explicit reader_backlog(store::reader& reader) : reader_(reader) {}
  void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                     std::optional<core::priority> lane,
                     std::function<void(core::result<core::backlog_page>)> done) override {
    reader_.fetch_backlog(std::move(member), after_seq, limit, lane, std::move(done));
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

  void start() override { consumer_->start_delivery(); }
  void on_room() override { consumer_->on_room(); }

  void ack(std::optional<core::priority> lane, std::uint64_t up_to_seq,
           std::function<void(core::result<void>)> done) override {
    auto stream = consumer_->stream_of(lane);
    if (!stream) return done(stream.error());
    const std::size_t i = *stream;
    auto decision = consumer_->check_ack(i, up_to_seq);
    if (!decision) return done(decision.error());
    if (!*decision) return done({});  // at or below the cursor: nothing to store
    const auto& key = consumer_->identity().key;
    auto builder = audit::event(exchange_.now(), core::audit_action::ack)
                       .by(who_)
                       .subject(key.name)
                       .with("member", who_.member)
                       .with("from_seq", consumer_->cursor(i) + 1)
                       .with("up_to_seq", up_to_seq);
    if (lane) builder.with("lane", core::to_string(*lane));
    std::weak_ptr<consumer> weak = consumer_;
    exchange_.log_->writer().ack(
        key, lane, up_to_seq, builder.build(),
        [weak, i, up_to_seq, done = std::move(done)](core::result<void> r) {
          if (r)
            if (auto c = weak.lock()) c->acknowledged(i, up_to_seq);
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

// One greeted connection: its notices, and for a desk its presence.
class exchange::attached final : public connection_handle {
 public:
  attached(exchange& x, core::principal who, std::uint64_t id, std::uint64_t token, bool on_duty)
      : exchange_(x), who_(std::move(who)), id_(id), token_(token), on_duty_(on_duty) {
    exchange_.notice_hub_.set_on_duty(token_, on_duty_);
    if (who_.role == core::role::desk) exchange_.presence_changed(id_, who_, true, on_duty_);
  }
  ~attached() override {
    exchange_.notice_hub_.remove(token_);
    if (who_.role == core::role::desk) exchange_.presence_changed(id_, who_, false, false);
  }
  void set_on_duty(bool counted) override {
    if (counted == on_duty_) return;
    on_duty_ = counted;
    exchange_.notice_hub_.set_on_duty(token_, on_duty_);
    if (who_.role == core::role::desk) exchange_.presence_changed(id_, who_, true, on_duty_);
  }

 private:
  exchange& exchange_;
  const core::principal who_;
  const std::uint64_t id_;
  const std::uint64_t token_;
  bool on_duty_;
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
          rate_limit{config_.publish_rate.per_member, config_.publish_rate.burst_per_member}) {
  deadlines_.flash = config_.deadlines.flash;
  deadlines_.urgent = config_.deadlines.urgent;
  deadlines_.routine = config_.deadlines.routine;
  deadlines_.max_escalations = config_.deadlines.max_escalations;
  std::random_device random;
  const std::uint32_t suffix = random();
  node_ = config_.node_id + "-" +
          core::to_hex(std::string_view(reinterpret_cast<const char*>(&suffix), sizeof suffix));
}

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
  notice_feed_ = std::make_unique<store::notice_feed>(
      config_.database,
      [this](const std::vector<core::notice_ptr>& notices) { notice_hub_.fan_out(notices); });
  deadline_watch_ = std::make_unique<store::deadline_watch>(
      config_.database, config_.deadlines.check_interval, now_,
      [this](std::vector<core::due_deadline> due, std::function<void()> done) {
        on_due(std::move(due), std::move(done));
      },
      [this](std::vector<core::member_presence> members) { on_presence(std::move(members)); });
  log_->start();
  notice_feed_->start();
  deadline_watch_->start();
}

void exchange::stop() {
  if (deadline_watch_) deadline_watch_->stop();
  if (notice_feed_) notice_feed_->stop();
  if (log_) log_->stop();
}

void exchange::replace_registry(std::shared_ptr<const core::registry> next) {
  std::atomic_store(&registry_, std::move(next));
}

core::result<core::publish_request> exchange::admit(const core::principal& who,
                                                    const core::alert& decoded,
                                                    const core::envelope& signed_alert,
                                                    bool dry_run) {
  auto refuse = [&](const core::error& why) {
    auto row = audit::event(now_(), core::audit_action::publish)
                   .by(who)
                   .subject(decoded.id.substr(0, 64))
                   .refused(why)
                   .with("origin", decoded.origin.substr(0, 16))
                   .with("key_id", signed_alert.key_id.substr(0, 64));
    if (dry_run) row.with("dry_run", true);
    audit(row.build());
    return why;
  };
  // The rate comes first: refusing is cheaper than checking the alert, let
  // alone its signature. Only desks may publish, so only they take tokens
  // (admission refuses the others); a dry run costs the same checks.
  if (who.role == core::role::desk) {
    auto taken = publish_rate_.try_take(who.member, rate_limiter::clock::now());
    if (!taken.allowed)
      return refuse(publish_rate_exceeded(who.member, publish_rate_.limit(), taken.retry_after));
  }
  auto admitted = admit_publish(*registry(), who, decoded, signed_alert, config_.alerts, now_());
  if (!admitted) return refuse(admitted.error());
  // Rapid response: the read deadline.
  admitted->read_window =
      rapid::read_window(deadlines_, admitted->prio, decoded.read_within_seconds);
  return admitted;
}

void exchange::preview(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert,
                       std::function<void(core::result<core::recipient_preview>)> done) {
  auto admitted = admit(who, decoded, signed_alert, /*dry_run=*/true);
  if (!admitted) return done(admitted.error());
  amend(who, std::move(*admitted), /*dry_run=*/true,
        [this, done = std::move(done)](core::result<core::publish_request> r) {
          if (!r) return done(r.error());
          done(preview_of(*r));
        });
}

core::recipient_preview exchange::preview_of(const core::publish_request& admitted) {
  const auto reg = registry();
  return preview_recipients(admitted, *reg, [this](const std::string& member) {
    std::lock_guard lock(presence_mutex_);
    return duty_locked(member);
  });
}

member_duty exchange::duty_locked(const std::string& member) const {
  member_duty d;
  // This node knows best about its own desks; the table about the others'.
  const auto here = board_.counts(member);
  auto it = presence_.find(member);
  if (it != presence_.end()) d = {it->second.state, it->second.desks_on_duty};
  if (here.on_duty > d.desks_on_duty) d.desks_on_duty = here.on_duty;
  if (here.on_duty > 0) d.state = core::duty_state::on_duty;
  return d;
}

void exchange::amend(const core::principal& who, core::publish_request admitted, bool dry_run,
                     std::function<void(core::result<core::publish_request>)> next) {
  const bool reply = admitted.kind == core::alert_kind::reply;
  if (!is_amendment(admitted.kind) && !reply) return next(std::move(admitted));
  auto id = admitted.in_reply_to;
  log_->reader().fetch_amendment_targets(
      std::move(id),
      [this, who, dry_run, reply, admitted = std::move(admitted),
       next = std::move(next)](core::result<std::vector<core::amendment_target>> targets) mutable {
        if (!targets) return next(targets.error());
        auto ok = reply ? apply_reply_rules(admitted, *targets)
                        : apply_amendment_rules(admitted, *targets, /*refuse_withdrawn=*/dry_run);
        if (!ok) {
          auto row = audit::event(now_(), core::audit_action::publish)
                         .by(who)
                         .subject(admitted.alert_id)
                         .refused(ok.error())
                         .with("origin", admitted.origin)
                         .with("in_reply_to", admitted.in_reply_to)
                         .with("kind", std::string(core::to_string(admitted.kind)));
          if (dry_run) row.with("dry_run", true);
          audit(row.build());
          return next(ok.error());
        }
        next(std::move(admitted));
      });
}

void exchange::publish(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert, core::publish_handler done) {
  auto admitted = admit(who, decoded, signed_alert, /*dry_run=*/false);
  if (!admitted) return done(admitted.error());
  amend(who, std::move(*admitted), /*dry_run=*/false,
        [this, who, done = std::move(done)](core::result<core::publish_request> r) mutable {
          if (!r) return done(r.error());
          commit(who, std::move(*r), std::move(done));
        });
}

void exchange::commit(const core::principal& who, core::publish_request request,
                      core::publish_handler done) {
  auto admitted = &request;
  auto reg = registry();
  // The fallback contacts of recipients with no desk on duty, told at once
  // (committed with the alert).
  if (rapid::needs_desk_on_duty(admitted->prio)) {
    auto plan =
        rapid::plan_unstaffed({admitted->alert_id, admitted->origin, admitted->prio, who.id},
                              unstaffed(admitted->recipients.members), *reg, now_());
    if (plan) {
      admitted->notices = std::move(plan->notices);
      admitted->notices_audit = std::move(plan->audit);
    }
  }
  // The committed publish's log line (the writer audits it inside the
  // batch; a refusal is logged with its audit row) and the latency metric.
  done = [observe = &publish_observer_, started = std::chrono::steady_clock::now(),
          principal = who.id, member = who.member, alert_id = admitted->alert_id,
          done = std::move(done)](core::result<core::publish_outcome> r) {
    const auto took = std::chrono::steady_clock::now() - started;
    if (r && *observe) (*observe)(took);
    if (r && runtime::log_enabled(runtime::log_level::debug)) {
      const auto ms = std::chrono::duration<double, std::milli>(took).count();
      runtime::log_event(runtime::log_level::debug, core::audit_action::publish)
          .with("principal", principal)
          .with("member", member)
          .with("alert_id", alert_id)
          .with("seq", r->seq)
          .with("duplicate", r->duplicate ? "true" : "false")
          .with("duration_ms", ms)
          .say("alert " + alert_id + " from " + principal + " committed as seq " +
               std::to_string(r->seq));
    }
    done(std::move(r));
  };
  auto left_out = admitted->recipients.left_out;
  if (!left_out.empty())
    done = [left_out = std::move(left_out),
            done = std::move(done)](core::result<core::publish_outcome> r) {
      if (r) r->left_out = left_out;
      done(std::move(r));
    };
  log_->writer().publish(std::move(request), std::move(done));
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
        // Per stream: without lanes one, from the lowest lane cursor (a
        // consumer that used lanes before may see some alerts again, never
        // miss one); with lanes one per priority, each from its own.
        consumer::start from;
        const std::size_t streams = start.lanes ? core::lane_count : 1;
        for (std::size_t i = 0; i < streams; ++i) {
          const std::uint64_t cursor = start.lanes ? state->lanes[i] : state->cursor;
          std::uint64_t position = cursor;
          if (start.from == start_position::kind::from_seq) position = start.seq - 1;
          if (start.from == start_position::kind::only_new)
            position = std::max(state->log_head, hub_->last_seq());
          from.positions.push_back(position);
          from.cursors.push_back(cursor);
        }
        const std::uint64_t position =
            *std::min_element(from.positions.begin(), from.positions.end());
        auto c = std::make_shared<broker::consumer>(
            consumer_identity{key, who.member, who.clearance, claim.client_instance, start.lanes},
            from, sink, *hub_, *backlog_, config_.database.backlog_page,
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
                  .with("lanes", start.lanes)
                  .build());
        subscription sub{std::make_shared<durable>(*this, who, c), state->cursor, position, {}};
        if (start.lanes)
          for (std::size_t i = 0; i < core::lane_count; ++i)
            sub.lanes.push_back({core::lane_priority(i), from.cursors[i], from.positions[i]});
        done(std::move(sub));
      });
}

void exchange::audit(core::audit_event event) {
  log_audit_event(event);
  if (log_) log_->writer().audit(std::move(event));
}

void exchange::audit_summary(core::audit_event event) {
  // Failed authentications are already logged, once per summary, by the caller.
  if (log_) log_->writer().audit_summary(std::move(event));
}

// --- rapid response ---

std::unique_ptr<connection_handle> exchange::attach(const core::principal& who,
                                                    std::shared_ptr<notice_sink> notices,
                                                    bool on_duty) {
  const bool desk = who.role == core::role::desk;
  const auto token = notice_hub_.add(who.id, desk ? who.member : std::string(), notices);
  return std::make_unique<attached>(*this, who, ++next_connection_, token, desk && on_duty);
}

void exchange::presence_changed(std::uint64_t connection, const core::principal& who,
                                bool connected, bool on_duty) {
  std::lock_guard lock(presence_mutex_);
  auto counts = board_.update(connection, who.member, connected, on_duty);
  if (!counts || !log_) return;
  // Under the lock: the writer sees a member's changes in the order they happened.
  log_->writer().update_presence(
      {node_,
       {{who.member, counts->connected, counts->on_duty}},
       false,
       {},
       std::chrono::duration_cast<core::duration>(config_.presence.heartbeat * 3),
       everyone(),
       who.id},
      [this](core::result<std::vector<core::member_presence>> r) {
        if (r) on_presence(std::move(*r));
      });
}

core::audience exchange::everyone() const {
  core::audience a;
  auto reg = registry();
  for (const auto& m : reg->data().members) a.members.push_back(m.code);
  a.principals = reg->coordinators();
  return a;
}

void exchange::on_presence(std::vector<core::member_presence> members) {
  bool heartbeat = false;
  {
    std::lock_guard lock(presence_mutex_);
    for (auto& m : members) presence_[m.member] = std::move(m);
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_heartbeat_) {
      heartbeat = next_heartbeat_ != std::chrono::steady_clock::time_point{};
      next_heartbeat_ = now + config_.presence.heartbeat;
    }
  }
  // A heartbeat keeps this node's rows fresh and lets any node notice the
  // members of a node that stopped refreshing its own.
  if (heartbeat && log_) {
    std::vector<store::presence_row> rows;
    {
      std::lock_guard lock(presence_mutex_);
      for (const auto& [member, counts] : board_.all())
        rows.push_back({member, counts.connected, counts.on_duty});
    }
    std::vector<std::string> codes;
    for (const auto& m : registry()->data().members) codes.push_back(m.code);
    log_->writer().update_presence(
        {node_, std::move(rows), true, std::move(codes),
         std::chrono::duration_cast<core::duration>(config_.presence.heartbeat * 3), everyone(),
         "heartbeat"},
        [this](core::result<std::vector<core::member_presence>> r) {
          if (!r) return;
          std::lock_guard lock(presence_mutex_);
          for (auto& m : *r) presence_[m.member] = std::move(m);
        });
  }
}

std::vector<std::string> exchange::unstaffed(const std::vector<std::string>& members) const {
  std::vector<std::string> out;
  std::lock_guard lock(presence_mutex_);
  for (const auto& m : members)
    if (duty_locked(m).state != core::duty_state::on_duty) out.push_back(m);
  return out;
}

void exchange::on_due(std::vector<core::due_deadline> due, std::function<void()> done) {
  if (!log_ || due.empty()) return done();
  auto reg = registry();
  auto left = std::make_shared<std::atomic<std::size_t>>(due.size());
  auto settled = std::make_shared<std::function<void()>>(std::move(done));
  for (const auto& d : due) {
    auto plan =
        rapid::plan_escalation(d, reg->fallback_of(d.member), deadlines_.max_escalations, now_());
    store::escalation_request request{d.alert_seq,          d.member,      d.level,
                                      plan.level,           plan.next_due, std::move(plan.notices),
                                      std::move(plan.audit)};
    log_->writer().escalate(std::move(request), [left, settled, d](core::result<bool> r) {
      if (!r)
        spdlog::warn("deadline of alert {} for {}: escalation not committed ({}); retrying",
                     d.alert_id, d.member, r.error().message);
      if (--*left == 0) (*settled)();
    });
  }
}

void exchange::send_receipt(const core::principal& who, const core::receipt& decoded,
                            const core::signed_receipt& signed_receipt,
                            std::function<void(core::result<core::receipt_outcome>)> done) {
  auto admitted = rapid::admit_receipt(*registry(), who, decoded, signed_receipt, now_());
  if (!admitted) {
    audit(audit::event(now_(), core::audit_action::receipt)
              .by(who)
              .subject(decoded.alert_id.substr(0, 64))
              .refused(admitted.error())
              .with("origin", decoded.origin.substr(0, 16))
              .with("member", decoded.member.substr(0, 16))
              .with("key_id", signed_receipt.key_id.substr(0, 64))
              .build());
    return done(admitted.error());
  }
  log_->writer().record_receipt(std::move(*admitted), std::move(done));
}

void exchange::reject_receipt(const core::principal& who, const core::error& why) {
  audit(audit::event(now_(), core::audit_action::receipt).by(who).refused(why).build());
}

void exchange::fetch_notices(const core::principal& who, std::uint64_t after_id, std::size_t limit,
                             std::function<void(core::result<std::vector<core::notice>>)> done) {
  const bool desk = who.role == core::role::desk;
  log_->reader().fetch_notices(who.id, desk ? who.member : std::string(), after_id, limit,
                               std::move(done));
}

void exchange::query_status(const core::principal& who, std::string alert_id, std::string origin,
                            std::function<void(core::result<core::alert_status>)> done) {
  if (origin.empty() && who.member.empty())
    return done(
        core::make_error(core::errc::invalid_argument, "name the alert's origin (member code)"));
  if (!core::is_canonical_uuid(alert_id))
    return done(core::make_error(core::errc::invalid_argument,
                                 "alert_id must be a UUID in canonical form"));
  const bool sees_all = who.role == core::role::coordinator || who.role == core::role::auditor ||
                        who.role == core::role::admin;
  log_->reader().fetch_status(
      alert_id, origin, who.member,
      [who, sees_all, done = std::move(done)](core::result<core::alert_status> r) {
        if (!r) return done(std::move(r));
        if (sees_all || who.member == r->origin) return done(std::move(r));
        // A recipient sees its own row only; anyone else, nothing.
        std::erase_if(r->rows, [&](const auto& row) { return row.member != who.member; });
        if (r->rows.empty())
          return done(core::make_error(core::errc::not_found,
                                       "no alert " + r->alert_id + " from " + r->origin +
                                           " that your member sent or received"));
        done(std::move(r));
      });
}

void exchange::query_presence(
    const core::principal& who,
    std::function<void(core::result<std::vector<core::member_presence>>)> done) {
  (void)who;
  auto reg = registry();
  log_->reader().fetch_presence(
      [reg, done = std::move(done)](core::result<std::vector<core::member_presence>> r) {
        if (!r) return done(std::move(r));
        // Every member of the registry, in its order; one never seen is
        // unreachable since an unknown time.
        std::vector<core::member_presence> out;
        for (const auto& m : reg->data().members) {
          auto it =
              std::find_if(r->begin(), r->end(), [&](const auto& p) { return p.member == m.code; });
          if (it != r->end())
            out.push_back(*it);
          else
            out.push_back({m.code, core::duty_state::unreachable, std::nullopt, 0, 0});
        }
        done(std::move(out));
      });
}

void exchange::query_consumers(
    std::size_t limit, std::uint64_t pending_cap,
    std::function<void(core::result<std::vector<core::consumer_overview>>)> done) {
  log_->reader().fetch_consumers(limit, pending_cap, std::move(done));
}

bool exchange::ready() const {
  return log_ && log_->writer().connected();
}

store::writer_stats exchange::writer_stats() const {
  return log_ ? log_->writer().stats() : store::writer_stats{};
}

std::pair<std::size_t, std::size_t> exchange::reader_pool() const {
  if (!log_) return {0, 0};
  return {log_->reader().connected(), log_->reader().queued()};
}

store::log_follower::stats exchange::live_feed() const {
  return log_ ? log_->live_feed() : store::log_follower::stats{};
}

std::map<std::string, core::member_presence> exchange::presence_snapshot() const {
  std::lock_guard lock(presence_mutex_);
  return presence_;
}

}  // namespace liaison::broker
