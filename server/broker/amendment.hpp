// The rules of withdrawals and corrections (#13 §3), pure: only the origin
// member corrects or withdraws its own alert; a withdrawal or correction is
// not itself corrected or withdrawn; a withdrawn alert is neither withdrawn
// again nor corrected; and the amendment goes to every member that received
// the original, whatever recipients it names.
#pragma once

#include "core/error.hpp"
#include "core/records.hpp"

#include <vector>

namespace liaison::broker {

bool is_amendment(core::alert_kind kind);

// `targets`: the committed alerts whose id is request.in_reply_to (one per
// origin that used the id). On success, the request's recipients also hold
// the original's, as if named (TLP:RED reached them already). Errors:
// NOT_FOUND (no such alert), PERMISSION_DENIED (another member's alert),
// FAILED_PRECONDITION (a withdrawal or correction; with `refuse_withdrawn`,
// an alert already withdrawn). A publish leaves the last check to the
// writer, which makes it under the log lock after recognising a retry of a
// committed amendment as a duplicate; a dry run asks for it here.
core::result<void> apply_amendment_rules(core::publish_request& request,
                                         const std::vector<core::amendment_target>& targets,
                                         bool refuse_withdrawn);

// A reply (#13 §2): the replier's member must have sent or received the
// alert it answers (NOT_FOUND otherwise, without saying whether the alert
// exists); the reply also goes to the alert's origin, whatever recipients
// it names.
core::result<void> apply_reply_rules(core::publish_request& request,
                                     const std::vector<core::amendment_target>& targets);

}  // namespace liaison::broker
