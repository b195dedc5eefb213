#include "broker/notice_hub.hpp"

#include <algorithm>

namespace liaison::broker {

std::uint64_t notice_hub::add(const std::string& principal, const std::string& member,
                              std::weak_ptr<notice_sink> sink) {
  std::lock_guard lock(mutex_);
  const auto token = ++next_;
  entries_[token] = entry{principal, member, std::move(sink)};
  return token;
}

void notice_hub::remove(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  entries_.erase(token);
}

void notice_hub::set_on_duty(std::uint64_t token, bool on_duty) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(token); it != entries_.end()) it->second.on_duty = on_duty;
}

void notice_hub::fan_out(const std::vector<core::notice_ptr>& notices) {
  std::vector<std::pair<std::shared_ptr<notice_sink>, const core::notice_ptr*>> targets;
  {
    std::lock_guard lock(mutex_);
    auto contains = [](const std::vector<std::string>& list, const std::string& v) {
      return !v.empty() && std::find(list.begin(), list.end(), v) != list.end();
    };
    for (const auto& n : notices)
      for (const auto& [token, e] : entries_)
        if (contains(n->to.principals, e.principal) ||
            (contains(n->to.members, e.member) &&
             (n->kind != core::notice_kind::presence || e.on_duty)))
          if (auto sink = e.sink.lock()) targets.emplace_back(std::move(sink), &n);
  }
  for (auto& [sink, notice] : targets) sink->offer_notice(*notice);
}

std::size_t notice_hub::attached() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace liaison::broker
