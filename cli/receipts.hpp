// Receipts and notices on the client side: signing a receipt with the
// desk's member key, and turning receipts, notices, statuses and presence
// into the JSON the CLI prints (checking every receipt's signature offline).
#pragma once

#include "key_ring.hpp"
#include "liaison/v1/frame.pb.h"
#include "pki/identity.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace liaison::cli {

// A receipt for an alert, signed with the identity's signing key (its
// member's). `alert_sha256` is the raw SHA-256 of the alert's payload.
// Throws std::runtime_error when the identity has no signing key.
liaison::v1::SignedReceipt sign_receipt(const pki::identity& id, const std::string& alert_id,
                                        const std::string& origin, const std::string& alert_sha256,
                                        liaison::v1::ReceiptState state, const std::string& note);

// {"alert_id", "origin", "member", "state", "at", "note", "key_id",
//  "signature_verified"}; "error" when the payload is not a Receipt.
nlohmann::json describe_receipt(const liaison::v1::SignedReceipt& r, key_ring& keys);

// One JSON line: "type" is the notice kind in lower case ("receipt",
// "reminder", "overdue", "escalation", "no_desk_on_duty", "presence").
nlohmann::json describe_notice(const liaison::v1::Notice& n, key_ring& keys);

nlohmann::json describe_status(const liaison::v1::AlertStatus& s, key_ring& keys);
nlohmann::json describe_presence(const liaison::v1::Presence& p);

// RFC 3339 in UTC with microseconds.
std::string rfc3339(const google::protobuf::Timestamp& t);

}  // namespace liaison::cli
