#include "broker/event_log.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace liaison::broker {
namespace {

namespace action = core::audit_action;

// What the subject of each action is, as a log field name.
std::string_view subject_field(std::string_view a) {
  if (a == action::publish || a == action::receipt || a == action::deadline_escalate ||
      a == action::no_desk_on_duty)
    return "alert_id";
  if (a == action::subscribe || a == action::deliver || a == action::ack || a == action::withhold)
    return "consumer";
  return "subject";
}

}  // namespace

runtime::log_level log_level_of(const core::audit_event& e) {
  if (e.outcome != "ok")
    return e.outcome == core::to_string(core::errc::resource_exhausted) ? runtime::log_level::debug
                                                                        : runtime::log_level::info;
  constexpr std::array notable{
      action::server_start,      action::config_reload,   action::authenticate,
      action::subscribe,         action::stream_open,     action::stream_close,
      action::deadline_escalate, action::no_desk_on_duty, action::presence_change};
  return std::find(notable.begin(), notable.end(), e.action) != notable.end()
             ? runtime::log_level::info
             : runtime::log_level::debug;
}

void log_audit_event(const core::audit_event& e) {
  const auto level = log_level_of(e);
  if (!runtime::log_enabled(level)) return;
  runtime::log_event line(level, e.action);
  if (!e.actor.empty()) line.with("principal", e.actor);
  if (!e.actor_member.empty()) line.with("member", e.actor_member);
  if (!e.subject.empty()) line.with(subject_field(e.action), e.subject);
  line.with("error_code", e.outcome);
  // The detail's own fields (seq, seqs, lane, reason, ...), never replacing
  // the ones above.
  const auto detail = nlohmann::json::parse(e.detail, nullptr, false);
  if (detail.is_object())
    for (const auto& [key, value] : detail.items()) {
      if (key == "principal" || key == "member" || key == "alert_id" || key == "consumer" ||
          key == "subject" || key == "error_code")
        line.with_json("detail_" + key, value.dump());
      else
        line.with_json(key, value.dump());
    }
  std::string text = e.action + " by " + (e.actor.empty() ? "-" : e.actor);
  if (!e.subject.empty()) text += " on " + e.subject;
  text += ": " + e.outcome;
  line.say(text);
}

}  // namespace liaison::broker
