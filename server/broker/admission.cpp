#include "broker/admission.hpp"

#include "core/names.hpp"
#include "crypto/alert_signature.hpp"

#include <algorithm>

namespace liaison::broker {

core::result<core::publish_request> admit_publish(
    const core::registry& registry, const core::principal& who, const core::alert& decoded,
    const core::envelope& signed_alert, const core::alert_limits& limits, core::time_point now) {
  using core::errc;
  using core::make_error;
  if (who.role != core::role::desk)
    return make_error(errc::permission_denied,
                      core::role_phrase(who.role) + " may not publish alerts");
  if (auto valid = core::validate_alert(decoded, limits, now); !valid) return valid.error();
  if (decoded.origin != who.member)
    return make_error(errc::permission_denied, "origin '" + decoded.origin.substr(0, 16) +
                                                   "' is not your member '" + who.member +
                                                   "': a desk publishes only as its own member");
  const auto* key = registry.find_key(signed_alert.key_id);
  if (!key)
    return make_error(errc::bad_signature,
                      "unknown signing key id '" + signed_alert.key_id.substr(0, 64) + "'");
  if (key->member != decoded.origin)
    return make_error(errc::permission_denied, "signing key '" + key->key_id +
                                                   "' belongs to member " + key->member +
                                                   ", not to origin " + decoded.origin);
  if (key->revoked)
    return make_error(errc::bad_signature, "signing key '" + key->key_id + "' is revoked");
  auto recipients = registry.expand(decoded.recipients, decoded.origin);
  if (!recipients) return recipients.error();
  if (*decoded.disclosure == core::tlp::red) {
    // TLP:RED goes only to members named explicitly: members reached through
    // a group are not recipients at all (never stored, delivered or listed),
    // and the sender is told which and why.
    auto& r = *recipients;
    std::vector<std::string> named_only;
    for (const auto& m : r.members) {
      if (std::binary_search(r.named.begin(), r.named.end(), m))
        named_only.push_back(m);
      else
        r.left_out.push_back({m, "TLP:RED goes only to members named explicitly; " + m +
                                     " would have been reached through a group"});
    }
    if (named_only.empty())
      return make_error(errc::invalid_argument,
                        "TLP:RED goes only to members named explicitly, and these recipients "
                        "name none: list the member codes");
    r.members = std::move(named_only);
  }
  if (!crypto::verify_alert(key->public_key, signed_alert.payload, signed_alert.signature))
    return make_error(errc::bad_signature, "the signature does not verify with key '" +
                                               key->key_id + "' over the payload bytes");

  core::publish_request out;
  out.actor = who.id;
  out.actor_member = who.member;
  out.alert_id = decoded.id;
  out.origin = decoded.origin;
  out.recipients = std::move(*recipients);
  out.signed_bytes = signed_alert;
  out.kind = *decoded.kind;
  out.cat = *decoded.cat;
  out.prio = *decoded.prio;
  out.disclosure = *decoded.disclosure;
  out.usage = *decoded.usage;
  out.subject = decoded.subject;
  out.created_at = *decoded.created_at;
  out.expires_at = decoded.expires_at;
  out.in_reply_to = decoded.in_reply_to;
  out.case_reference = decoded.case_reference;
  return out;
}

}  // namespace liaison::broker
