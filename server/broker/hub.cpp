#include "broker/hub.hpp"

#include "broker/consumer.hpp"

#include <algorithm>

namespace liaison::broker {

bool hub::attach(const std::shared_ptr<consumer>& c, const std::string& member,
                 std::uint64_t position) {
  std::lock_guard lock(mutex_);
  if (last_seq_ > position) return false;
  by_member_[member].push_back(c);
  return true;
}

void hub::detach(const consumer* c, const std::string& member) {
  std::lock_guard lock(mutex_);
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return;
  auto& list = it->second;
  std::erase_if(list, [c](const std::weak_ptr<consumer>& w) {
    auto p = w.lock();
    return !p || p.get() == c;
  });
}

void hub::fan_out(const std::vector<core::stored_alert_ptr>& alerts) {
  if (alerts.empty()) return;
  // Resolve the targets under the lock, deliver outside it: a consumer may
  // detach itself (outbox full) from inside on_live.
  std::vector<std::pair<std::shared_ptr<consumer>, const core::stored_alert_ptr*>> targets;
  {
    std::lock_guard lock(mutex_);
    last_seq_ = alerts.back()->seq;
    for (const auto& alert : alerts) {
      for (const auto& member : alert->recipients.members) {
        auto it = by_member_.find(member);
        if (it == by_member_.end()) continue;
        for (const auto& w : it->second)
          if (auto c = w.lock()) targets.emplace_back(std::move(c), &alert);
      }
    }
  }
  for (auto& [c, alert] : targets) c->on_live(*alert);
}

std::uint64_t hub::last_seq() const {
  std::lock_guard lock(mutex_);
  return last_seq_;
}

hub::claim_result hub::claim(const core::consumer_key& key, const std::shared_ptr<consumer>& c,
                             const std::function<bool(const consumer& holder)>& may_take) {
  std::lock_guard lock(mutex_);
  auto& slot = active_[{key.principal, key.name}];
  auto previous = slot.lock();
  if (previous && !may_take(*previous)) return {false, std::move(previous)};
  slot = c;
  return {true, std::move(previous)};
}

void hub::release(const core::consumer_key& key, const consumer* c) {
  std::lock_guard lock(mutex_);
  auto it = active_.find({key.principal, key.name});
  if (it == active_.end()) return;
  auto current = it->second.lock();
  if (!current || current.get() == c) active_.erase(it);
}

std::size_t hub::attached_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [member, list] : by_member_) n += list.size();
  return n;
}

}  // namespace liaison::broker
