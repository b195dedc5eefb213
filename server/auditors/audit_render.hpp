// How the auditors' API writes what the store returns: JSON objects (also
// one per line for ndjson exports) and CSV rows (RFC 4180). Chain hashes are
// lower-case hex, as in the audit rows; Merkle hashes and signatures are
// base64, as in RFC 6962's JSON API. Pure.
#pragma once

#include "core/types.hpp"
#include "store/audit_records.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace liaison::auditors {

nlohmann::json alert_json(const store::history_alert& a);
std::string alert_csv_header();
std::string alert_csv(const store::history_alert& a);

// Every field needed to recompute the row's canonical bytes: "at" in RFC
// 3339 with microseconds and "at_us" (microseconds since the epoch), and
// "detail" as the exact stored text.
nlohmann::json audit_row_json(const audit::stored_row& r);
std::string audit_csv_header();
std::string audit_csv(const audit::stored_row& r);

// {"id", "tree_size", "timestamp" (ms), "signed_at", "sha256_root_hash",
//  "tree_head_signature", "key_id"}
nlohmann::json tree_head_json(const store::stored_tree_head& h);

// The decoded content of a signed payload: body, language, entities,
// evaluation, restriction text, ...
nlohmann::json alert_content_json(const core::alert& a);

// The timeline of an alert from its audit rows: "delivered_to",
// "withheld_from", "acknowledged_by", "consulted_by" and every event.
nlohmann::json timeline_json(const store::alert_detail& d);

// What its origin did to the alert since (#13 §3), from its replies:
// {"withdrawn_by": {"id", "seq", "at"} or null, "corrected_by": [...]}.
nlohmann::json amendments_json(const store::alert_detail& d);

// One CSV field, quoted when needed. A cell that a spreadsheet would run as
// a formula (starting with = + - @ or a tab) is prefixed with an apostrophe.
std::string csv_field(std::string_view text);

}  // namespace liaison::auditors
