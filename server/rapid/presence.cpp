#include "rapid/presence.hpp"

namespace liaison::rapid {

core::duty_state state_of(const desk_counts& c) {
  if (c.on_duty > 0) return core::duty_state::on_duty;
  if (c.connected > 0) return core::duty_state::off_duty;
  return core::duty_state::unreachable;
}

bool notify_duty_change(core::duty_state from, core::duty_state to) {
  return (from == core::duty_state::on_duty) != (to == core::duty_state::on_duty);
}

core::duty_state combined_state(const std::vector<desk_counts>& nodes) {
  desk_counts sum;
  for (const auto& n : nodes) {
    sum.connected += n.connected;
    sum.on_duty += n.on_duty;
  }
  return state_of(sum);
}

std::optional<desk_counts> presence_board::update(std::uint64_t connection,
                                                  const std::string& member, bool connected,
                                                  bool on_duty) {
  const desk_counts before = counts(member);
  auto it = desks_.find(connection);
  if (it != desks_.end()) {
    auto& old = members_[it->second.member];
    --old.connected;
    if (it->second.on_duty) --old.on_duty;
    if (old == desk_counts{}) members_.erase(it->second.member);
    desks_.erase(it);
  }
  if (connected) {
    desks_[connection] = desk{member, on_duty};
    auto& now = members_[member];
    ++now.connected;
    if (on_duty) ++now.on_duty;
  }
  const desk_counts after = counts(member);
  if (after == before) return std::nullopt;
  return after;
}

desk_counts presence_board::counts(const std::string& member) const {
  auto it = members_.find(member);
  return it == members_.end() ? desk_counts{} : it->second;
}

std::map<std::string, desk_counts> presence_board::all() const {
  return members_;
}

}  // namespace liaison::rapid
