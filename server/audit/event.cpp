#include "audit/event.hpp"

#include "core/error.hpp"

namespace liaison::audit {

event::event(core::time_point at, std::string_view action) {
  event_.at = at;
  event_.actor = "server";
  event_.action = std::string(action);
  event_.outcome = "ok";
}

event& event::by(const core::principal& who) {
  return by(who.id, who.member);
}

event& event::by(std::string id, std::string member) {
  event_.actor = std::move(id);
  event_.actor_member = std::move(member);
  return *this;
}

event& event::with_all(const nlohmann::json& object) {
  for (const auto& [key, value] : object.items()) detail_[key] = value;
  return *this;
}

event& event::from_peer(std::string_view peer, const core::principal* who) {
  if (who && !who->id.empty()) {
    by(who->id, who->member);
  } else {
    event_.actor = "tls:" + std::string(peer);
    event_.actor_member.clear();
  }
  detail_["peer"] = std::string(peer);
  return *this;
}

event& event::subject(std::string s) {
  event_.subject = std::move(s);
  return *this;
}

event& event::outcome(std::string_view o) {
  event_.outcome = std::string(o);
  return *this;
}

event& event::refused(const core::error& why) {
  event_.outcome = std::string(core::to_string(why.code));
  detail_["reason"] = why.message;
  return *this;
}

event& event::with(std::string_view key, nlohmann::json value) {
  detail_[std::string(key)] = std::move(value);
  return *this;
}

core::audit_event event::build() {
  event_.detail = dump_json(detail_);
  return std::move(event_);
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace liaison::audit
