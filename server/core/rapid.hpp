// The rapid-response vocabulary: receipts signed by recipients, the notices
// the exchange sends about an alert (a receipt, a missed read deadline, a
// member without a desk on duty, a change of presence), read deadlines and
// the duty state of a member. Plain data shared by session/, broker/, store/
// and rapid/; no I/O.
#pragma once

#include "core/types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liaison::core {

// Values equal the liaison.v1 wire enums.
enum class receipt_state { delivered = 1, read, actioned };
enum class duty_state { on_duty = 1, off_duty, unreachable };
enum class notice_kind { receipt = 1, reminder, overdue, escalation, no_desk_on_duty, presence };

// A receipt as decoded from its signed payload. Unspecified enums and
// timestamps are nullopt so that validation can name them.
struct receipt {
  std::string alert_id;
  std::string origin;
  std::string alert_sha256;  // 32 raw bytes
  std::optional<receipt_state> state;
  std::optional<time_point> at;
  std::string member;
  std::string note;
};

// The signed form, exactly as received.
struct signed_receipt {
  std::string payload;
  std::string signature;
  std::string key_id;
  friend bool operator==(const signed_receipt&, const signed_receipt&) = default;
};

// A verified receipt ready to be recorded: signature, key and sender checked.
// Whether the alert exists, was addressed to the member and the state moves
// forward is decided where the log is (store/).
struct receipt_request {
  std::string actor;  // principal id
  std::string actor_member;
  receipt decoded;
  signed_receipt signed_bytes;
  std::string payload_sha256;  // 32 raw bytes, of signed_bytes.payload
};

struct receipt_outcome {
  std::uint64_t id = 0;  // the stored receipt (the original one for a duplicate)
  receipt_state state = receipt_state::delivered;
  bool duplicate = false;
  time_point recorded_at{};
};

// Who a notice is for: the desks (and coordinators) of `members`, and the
// principals named.
struct audience {
  std::vector<std::string> members;
  std::vector<std::string> principals;
  friend bool operator==(const audience&, const audience&) = default;
};

struct notice {
  std::uint64_t id = 0;  // assigned when stored
  notice_kind kind = notice_kind::receipt;
  time_point at{};
  std::string alert_id;
  std::string origin;
  std::uint64_t alert_seq = 0;
  std::optional<priority> prio;
  std::vector<std::string> members;  // the members concerned
  std::uint32_t level = 0;
  std::optional<time_point> deadline;
  std::optional<signed_receipt> receipt;
  std::uint64_t receipt_id = 0;  // the stored receipt a RECEIPT notice forwards
  std::optional<duty_state> duty;
  std::string text;
  core::audience to;
};
using notice_ptr = std::shared_ptr<const notice>;

// One recipient member's read deadline for one alert.
struct read_deadline {
  std::uint64_t alert_seq = 0;
  std::string member;
  std::optional<time_point> due_at;  // the next deadline; nullopt once closed or exhausted
  duration window{};                 // from the commit to the first deadline, and between deadlines
  std::uint32_t level = 0;           // deadlines passed without READ
  std::optional<time_point> closed_at;
  std::string closed_by;  // "read", "withdrawn"
};

// A deadline that has passed, with what the escalation needs to know about
// its alert.
struct due_deadline {
  std::uint64_t alert_seq = 0;
  std::string member;
  std::uint32_t level = 0;  // deadlines passed before this one
  time_point due_at{};
  duration window{};
  std::string alert_id;
  std::string origin;
  priority prio = priority::routine;
};

// A member's duty state across every node.
struct member_presence {
  std::string member;
  duty_state state = duty_state::unreachable;
  std::optional<time_point> since;  // unknown for a member never seen
  std::uint32_t desks_connected = 0;
  std::uint32_t desks_on_duty = 0;
};

// One recipient's row of an alert's status.
struct recipient_status {
  std::string member;
  std::optional<receipt_state> state;  // the furthest state reached
  std::vector<signed_receipt> receipts;
  std::optional<time_point> deadline;
  std::uint32_t escalations = 0;
  std::string closed_by;
};

struct alert_status {
  std::string alert_id;
  std::string origin;
  std::string alert_sha256;  // raw, of the signed payload
  std::uint64_t seq = 0;
  priority prio = priority::routine;
  time_point committed_at{};
  bool withdrawn = false;
  std::string withdrawn_by;  // the withdrawal's alert id, when withdrawn
  std::optional<time_point> withdrawn_at;
  struct correction {
    std::string alert_id;
    time_point committed_at{};
  };
  std::vector<correction> corrections;  // by its origin, in order
  std::vector<std::string> recipients;  // every recipient member (before the caller's view)
  std::vector<recipient_status> rows;
};

}  // namespace liaison::core
