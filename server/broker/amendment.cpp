#include "broker/amendment.hpp"

#include "core/names.hpp"
#include "core/time_text.hpp"

#include <algorithm>

namespace liaison::broker {

bool is_amendment(core::alert_kind kind) {
  return kind == core::alert_kind::withdrawal || kind == core::alert_kind::correction;
}

namespace {

void add_recipients(core::recipient_set& r, const std::vector<std::string>& more) {
  auto merge = [](std::vector<std::string>& into, const std::vector<std::string>& add) {
    into.insert(into.end(), add.begin(), add.end());
    std::sort(into.begin(), into.end());
    into.erase(std::unique(into.begin(), into.end()), into.end());
  };
  merge(r.members, more);
  merge(r.named, more);
  std::erase_if(r.left_out, [&](const core::left_out_member& l) {
    return std::binary_search(r.members.begin(), r.members.end(), l.member);
  });
}

}  // namespace

core::result<void> apply_reply_rules(core::publish_request& request,
                                     const std::vector<core::amendment_target>& targets) {
  std::vector<std::string> origins;
  for (const auto& t : targets) {
    const bool received =
        std::find(t.recipients.begin(), t.recipients.end(), request.origin) != t.recipients.end();
    if (t.origin == request.origin || received) {
      if (t.origin != request.origin) origins.push_back(t.origin);
    }
  }
  const bool sent = std::any_of(targets.begin(), targets.end(),
                                [&](const auto& t) { return t.origin == request.origin; });
  if (origins.empty() && !sent)
    return core::make_error(core::errc::not_found, "no alert " + request.in_reply_to + " that " +
                                                       request.origin +
                                                       " sent or received; a reply answers one");
  add_recipients(request.recipients, origins);
  return {};
}

core::result<void> apply_amendment_rules(core::publish_request& request,
                                         const std::vector<core::amendment_target>& targets,
                                         bool refuse_withdrawn) {
  const std::string what = request.kind == core::alert_kind::withdrawal ? "withdraw" : "correct";
  auto own = std::find_if(targets.begin(), targets.end(),
                          [&](const auto& t) { return t.origin == request.origin; });
  if (own == targets.end()) {
    if (targets.empty())
      return core::make_error(core::errc::not_found,
                              "no committed alert " + request.in_reply_to + " to " + what);
    std::string origins;
    for (const auto& t : targets) origins += (origins.empty() ? "" : ", ") + t.origin;
    return core::make_error(core::errc::permission_denied,
                            "alert " + request.in_reply_to + " was sent by " + origins +
                                "; only the member that sent an alert may " + what + " it");
  }
  if (is_amendment(own->kind))
    return core::make_error(core::errc::failed_precondition,
                            "alert " + request.in_reply_to + " is a " +
                                std::string(core::to_string(own->kind)) + ", which cannot be " +
                                what + "ed; " + what + " the alert it refers to");
  if (refuse_withdrawn && own->withdrawn_by)
    return core::make_error(
        core::errc::failed_precondition,
        "alert " + request.in_reply_to + " was withdrawn by " + *own->withdrawn_by + " at " +
            (own->withdrawn_at ? core::to_rfc3339(*own->withdrawn_at) : std::string("?")) +
            "; a withdrawn alert cannot be " + what + "ed");
  // Everyone who received the original hears of its amendment.
  add_recipients(request.recipients, own->recipients);
  return {};
}

}  // namespace liaison::broker
