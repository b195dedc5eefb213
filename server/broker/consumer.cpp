#include "broker/consumer.hpp"

#include "broker/disclosure.hpp"
#include "broker/hub.hpp"

#include "audit/event.hpp"
#include "core/names.hpp"

namespace liaison::broker {

consumer::consumer(consumer_identity who, start from, std::shared_ptr<delivery_sink> sink,
                   hub& live, backlog_source& backlog, std::size_t page_size, audit_fn audit,
                   clock_fn now)
    : who_(std::move(who)),
      sink_(std::move(sink)),
      hub_(live),
      backlog_(backlog),
      page_size_(page_size),
      audit_(std::move(audit)),
      now_(std::move(now)) {
  const std::size_t n = who_.lanes ? core::lane_count : 1;
  streams_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (who_.lanes) streams_[i].lane = core::lane_priority(i);
    streams_[i].position = i < from.positions.size() ? from.positions[i] : 0;
    streams_[i].cursor = i < from.cursors.size() ? from.cursors[i] : 0;
  }
}

std::string consumer::stream_name(const stream& s) const {
  return s.lane ? who_.key.name + " (" + std::string(core::to_string(*s.lane)) + " lane)"
                : who_.key.name;
}

void consumer::start_delivery() {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].m != mode::idle) continue;
    streams_[i].m = mode::catching_up;
    fetch_locked(i);
  }
}

void consumer::stop() {
  std::vector<std::optional<core::priority>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& s : streams_) {
      if (s.m == mode::live) live.push_back(s.lane);
      s.m = mode::stopped;
    }
  }
  for (const auto& lane : live) hub_.detach(this, who_.member, lane);
}

void consumer::fail(const core::error& why) {
  stop();
  sink_->consumer_failed(who_.key.name, why);
}

void consumer::fetch_locked(std::size_t i) {
  auto& s = streams_[i];
  if (s.m != mode::catching_up || s.fetching) return;
  if (!sink_->wants_more(queue_of(s))) {
    s.waiting_for_room = true;
    return;
  }
  s.fetching = true;
  std::weak_ptr<consumer> weak = weak_from_this();
  backlog_.fetch_backlog(who_.member, s.position, page_size_, s.lane,
                         [weak, i](core::result<core::backlog_page> page) {
                           if (auto self = weak.lock()) self->on_page(i, std::move(page));
                         });
}

void consumer::on_page(std::size_t i, core::result<core::backlog_page> page) {
  std::unique_lock lock(mutex_);
  auto& s = streams_[i];
  s.fetching = false;
  if (s.m != mode::catching_up) return;
  if (!page) {
    for (auto& other : streams_) other.m = mode::stopped;
    lock.unlock();
    stop();
    sink_->consumer_failed(who_.key.name,
                           core::make_error(core::errc::unavailable,
                                            "reading the backlog failed (" + page.error().message +
                                                "); subscribe again to resume from your cursor"));
    return;
  }
  for (const auto& alert : page->alerts) {
    if (!deliver_locked(s, alert)) {
      // The outbound queue is full: resume from the position once it drains.
      s.waiting_for_room = true;
      return;
    }
  }
  if (page->scanned_to > s.position) s.position = page->scanned_to;
  if (page->alerts.size() < page_size_) {
    // The page reached the head of the log: go live unless the hub has
    // already fanned out something past the position.
    if (hub_.attach(shared_from_this(), who_.member, s.lane, s.position)) {
      s.m = mode::live;
      return;
    }
  }
  fetch_locked(i);
}

bool consumer::deliver_locked(stream& s, const core::stored_alert_ptr& alert) {
  if (alert->seq <= s.position) return true;  // already delivered (backlog/live overlap)
  if (auto reason = withhold_reason(*alert, who_.member, who_.clearance)) {
    audit_(audit::event(now_(), core::audit_action::withhold)
               .by(who_.key.principal, who_.member)
               .subject(who_.key.name)
               .with("seq", alert->seq)
               .with("alert_id", alert->alert_id)
               .with("member", who_.member)
               .with("reason", *reason)
               .build());
    s.position = alert->seq;
    return true;
  }
  if (!sink_->offer(who_.key.name, alert, queue_of(s))) return false;
  s.position = alert->seq;
  s.delivered_commit = alert->received_at;
  return true;
}

consumer::lag_figures consumer::lag(std::uint64_t head, core::time_point now) const {
  std::lock_guard lock(mutex_);
  lag_figures out;
  for (const auto& s : streams_) {
    if (s.m == mode::live || s.m == mode::stopped) continue;
    if (head > s.position) out.seqs = std::max(out.seqs, head - s.position);
    if (s.delivered_commit && now > *s.delivered_commit)
      out.seconds =
          std::max(out.seconds, std::chrono::duration<double>(now - *s.delivered_commit).count());
  }
  return out;
}

void consumer::on_live(const core::stored_alert_ptr& alert, std::optional<core::priority> lane) {
  std::unique_lock lock(mutex_);
  const std::size_t i = lane ? core::lane_index(*lane) : 0;
  if (i >= streams_.size()) return;
  auto& s = streams_[i];
  if (s.m != mode::live || s.lane != lane) return;
  if (deliver_locked(s, alert)) return;
  // Too slow for the live path: leave it and catch up from the database.
  s.m = mode::catching_up;
  s.waiting_for_room = true;
  lock.unlock();
  hub_.detach(this, who_.member, lane);
}

void consumer::on_room() {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    auto& s = streams_[i];
    if (s.m != mode::catching_up || !s.waiting_for_room) continue;
    s.waiting_for_room = false;
    fetch_locked(i);
  }
}

core::result<std::size_t> consumer::stream_of(std::optional<core::priority> lane) const {
  if (who_.lanes && !lane)
    return core::make_error(core::errc::invalid_argument,
                            "consumer '" + who_.key.name +
                                "' delivers by lane; name the lane (FLASH, URGENT or ROUTINE) in "
                                "the Ack, as Deliver.lane says");
  if (!who_.lanes && lane)
    return core::make_error(core::errc::invalid_argument,
                            "consumer '" + who_.key.name +
                                "' was subscribed without lanes; leave Ack.lane unspecified");
  return lane ? core::lane_index(*lane) : std::size_t{0};
}

std::uint64_t consumer::position(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return streams_.at(i).position;
}

std::uint64_t consumer::cursor(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return streams_.at(i).cursor;
}

core::result<bool> consumer::check_ack(std::size_t i, std::uint64_t up_to_seq) const {
  std::lock_guard lock(mutex_);
  const auto& s = streams_.at(i);
  if (up_to_seq > s.position)
    return core::make_error(core::errc::invalid_argument,
                            "cannot acknowledge seq " + std::to_string(up_to_seq) + ": consumer '" +
                                stream_name(s) + "' was delivered up to seq " +
                                std::to_string(s.position));
  return up_to_seq > s.cursor;
}

void consumer::acknowledged(std::size_t i, std::uint64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  auto& s = streams_.at(i);
  if (up_to_seq > s.cursor) s.cursor = up_to_seq;
}

bool consumer::is_live(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return streams_.at(i).m == mode::live;
}

}  // namespace liaison::broker
