// The exchange's domain records: what admission hands to the store, what a
// commit answers, how durable consumers are named and what a backlog read
// returns. Plain data shared by broker/ and store/; no I/O.
#pragma once

#include "core/audit_event.hpp"
#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/types.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace liaison::core {

// A verified, authorised alert ready to be committed.
struct publish_request {
  // Who publishes (for the audit row).
  std::string actor;         // principal id
  std::string actor_member;  // its member code
  // The idempotency key is (origin, alert_id).
  std::string alert_id;
  std::string origin;
  recipient_set recipients;
  envelope signed_bytes;  // stored verbatim
  // Searchable summary, copied from the verified payload.
  alert_kind kind = alert_kind::information;
  category cat = category::other;
  priority prio = priority::routine;
  tlp disclosure = tlp::red;
  restriction usage = restriction::h0;
  std::string subject;
  time_point created_at{};
  std::optional<time_point> expires_at;
  std::string in_reply_to;
  std::string case_reference;

  // Rapid response, decided at admission and committed with the alert (a
  // duplicate commits none of it):
  // each recipient member's read deadline is this long after the commit;
  std::optional<duration> read_window;
  // notices to send (their alert_seq is filled in at the commit), with the
  // audit row that explains them (no desk on duty).
  std::vector<notice> notices;
  std::optional<audit_event> notices_audit;
};

struct publish_outcome {
  std::uint64_t seq = 0;
  time_point received_at{};
  bool duplicate = false;  // the same (origin, id, bytes) was committed before
  // Group members that do not receive the alert, and why (from admission).
  std::vector<left_out_member> left_out;
};

using publish_handler = std::function<void(result<publish_outcome>)>;

// A durable consumer is named per principal.
struct consumer_key {
  std::string principal;
  std::string name;
  friend bool operator==(const consumer_key&, const consumer_key&) = default;
};

// The lanes of a consumer with Subscribe.lanes: one per priority.
inline constexpr std::size_t lane_count = 3;
inline std::size_t lane_index(priority p) {
  return static_cast<std::size_t>(p) - 1;
}
inline priority lane_priority(std::size_t index) {
  return static_cast<priority>(index + 1);
}

struct consumer_state {
  std::uint64_t cursor = 0;                       // last acknowledged seq (the lowest lane's)
  std::array<std::uint64_t, lane_count> lanes{};  // each lane's last acknowledged seq
  std::uint64_t log_head = 0;                     // highest committed seq when the state was read
};

// A committed alert that a withdrawal or correction refers to, with what
// has already been done to it (read for the rules of #13 §3).
struct amendment_target {
  std::uint64_t seq = 0;
  std::string origin;
  alert_kind kind = alert_kind::information;
  std::vector<std::string> recipients;      // the members that received it
  std::optional<std::string> withdrawn_by;  // the withdrawal's alert id
  std::optional<time_point> withdrawn_at;
};

// "Who would receive this" (a dry run of a publish): per recipient member,
// its duty state, the principals that would receive the alert and those
// that would not (principal id and why), and the fallback contacts that
// would be told at once. Nothing of it is stored.
struct recipient_preview {
  struct recipient {
    std::string member;
    duty_state duty = duty_state::unreachable;
    std::uint32_t desks_on_duty = 0;
    std::vector<std::string> principals;
    std::vector<left_out_member> withheld;  // .member holds the principal id
    std::vector<std::string> fallback;
  };
  std::string alert_id;
  std::vector<recipient> recipients;
  std::vector<left_out_member> left_out;
  std::optional<duration> read_window;
};

// A durable consumer as stored, for the operators' view
// (GET /v1/admin/consumers): where its cursors are, and what waits for it.
struct consumer_overview {
  consumer_key key;
  std::string member;
  std::uint64_t cursor = 0;                       // the lowest lane's cursor
  std::array<std::uint64_t, lane_count> lanes{};  // FLASH, URGENT, ROUTINE
  time_point created_at{};
  time_point acknowledged_at{};  // the cursor's last move (creation when never)
  std::uint64_t log_head = 0;    // highest committed seq, same snapshot
  // Alerts for its member after its lane cursors, counted up to a cap.
  std::uint64_t pending = 0;
  bool pending_capped = false;                      // there are more than `pending`
  std::optional<std::uint64_t> oldest_pending_seq;  // the first of them
  std::optional<time_point> oldest_pending_at;      // and its commit time
};

// Alerts for one member after a seq, in seq order. Every seq up to and
// including `scanned_to` has been considered: an alert for the member with
// seq <= scanned_to that is not in `alerts` (and is > the requested after_seq)
// does not exist.
struct backlog_page {
  std::vector<stored_alert_ptr> alerts;
  std::uint64_t scanned_to = 0;
};

}  // namespace liaison::core
