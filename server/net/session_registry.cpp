#include "net/session_registry.hpp"

namespace liaison::net {

std::map<std::uint64_t, session_registry::entry>::iterator session_registry::stale_pending(
    const std::string* address, time_point now) {
  // Ids grow with time: the first match is the oldest.
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    const auto& e = it->second;
    if (!e.principal.empty() || (address && e.address != *address)) continue;
    return now - e.opened >= limits_.evict_after ? it : sessions_.end();
  }
  return sessions_.end();
}

void session_registry::forget_pending(std::map<std::uint64_t, entry>::iterator it) {
  --pending_;
  auto a = pending_per_address_.find(it->second.address);
  if (a != pending_per_address_.end() && --a->second == 0) pending_per_address_.erase(a);
  sessions_.erase(it);
}

std::optional<std::uint64_t> session_registry::open(const std::string& address,
                                                    std::function<void()> stop, time_point now) {
  std::vector<std::function<void()>> evicted;
  std::optional<std::uint64_t> id;
  {
    std::lock_guard lock(mutex_);
    auto make_room = [&](const std::string* from) {
      auto it = stale_pending(from, now);
      if (it == sessions_.end()) return false;
      evicted.push_back(std::move(it->second.stop));
      forget_pending(it);
      return true;
    };
    auto at_address = pending_per_address_.find(address);
    const bool address_full = at_address != pending_per_address_.end() &&
                              at_address->second >= limits_.max_pending_per_address;
    bool room = !address_full || make_room(&address);
    if (room && pending_ >= limits_.max_pending) room = make_room(nullptr);
    if (room) {
      id = next_id_++;
      sessions_.emplace(*id, entry{address, {}, {}, now, std::move(stop)});
      ++pending_;
      ++pending_per_address_[address];
    }
  }
  for (auto& s : evicted) s();
  return id;
}

session_registry::admission session_registry::authenticate(std::uint64_t id,
                                                           const std::string& principal,
                                                           const std::string& certificate_serial) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return admission::gone;
  if (!it->second.principal.empty()) return admission::ok;
  if (sessions_.size() - pending_ >= limits_.max_authenticated) return admission::full;
  auto& count = per_principal_[principal];
  if (count >= limits_.max_per_principal) {
    if (count == 0) per_principal_.erase(principal);
    return admission::principal_full;
  }
  ++count;
  --pending_;
  auto a = pending_per_address_.find(it->second.address);
  if (a != pending_per_address_.end() && --a->second == 0) pending_per_address_.erase(a);
  it->second.principal = principal;
  it->second.serial = certificate_serial;
  return admission::ok;
}

std::vector<session_registry::connection_info> session_registry::authenticated_connections() const {
  std::lock_guard lock(mutex_);
  std::vector<connection_info> out;
  out.reserve(sessions_.size() - pending_);
  for (const auto& [id, e] : sessions_)
    if (!e.principal.empty()) out.push_back({id, e.address, e.principal, e.serial, e.opened});
  return out;
}

void session_registry::close(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (it->second.principal.empty()) return forget_pending(it);
  auto p = per_principal_.find(it->second.principal);
  if (p != per_principal_.end() && --p->second == 0) per_principal_.erase(p);
  sessions_.erase(it);
}

void session_registry::stop_all() {
  std::vector<std::function<void()>> stops;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, e] : sessions_) stops.push_back(e.stop);
  }
  for (auto& s : stops) s();
}

void session_registry::stop_principal(const std::string& principal) {
  std::vector<std::function<void()>> stops;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, e] : sessions_)
      if (e.principal == principal) stops.push_back(e.stop);
  }
  for (auto& s : stops) s();
}

std::vector<std::string> session_registry::stop_serials(const std::set<std::string>& serials) {
  std::vector<std::function<void()>> stops;
  std::vector<std::string> principals;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, e] : sessions_)
      if (!e.serial.empty() && serials.contains(e.serial)) {
        stops.push_back(e.stop);
        principals.push_back(e.principal);
      }
  }
  for (auto& s : stops) s();
  return principals;
}

std::size_t session_registry::count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::size_t session_registry::authenticated() const {
  std::lock_guard lock(mutex_);
  return sessions_.size() - pending_;
}

std::size_t session_registry::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

std::size_t session_registry::count(const std::string& principal) const {
  std::lock_guard lock(mutex_);
  auto it = per_principal_.find(principal);
  return it == per_principal_.end() ? 0 : it->second;
}

}  // namespace liaison::net
