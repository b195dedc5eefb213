// Disclosure rules (Traffic Light Protocol) enforced at delivery: whether a
// committed alert may be delivered to a consumer of a given member and
// clearance. Pure.
#pragma once

#include "core/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace liaison::broker {

// nullopt when `alert` may be delivered to a consumer acting for `member`
// with `clearance`; otherwise the reason it is withheld:
//  - the alert's level is more sensitive than the clearance covers;
//  - TLP:RED reached the member only through a group (RED goes only to
//    members named explicitly).
std::optional<std::string> withhold_reason(const core::stored_alert& alert, std::string_view member,
                                           core::tlp clearance);

}  // namespace liaison::broker
