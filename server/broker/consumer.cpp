#include "broker/consumer.hpp"

#include "broker/disclosure.hpp"
#include "broker/hub.hpp"

#include "audit/event.hpp"

namespace liaison::broker {

consumer::consumer(consumer_identity who, std::uint64_t position, std::uint64_t cursor,
                   std::shared_ptr<delivery_sink> sink, hub& live, backlog_source& backlog,
                   std::size_t page_size, audit_fn audit, clock_fn now)
    : who_(std::move(who)),
      sink_(std::move(sink)),
      hub_(live),
      backlog_(backlog),
      page_size_(page_size),
      audit_(std::move(audit)),
      now_(std::move(now)),
      position_(position),
      cursor_(cursor) {}

void consumer::start() {
  std::lock_guard lock(mutex_);
  if (mode_ != mode::idle) return;
  mode_ = mode::catching_up;
  fetch_locked();
}

void consumer::stop() {
  bool was_live = false;
  {
    std::lock_guard lock(mutex_);
    was_live = mode_ == mode::live;
    mode_ = mode::stopped;
  }
  if (was_live) hub_.detach(this, who_.member);
}

void consumer::fail(const core::error& why) {
  stop();
  sink_->consumer_failed(who_.key.name, why);
}

void consumer::fetch_locked() {
  if (mode_ != mode::catching_up || fetching_) return;
  if (!sink_->wants_more()) {
    waiting_for_room_ = true;
    return;
  }
  fetching_ = true;
  std::weak_ptr<consumer> weak = weak_from_this();
  backlog_.fetch_backlog(who_.member, position_, page_size_,
                         [weak](core::result<core::backlog_page> page) {
                           if (auto self = weak.lock()) self->on_page(std::move(page));
                         });
}

void consumer::on_page(core::result<core::backlog_page> page) {
  std::unique_lock lock(mutex_);
  fetching_ = false;
  if (mode_ != mode::catching_up) return;
  if (!page) {
    mode_ = mode::stopped;
    lock.unlock();
    sink_->consumer_failed(who_.key.name,
                           core::make_error(core::errc::unavailable,
                                            "reading the backlog failed (" + page.error().message +
                                                "); subscribe again to resume from your cursor"));
    return;
  }
  for (const auto& alert : page->alerts) {
    if (!deliver_locked(alert)) {
      // The outbound queue is full: resume from position_ once it drains.
      waiting_for_room_ = true;
      return;
    }
  }
  if (page->scanned_to > position_) position_ = page->scanned_to;
  if (page->alerts.size() < page_size_) {
    // The page reached the head of the log: go live unless the hub has
    // already fanned out something past our position.
    if (hub_.attach(shared_from_this(), who_.member, position_)) {
      mode_ = mode::live;
      return;
    }
  }
  fetch_locked();
}

bool consumer::deliver_locked(const core::stored_alert_ptr& alert) {
  if (alert->seq <= position_) return true;  // already delivered (backlog/live overlap)
  if (auto reason = withhold_reason(*alert, who_.member, who_.clearance)) {
    audit_(audit::event(now_(), core::audit_action::withhold)
               .by(who_.key.principal, who_.member)
               .subject(who_.key.name)
               .with("seq", alert->seq)
               .with("alert_id", alert->alert_id)
               .with("member", who_.member)
               .with("reason", *reason)
               .build());
    position_ = alert->seq;
    return true;
  }
  if (!sink_->offer(who_.key.name, alert)) return false;
  position_ = alert->seq;
  return true;
}

void consumer::on_live(const core::stored_alert_ptr& alert) {
  std::unique_lock lock(mutex_);
  if (mode_ != mode::live) return;
  if (deliver_locked(alert)) return;
  // Too slow for the live path: leave it and catch up from the database.
  mode_ = mode::catching_up;
  waiting_for_room_ = true;
  lock.unlock();
  hub_.detach(this, who_.member);
}

void consumer::on_room() {
  std::lock_guard lock(mutex_);
  if (mode_ != mode::catching_up || !waiting_for_room_) return;
  waiting_for_room_ = false;
  fetch_locked();
}

std::uint64_t consumer::position() const {
  std::lock_guard lock(mutex_);
  return position_;
}

std::uint64_t consumer::cursor() const {
  std::lock_guard lock(mutex_);
  return cursor_;
}

core::result<bool> consumer::check_ack(std::uint64_t up_to_seq) const {
  std::lock_guard lock(mutex_);
  if (up_to_seq > position_)
    return core::make_error(core::errc::invalid_argument,
                            "cannot acknowledge seq " + std::to_string(up_to_seq) + ": consumer '" +
                                who_.key.name + "' was delivered up to seq " +
                                std::to_string(position_));
  return up_to_seq > cursor_;
}

void consumer::acknowledged(std::uint64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  if (up_to_seq > cursor_) cursor_ = up_to_seq;
}

bool consumer::is_live() const {
  std::lock_guard lock(mutex_);
  return mode_ == mode::live;
}

}  // namespace liaison::broker
