// Read deadlines: how long each recipient member has to send READ, and what
// happens when it does not. At each passed deadline the member's desks get a
// reminder, the sender's desks are told which member is overdue, and the
// member's fallback contacts get an escalation; up to max_escalations
// deadlines, one window apart. A FLASH or URGENT sent to a member with no
// desk on duty reaches its fallback contacts at once. Pure: the caller
// passes `now` and commits the result (the store makes each step happen
// exactly once).
#pragma once

#include "core/audit_event.hpp"
#include "core/rapid.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"

#include <optional>
#include <string>
#include <vector>

namespace liaison::rapid {

// liaison.toml [deadlines].
struct deadline_policy {
  std::optional<core::duration> flash = std::chrono::minutes(15);
  std::optional<core::duration> urgent = std::chrono::hours(2);
  std::optional<core::duration> routine;  // none
  std::uint32_t max_escalations = 2;
};

// The window from commit to the first deadline: the policy's for the
// priority, shortened by the alert's read_within_seconds (or set by it for a
// priority without one). nullopt: no deadline.
std::optional<core::duration> read_window(const deadline_policy& policy, core::priority prio,
                                          std::uint32_t read_within_seconds);

// What one passed deadline sets off.
struct escalation_plan {
  std::uint32_t level = 0;                   // this deadline's number (1 for the first)
  std::optional<core::time_point> next_due;  // the next deadline, if any is left
  std::vector<core::notice> notices;  // reminder, overdue, escalation (when there are fallbacks)
  core::audit_event audit;
};
escalation_plan plan_escalation(const core::due_deadline& due, const core::audience& fallback,
                                std::uint32_t max_escalations, core::time_point now);

// The alert as the no-desk-on-duty plan needs it (before its seq is known).
struct alert_brief {
  std::string alert_id;
  std::string origin;
  core::priority prio = core::priority::routine;
  std::string actor;  // the publishing principal
};

// Whether a priority calls for fallback contacts at once when a recipient
// has no desk on duty.
bool needs_desk_on_duty(core::priority prio);

struct unstaffed_plan {
  std::vector<core::notice> notices;  // to the sender, and to each member's fallback contacts
  core::audit_event audit;
};
// nullopt when `unstaffed` is empty or the priority does not call for it.
std::optional<unstaffed_plan> plan_unstaffed(const alert_brief& alert,
                                             const std::vector<std::string>& unstaffed,
                                             const core::registry& registry, core::time_point now);

}  // namespace liaison::rapid
