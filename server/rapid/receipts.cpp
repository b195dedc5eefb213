#include "rapid/receipts.hpp"

#include "core/alert_rules.hpp"
#include "core/names.hpp"
#include "crypto/alert_signature.hpp"
#include "crypto/sha256.hpp"
#include "rapid/notice_text.hpp"

#include <algorithm>

namespace liaison::rapid {

using core::errc;
using core::make_error;

core::result<core::receipt_request> admit_receipt(const core::registry& registry,
                                                  const core::principal& who,
                                                  const core::receipt& r,
                                                  const core::signed_receipt& signed_bytes,
                                                  core::time_point now) {
  if (who.role != core::role::desk)
    return make_error(errc::permission_denied, core::role_phrase(who.role) +
                                                   " may not send receipts; a recipient "
                                                   "member's desk does");
  if (r.member != who.member)
    return make_error(errc::permission_denied, "the receipt is for member '" +
                                                   r.member.substr(0, 16) +
                                                   "', but you are a desk of " + who.member +
                                                   ": a desk answers only for its own member");
  if (!core::is_canonical_uuid(r.alert_id))
    return make_error(
        errc::invalid_argument,
        "alert_id must be the alert's UUID in canonical form (lower case, 36 characters)");
  if (!registry.find_member(r.origin))
    return make_error(errc::invalid_argument,
                      "origin '" + r.origin.substr(0, 16) + "' is not a member code");
  if (r.alert_sha256.size() != 32)
    return make_error(errc::invalid_argument,
                      "alert_sha256 must be the 32-byte SHA-256 of the alert's signed payload");
  if (!r.state) return make_error(errc::invalid_argument, "the receipt has no state");
  if (!r.at) return make_error(errc::invalid_argument, "the receipt has no time (at)");
  if (*r.at > now + max_clock_skew)
    return make_error(
        errc::invalid_argument,
        "the receipt's time is more than 5 minutes ahead of the server's clock; check "
        "the desk's clock");
  if (r.note.size() > max_note_bytes)
    return make_error(errc::too_large, "the note is " + std::to_string(r.note.size()) +
                                           " bytes; at most " + std::to_string(max_note_bytes));
  if (!r.note.empty() && *r.state != core::receipt_state::actioned)
    return make_error(errc::invalid_argument, "a note goes only with ACTIONED");
  const auto* key = registry.find_key(signed_bytes.key_id);
  if (!key)
    return make_error(errc::bad_signature,
                      "unknown signing key id '" + signed_bytes.key_id.substr(0, 64) + "'");
  if (key->revoked)
    return make_error(errc::bad_signature, "signing key '" + key->key_id + "' is revoked");
  if (!crypto::verify_receipt(key->public_key, signed_bytes.payload, signed_bytes.signature))
    return make_error(errc::bad_signature, "the receipt's signature does not verify with key '" +
                                               key->key_id + "' over the payload bytes");
  if (key->member != r.member)
    return make_error(errc::permission_denied, "signing key '" + key->key_id +
                                                   "' belongs to member " + key->member +
                                                   ", not to " + r.member);
  core::receipt_request out;
  out.actor = who.id;
  out.actor_member = who.member;
  out.decoded = r;
  out.signed_bytes = signed_bytes;
  out.payload_sha256 = std::string(crypto::as_bytes(crypto::sha256(signed_bytes.payload)));
  return out;
}

receipt_verdict judge_receipt(const std::vector<core::receipt_state>& recorded,
                              core::receipt_state next) {
  auto seen = [&](core::receipt_state s) {
    return std::find(recorded.begin(), recorded.end(), s) != recorded.end();
  };
  switch (next) {
    case core::receipt_state::delivered:
      if (seen(core::receipt_state::read) || seen(core::receipt_state::actioned))
        return receipt_verdict::backwards;
      return seen(next) ? receipt_verdict::duplicate : receipt_verdict::record;
    case core::receipt_state::read:
      return seen(next) ? receipt_verdict::duplicate : receipt_verdict::record;
    case core::receipt_state::actioned:
      return receipt_verdict::record;
  }
  return receipt_verdict::record;
}

std::optional<core::receipt_state> furthest(const std::vector<core::receipt_state>& recorded) {
  if (recorded.empty()) return std::nullopt;
  return *std::max_element(recorded.begin(), recorded.end());
}

core::error backwards_error(const core::receipt& r, core::receipt_state reached) {
  return make_error(errc::failed_precondition, "member " + r.member + " has already sent " +
                                                   std::string(core::to_string(reached)) +
                                                   " for alert " + r.alert_id +
                                                   "; a receipt's state cannot go back to " +
                                                   std::string(core::to_string(*r.state)));
}

core::notice receipt_notice(const core::receipt_request& r, std::uint64_t alert_seq,
                            core::priority prio, core::time_point now) {
  core::notice n;
  n.kind = core::notice_kind::receipt;
  n.at = now;
  n.alert_id = r.decoded.alert_id;
  n.origin = r.decoded.origin;
  n.alert_seq = alert_seq;
  n.prio = prio;
  n.members = {r.decoded.member};
  n.receipt = r.signed_bytes;
  n.to.members = {r.decoded.origin};
  n.text = notice_text(n, r.decoded.state, r.decoded.note);
  return n;
}

}  // namespace liaison::rapid
