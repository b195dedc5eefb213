#include "rapid/notice_text.hpp"

#include "core/names.hpp"
#include "core/time_text.hpp"

namespace liaison::rapid {
namespace {

std::string joined(const std::vector<std::string>& members) {
  std::string out;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out += i + 1 == members.size() ? " and " : ", ";
    out += members[i];
  }
  return out;
}

std::string alert_phrase(const core::notice& n) {
  std::string out = n.prio ? std::string(core::to_string(*n.prio)) + " alert " : "alert ";
  return out + n.alert_id + " from " + n.origin;
}

}  // namespace

std::string notice_text(const core::notice& n, std::optional<core::receipt_state> state,
                        std::string_view note) {
  const std::string who = joined(n.members);
  const std::string level = " (" + std::to_string(n.level) + ")";
  switch (n.kind) {
    case core::notice_kind::receipt: {
      std::string out = who + " sent " +
                        (state ? std::string(core::to_string(*state)) : std::string("a receipt")) +
                        " for " + alert_phrase(n);
      if (!note.empty()) out += ": " + std::string(note);
      return out;
    }
    case core::notice_kind::reminder:
      return "Reminder" + level + ": " + alert_phrase(n) + " has not been read by " + who +
             " within its deadline; open it and send READ";
    case core::notice_kind::overdue:
      return "Overdue" + level + ": " + who + (n.members.size() > 1 ? " have" : " has") +
             " not read " + alert_phrase(n) + " within its deadline";
    case core::notice_kind::escalation:
      return "Escalation" + level + ": " + who + (n.members.size() > 1 ? " have" : " has") +
             " not read " + alert_phrase(n) + " within its deadline; you are " + who +
             "'s fallback contact";
    case core::notice_kind::no_desk_on_duty:
      return who + (n.members.size() > 1 ? " have" : " has") + " no desk on duty for " +
             alert_phrase(n) + "; fallback contacts are told now";
    case core::notice_kind::presence:
      return who + " is now " +
             (n.duty ? (*n.duty == core::duty_state::on_duty    ? std::string("on duty")
                        : *n.duty == core::duty_state::off_duty ? std::string("off duty")
                                                                : std::string("unreachable"))
                     : std::string("in an unknown state"));
  }
  return alert_phrase(n);
}

}  // namespace liaison::rapid
