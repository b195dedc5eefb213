#include "store/detail/batch_plan.hpp"

#include "audit/event.hpp"
#include "core/hex.hpp"
#include "core/names.hpp"
#include "crypto/sha256.hpp"

#include <nlohmann/json.hpp>

namespace liaison::store::detail {
namespace {

bool same_bytes(const core::envelope& a, const core::envelope& b) {
  return a.payload == b.payload && a.signature == b.signature && a.key_id == b.key_id;
}

core::error conflict(const core::publish_request& r) {
  return core::make_error(core::errc::duplicate_conflict,
                          "alert " + r.alert_id + " from " + r.origin +
                              " was already published with different content; a sent alert is "
                              "never edited: publish a correction with a new id");
}

core::audit_event publish_event(const core::publish_request& r, core::time_point now,
                                std::string_view outcome, const nlohmann::json& detail) {
  return audit::event(now, core::audit_action::publish)
      .by(r.actor, r.actor_member)
      .subject(r.alert_id)
      .outcome(outcome)
      .with_all(detail)
      .build();
}

}  // namespace

nlohmann::json publish_detail(const core::publish_request& r, std::uint64_t seq, bool duplicate) {
  nlohmann::json j = {
      {"seq", seq},
      {"origin", r.origin},
      {"recipients", r.recipients.members},
      {"named_recipients", r.recipients.named},
      {"left_out",
       [&] {
         auto out = nlohmann::json::array();
         for (const auto& l : r.recipients.left_out)
           out.push_back({{"member", l.member}, {"reason", l.reason}});
         return out;
       }()},
      {"kind", core::to_string(r.kind)},
      {"category", core::to_string(r.cat)},
      {"priority", core::to_string(r.prio)},
      {"tlp", core::to_string(r.disclosure)},
      {"restriction", core::to_string(r.usage)},
      {"key_id", r.signed_bytes.key_id},
      {"payload_sha256", core::to_hex(crypto::as_bytes(crypto::sha256(r.signed_bytes.payload)))},
      {"duplicate", duplicate},
  };
  return j;
}

publish_plan plan_publishes(const std::vector<const core::publish_request*>& requests,
                            const std::map<alert_key, existing_alert>& existing,
                            std::set<alert_key> withdrawn, std::uint64_t last_seq,
                            core::time_point now) {
  publish_plan plan;
  plan.outcomes.reserve(requests.size());
  plan.audit.reserve(requests.size());
  // Keys first created in this batch, pointing at their new alert.
  std::map<alert_key, const core::stored_alert*> created_here;

  for (std::size_t i = 0; i < requests.size(); ++i) {
    const core::publish_request& r = *requests[i];
    alert_key key{r.origin, r.alert_id};

    // The original this request repeats, if any: committed before, or new in this batch.
    const core::envelope* original = nullptr;
    std::uint64_t original_seq = 0;
    core::time_point original_received{};
    if (auto it = existing.find(key); it != existing.end()) {
      original = &it->second.signed_bytes;
      original_seq = it->second.seq;
      original_received = it->second.received_at;
    } else if (auto here = created_here.find(key); here != created_here.end()) {
      original = &here->second->signed_bytes;
      original_seq = here->second->seq;
      original_received = here->second->received_at;
    }

    if (original != nullptr) {
      if (same_bytes(*original, r.signed_bytes)) {
        plan.outcomes.emplace_back(core::publish_outcome{original_seq, original_received, true});
        plan.audit.push_back(publish_event(r, now, "ok", publish_detail(r, original_seq, true)));
      } else {
        plan.outcomes.emplace_back(conflict(r));
        plan.audit.push_back(publish_event(r, now, core::to_string(core::errc::duplicate_conflict),
                                           publish_detail(r, original_seq, false)));
      }
      continue;
    }

    const bool amends =
        r.kind == core::alert_kind::withdrawal || r.kind == core::alert_kind::correction;
    if (amends && withdrawn.contains({r.origin, r.in_reply_to})) {
      auto refusal =
          core::make_error(core::errc::failed_precondition,
                           "alert " + r.in_reply_to + " of " + r.origin +
                               " is withdrawn: it cannot be withdrawn again or corrected");
      auto detail = publish_detail(r, 0, false);
      detail["reason"] = refusal.message;
      plan.outcomes.emplace_back(refusal);
      plan.audit.push_back(publish_event(r, now, core::to_string(refusal.code), detail));
      continue;
    }
    if (r.kind == core::alert_kind::withdrawal) withdrawn.insert({r.origin, r.in_reply_to});

    auto alert = std::make_shared<core::stored_alert>();
    alert->seq = ++last_seq;
    alert->alert_id = r.alert_id;
    alert->origin = r.origin;
    alert->recipients = r.recipients;
    alert->prio = r.prio;
    alert->disclosure = r.disclosure;
    alert->signed_bytes = r.signed_bytes;
    alert->received_at = now;
    created_here.emplace(std::move(key), alert.get());
    plan.outcomes.emplace_back(core::publish_outcome{alert->seq, now, false});
    plan.audit.push_back(publish_event(r, now, "ok", publish_detail(r, alert->seq, false)));
    plan.created.emplace_back(i, std::move(alert));
  }
  plan.last_seq = last_seq;
  return plan;
}

}  // namespace liaison::store::detail
