// "Who would receive this": the recipients of an admitted publish as the
// delivery rules would treat them, without storing or delivering anything.
// Pure: the registry and each member's duty state are passed in.
#pragma once

#include "core/records.hpp"
#include "core/registry.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace liaison::broker {

struct member_duty {
  core::duty_state state = core::duty_state::unreachable;
  std::uint32_t desks_on_duty = 0;
};

// For each recipient member, in order: its duty state (`duty_of`), its
// principals that receive deliveries (desks and partner systems) whose
// clearance and the TLP:RED rule let the alert through, those that would
// not get it and why, and the member's fallback contacts when the priority
// calls for a desk on duty and it has none.
core::recipient_preview preview_recipients(
    const core::publish_request& admitted, const core::registry& registry,
    const std::function<member_duty(const std::string& member)>& duty_of);

}  // namespace liaison::broker
