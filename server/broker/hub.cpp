#include "broker/hub.hpp"

#include "broker/consumer.hpp"

#include <algorithm>

namespace liaison::broker {

bool hub::attach(const std::shared_ptr<consumer>& c, const std::string& member,
                 std::optional<core::priority> lane, std::uint64_t position) {
  std::lock_guard lock(mutex_);
  if (last_seq_ > position) return false;
  by_member_[member].push_back({c, lane});
  return true;
}

void hub::detach(const consumer* c, const std::string& member, std::optional<core::priority> lane) {
  std::lock_guard lock(mutex_);
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return;
  auto& list = it->second;
  std::erase_if(list, [c, lane](const attached& a) {
    auto p = a.c.lock();
    return !p || (p.get() == c && a.lane == lane);
  });
}

void hub::fan_out(const std::vector<core::stored_alert_ptr>& alerts) {
  if (alerts.empty()) return;
  // Resolve the targets under the lock, deliver outside it: a consumer may
  // detach itself (outbox full) from inside on_live.
  struct target {
    std::shared_ptr<consumer> c;
    const core::stored_alert_ptr* alert;
    std::optional<core::priority> lane;
  };
  std::vector<target> targets;
  {
    std::lock_guard lock(mutex_);
    last_seq_ = alerts.back()->seq;
    for (const auto& alert : alerts) {
      for (const auto& member : alert->recipients.members) {
        auto it = by_member_.find(member);
        if (it == by_member_.end()) continue;
        for (const auto& a : it->second) {
          if (a.lane && *a.lane != alert->prio) continue;
          if (auto c = a.c.lock()) targets.push_back({std::move(c), &alert, a.lane});
        }
      }
    }
  }
  for (auto& t : targets) t.c->on_live(*t.alert, t.lane);
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

std::vector<std::shared_ptr<const consumer>> hub::held() const {
  std::vector<std::shared_ptr<const consumer>> out;
  std::lock_guard lock(mutex_);
  for (const auto& [key, weak] : active_)
    if (auto c = weak.lock()) out.push_back(std::move(c));
  return out;
}

}  // namespace liaison::broker
