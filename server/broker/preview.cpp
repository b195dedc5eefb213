#include "broker/preview.hpp"

#include "broker/disclosure.hpp"
#include "rapid/deadlines.hpp"

namespace liaison::broker {

core::recipient_preview preview_recipients(
    const core::publish_request& admitted, const core::registry& registry,
    const std::function<member_duty(const std::string& member)>& duty_of) {
  core::recipient_preview out;
  out.alert_id = admitted.alert_id;
  out.left_out = admitted.recipients.left_out;
  out.read_window = admitted.read_window;
  // The alert as the delivery rules see it.
  core::stored_alert as_delivered;
  as_delivered.disclosure = admitted.disclosure;
  as_delivered.recipients = admitted.recipients;
  const bool needs_desk = rapid::needs_desk_on_duty(admitted.prio);
  for (const auto& code : admitted.recipients.members) {
    core::recipient_preview::recipient r;
    r.member = code;
    const auto duty = duty_of(code);
    r.duty = duty.state;
    r.desks_on_duty = duty.desks_on_duty;
    for (const auto& p : registry.data().principals) {
      if (p.member != code || (p.role != core::role::desk && p.role != core::role::partner))
        continue;
      if (auto why = withhold_reason(as_delivered, code, p.clearance))
        r.withheld.push_back({p.id, *why});
      else
        r.principals.push_back(p.id);
    }
    if (needs_desk && duty.state != core::duty_state::on_duty)
      if (const auto* m = registry.find_member(code)) r.fallback = m->fallback;
    out.recipients.push_back(std::move(r));
  }
  return out;
}

}  // namespace liaison::broker
