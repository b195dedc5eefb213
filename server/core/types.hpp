// The domain vocabulary of Liaison: handling codes, the decoded alert, the
// committed alert as it sits in the log, and who is asking. Plain data, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace liaison::core {

// Microseconds since the Unix epoch (UTC). PostgreSQL keeps the same precision.
using time_point = std::chrono::sys_time<std::chrono::microseconds>;
using duration = std::chrono::microseconds;

// Enum values equal the liaison.v1 wire enums, so conversion is a cast after a
// range check in protocol/.
enum class alert_kind {
  information = 1,
  request_for_assistance,
  reply,
  warning,
  withdrawal,
  correction
};
enum class category {
  smuggling_route = 1,
  vehicle,
  person,
  document_fraud,
  financial_flow,
  communication,
  organised_group,
  other
};
enum class priority { flash = 1, urgent, routine };
// Traffic Light Protocol, most restrictive first: a smaller value is more sensitive.
enum class tlp { red = 1, amber_strict, amber, green, clear };
enum class restriction { h0 = 1, h1, h2, h3 };
enum class source_reliability { a = 1, b, c, x };
enum class information_reliability { one = 1, two, three, four };
enum class entity_type {
  person = 1,
  vehicle_plate,
  phone,
  iban,
  route,
  border_crossing,
  location,
  organisation,
  document
};

// coordinator: the task force's coordination desk. It publishes and
// receives no alerts; it receives the notices addressed to it (a member's
// fallback contact) and may ask for presence and any alert's status.
enum class role { desk, partner, auditor, admin, coordinator };

struct entity {
  entity_type type;
  std::string value;
};

// An alert as decoded from the signed payload. Enum fields that were
// unspecified on the wire are std::nullopt so that validation can name them.
struct alert {
  std::string id;
  std::string origin;
  std::vector<std::string> recipients;
  std::optional<alert_kind> kind;
  std::optional<category> cat;
  std::optional<priority> prio;
  std::optional<tlp> disclosure;
  std::optional<restriction> usage;
  std::string restriction_text;
  std::optional<source_reliability> source;
  std::optional<information_reliability> information;
  std::string subject;
  std::string body;
  std::string language;
  std::vector<entity> entities;
  std::optional<time_point> created_at;
  std::optional<time_point> expires_at;
  std::string in_reply_to;
  std::string case_reference;
  std::uint32_t read_within_seconds = 0;  // 0: the server's deadline for the priority
};

// The signed form, exactly as received.
struct envelope {
  std::string payload;
  std::string signature;
  std::string key_id;
};

// A member a group would have reached but that does not receive the alert,
// and why (the sender itself; TLP:RED through a group).
struct left_out_member {
  std::string member;
  std::string reason;
  friend bool operator==(const left_out_member&, const left_out_member&) = default;
};

// Recipients after group expansion. `members` is sorted and unique: the
// members that receive the alert; `named` holds the members that the sender
// named explicitly (not through a group), which matters for TLP:RED;
// `left_out` the group members that do not receive it, and why (told to the
// sender, never stored as recipients).
struct recipient_set {
  std::vector<std::string> members;
  std::vector<std::string> named;
  std::vector<left_out_member> left_out;
};

// The bytes of an alert's Deliver frame that every consumer shares, encoded
// on first use, once per wire format (protocol::encode_deliver). Opaque to
// everything but protocol/.
struct shared_encoding {
  std::once_flag once[3];
  std::string bytes[3];
};

// A committed alert in the ordered log. Shared read-only between the log
// follower, the fan-out hub and every consumer that delivers it.
struct stored_alert {
  std::uint64_t seq = 0;
  std::string alert_id;
  std::string origin;
  recipient_set recipients;
  core::priority prio = priority::routine;
  core::tlp disclosure = tlp::red;
  envelope signed_bytes;
  time_point received_at{};
  mutable shared_encoding wire;  // a memo, not part of the alert
};
using stored_alert_ptr = std::shared_ptr<const stored_alert>;

// An authenticated party: the subject of a registered client certificate.
struct principal {
  std::string id;      // certificate common name, e.g. "AT.desk"
  std::string member;  // member code it acts for; empty for auditors and admins of the task force
  core::role role = role::desk;
  core::tlp clearance = tlp::red;  // most sensitive level it may receive
};

}  // namespace liaison::core
