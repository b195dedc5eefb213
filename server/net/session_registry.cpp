#include "net/session_registry.hpp"

#include <vector>

namespace liaison::net {

std::optional<std::uint64_t> session_registry::open(std::function<void()> stop) {
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_total_) return std::nullopt;
  auto id = next_id_++;
  sessions_.emplace(id, entry{{}, {}, std::move(stop)});
  return id;
}

bool session_registry::authenticate(std::uint64_t id, const std::string& principal,
                                    const std::string& certificate_serial) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  auto& count = per_principal_[principal];
  if (count >= max_per_principal_) return false;
  ++count;
  it->second.principal = principal;
  it->second.serial = certificate_serial;
  return true;
}

void session_registry::close(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (!it->second.principal.empty()) {
    auto p = per_principal_.find(it->second.principal);
    if (p != per_principal_.end() && --p->second == 0) per_principal_.erase(p);
  }
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

std::size_t session_registry::count(const std::string& principal) const {
  std::lock_guard lock(mutex_);
  auto it = per_principal_.find(principal);
  return it == per_principal_.end() ? 0 : it->second;
}

}  // namespace liaison::net
