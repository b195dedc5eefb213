// Admission of a publish: everything decided before the database sees it.
// Pure apart from the CPU cost of one Ed25519 verification: registry, limits
// and `now` in, a publish request or a typed error out.
#pragma once

#include "core/alert_rules.hpp"
#include "core/error.hpp"
#include "core/records.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"

namespace liaison::broker {

// In this order, cheapest first:
//  PERMISSION_DENIED  the principal is not a desk;
//  INVALID_ARGUMENT / TOO_LARGE  a field is missing, malformed or over a limit;
//  PERMISSION_DENIED  the origin is not the principal's member, or the key
//                     belongs to another member;
//  BAD_SIGNATURE      the key id is unknown or revoked, or the signature does
//                     not verify over the exact payload bytes;
//  INVALID_ARGUMENT   a recipient is unknown or the recipients expand to nobody.
// Thread-safe.
core::result<core::publish_request> admit_publish(
    const core::registry& registry, const core::principal& who, const core::alert& decoded,
    const core::envelope& signed_alert, const core::alert_limits& limits, core::time_point now);

}  // namespace liaison::broker
