#include "rapid/deadlines.hpp"

#include "audit/event.hpp"
#include "core/names.hpp"
#include "core/time_text.hpp"
#include "rapid/notice_text.hpp"

namespace liaison::rapid {

std::optional<core::duration> read_window(const deadline_policy& policy, core::priority prio,
                                          std::uint32_t read_within_seconds) {
  std::optional<core::duration> configured;
  switch (prio) {
    case core::priority::flash:
      configured = policy.flash;
      break;
    case core::priority::urgent:
      configured = policy.urgent;
      break;
    case core::priority::routine:
      configured = policy.routine;
      break;
  }
  if (read_within_seconds == 0) return configured;
  const core::duration asked = std::chrono::seconds(read_within_seconds);
  if (!configured) return asked;
  return std::min(*configured, asked);
}

namespace {

core::notice about(const core::due_deadline& due, core::notice_kind kind, std::uint32_t level,
                   core::time_point now) {
  core::notice n;
  n.kind = kind;
  n.at = now;
  n.alert_id = due.alert_id;
  n.origin = due.origin;
  n.alert_seq = due.alert_seq;
  n.prio = due.prio;
  n.members = {due.member};
  n.level = level;
  n.deadline = due.due_at;
  return n;
}

nlohmann::json audience_json(const core::audience& a) {
  return {{"members", a.members}, {"principals", a.principals}};
}

}  // namespace

escalation_plan plan_escalation(const core::due_deadline& due, const core::audience& fallback,
                                std::uint32_t max_escalations, core::time_point now) {
  escalation_plan plan;
  plan.level = due.level + 1;
  if (plan.level < max_escalations) plan.next_due = due.due_at + due.window;

  auto reminder = about(due, core::notice_kind::reminder, plan.level, now);
  reminder.to.members = {due.member};
  auto overdue = about(due, core::notice_kind::overdue, plan.level, now);
  overdue.to.members = {due.origin};
  for (auto* n : {&reminder, &overdue}) {
    n->text = notice_text(*n);
    plan.notices.push_back(std::move(*n));
  }
  if (!fallback.members.empty() || !fallback.principals.empty()) {
    auto escalation = about(due, core::notice_kind::escalation, plan.level, now);
    escalation.to = fallback;
    escalation.text = notice_text(escalation);
    plan.notices.push_back(std::move(escalation));
  }

  plan.audit =
      audit::event(now, core::audit_action::deadline_escalate)
          .subject(due.alert_id)
          .with("seq", due.alert_seq)
          .with("origin", due.origin)
          .with("member", due.member)
          .with("priority", core::to_string(due.prio))
          .with("level", plan.level)
          .with("deadline", core::to_rfc3339(due.due_at))
          .with("next_deadline",
                plan.next_due ? nlohmann::json(core::to_rfc3339(*plan.next_due)) : nlohmann::json())
          .with("fallback", audience_json(fallback))
          .build();
  return plan;
}

bool needs_desk_on_duty(core::priority prio) {
  return prio == core::priority::flash || prio == core::priority::urgent;
}

std::optional<unstaffed_plan> plan_unstaffed(const alert_brief& alert,
                                             const std::vector<std::string>& unstaffed,
                                             const core::registry& registry, core::time_point now) {
  if (unstaffed.empty() || !needs_desk_on_duty(alert.prio)) return std::nullopt;
  unstaffed_plan plan;
  auto base = [&](std::vector<std::string> members) {
    core::notice n;
    n.kind = core::notice_kind::no_desk_on_duty;
    n.at = now;
    n.alert_id = alert.alert_id;
    n.origin = alert.origin;
    n.prio = alert.prio;
    n.members = std::move(members);
    return n;
  };
  auto to_sender = base(unstaffed);
  to_sender.to.members = {alert.origin};
  to_sender.text = notice_text(to_sender);
  plan.notices.push_back(std::move(to_sender));
  nlohmann::json told = nlohmann::json::object();
  for (const auto& m : unstaffed) {
    auto fallback = registry.fallback_of(m);
    told[m] = audience_json(fallback);
    if (fallback.members.empty() && fallback.principals.empty()) continue;
    auto n = base({m});
    n.to = std::move(fallback);
    n.text = notice_text(n);
    plan.notices.push_back(std::move(n));
  }
  plan.audit = audit::event(now, core::audit_action::no_desk_on_duty)
                   .by(alert.actor, alert.origin)
                   .subject(alert.alert_id)
                   .with("origin", alert.origin)
                   .with("priority", core::to_string(alert.prio))
                   .with("members", unstaffed)
                   .with("fallback", told)
                   .build();
  return plan;
}

}  // namespace liaison::rapid
