// Receipts: what a recipient desk signs to say an alert was delivered to its
// client, read by a person, or actioned. Admission checks everything that
// needs no database (who signs, with which key, what the receipt says);
// judge_receipt decides, from the states already recorded for the same
// alert and member, whether a new one is recorded, a duplicate, or going
// backwards. Pure apart from the CPU cost of one Ed25519 verification.
#pragma once

#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"

#include <optional>
#include <vector>

namespace liaison::rapid {

inline constexpr std::size_t max_note_bytes = 280;
// A receipt's time may run ahead of the server's clock by this much (desk
// clocks drift); further ahead it is refused.
inline constexpr core::duration max_clock_skew = std::chrono::minutes(5);

// In this order:
//  PERMISSION_DENIED  the principal is not a desk, or the receipt names
//                     another member than the principal's;
//  INVALID_ARGUMENT   a field is missing or malformed (alert id, origin,
//                     SHA-256, state, time, a note over 280 bytes or on a
//                     state other than ACTIONED);
//  BAD_SIGNATURE      the key id is unknown or revoked, or the signature does
//                     not verify over the exact payload bytes;
//  PERMISSION_DENIED  the key belongs to another member than the receipt's.
// Thread-safe.
core::result<core::receipt_request> admit_receipt(const core::registry& registry,
                                                  const core::principal& who,
                                                  const core::receipt& decoded,
                                                  const core::signed_receipt& signed_bytes,
                                                  core::time_point now);

enum class receipt_verdict {
  record,     // store it and tell the sender
  duplicate,  // this state was recorded before: nothing changes
  backwards,  // DELIVERED after READ or ACTIONED: refused (FAILED_PRECONDITION)
};

// The rule, per (alert, recipient member): DELIVERED and READ are recorded
// once each (a repeat is a duplicate, whichever desk of the member sends
// it); ACTIONED is recorded each time (a desk may report follow-up action);
// READ after ACTIONED is recorded (a late record, still meaningful); only
// DELIVERED after READ or ACTIONED goes backwards.
receipt_verdict judge_receipt(const std::vector<core::receipt_state>& recorded,
                              core::receipt_state next);

// The furthest state of `recorded` (ACTIONED, then READ, then DELIVERED).
std::optional<core::receipt_state> furthest(const std::vector<core::receipt_state>& recorded);

// The error for a receipt judged `backwards`.
core::error backwards_error(const core::receipt& r, core::receipt_state reached);

// The notice that forwards a recorded receipt to the sender's desks.
core::notice receipt_notice(const core::receipt_request& r, std::uint64_t alert_seq,
                            core::priority prio, core::time_point now);

}  // namespace liaison::rapid
