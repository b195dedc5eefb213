#include "broker/disclosure.hpp"

#include "core/names.hpp"

#include <algorithm>

namespace liaison::broker {

std::optional<std::string> withhold_reason(const core::stored_alert& alert, std::string_view member,
                                           core::tlp clearance) {
  // A smaller TLP value is more sensitive; a clearance covers its own level
  // and everything less sensitive.
  if (static_cast<int>(alert.disclosure) < static_cast<int>(clearance))
    return "TLP:" + std::string(core::to_string(alert.disclosure)) +
           " is above this principal's clearance TLP:" + std::string(core::to_string(clearance));
  if (alert.disclosure == core::tlp::red) {
    const auto& named = alert.recipients.named;
    if (std::find(named.begin(), named.end(), member) == named.end())
      return "TLP:RED goes only to members named explicitly, and " + std::string(member) +
             " was reached through a group";
  }
  return std::nullopt;
}

}  // namespace liaison::broker
