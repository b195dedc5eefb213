#include "receipts.hpp"

#include "core/hex.hpp"
#include "core/names.hpp"
#include "core/time_text.hpp"
#include "crypto/alert_signature.hpp"
#include "crypto/ed25519.hpp"

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace liaison::cli {

namespace v1 = liaison::v1;

std::string rfc3339(const google::protobuf::Timestamp& t) {
  return core::to_rfc3339(core::time_point(std::chrono::seconds(t.seconds()) +
                                           std::chrono::microseconds(t.nanos() / 1000)));
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string state_name(v1::ReceiptState s) {
  if (s == v1::RECEIPT_STATE_UNSPECIFIED) return "";
  return std::string(core::to_string(static_cast<core::receipt_state>(s)));
}

std::string priority_name(v1::Priority p) {
  if (p == v1::PRIORITY_UNSPECIFIED) return "";
  return std::string(core::to_string(static_cast<core::priority>(p)));
}

std::string duty_name(v1::DutyState d) {
  if (d == v1::DUTY_STATE_UNSPECIFIED) return "";
  return std::string(core::to_string(static_cast<core::duty_state>(d)));
}

}  // namespace

v1::SignedReceipt sign_receipt(const pki::identity& id, const std::string& alert_id,
                               const std::string& origin, const std::string& alert_sha256,
                               v1::ReceiptState state, const std::string& note) {
  if (id.signing_key_file.empty())
    throw std::runtime_error("identity " + id.dir + " (" + id.principal +
                             ") has no signing key: receipts are signed by a desk of a recipient "
                             "member");
  v1::Receipt r;
  r.set_alert_id(alert_id);
  r.set_origin(origin);
  r.set_alert_sha256(alert_sha256);
  r.set_state(state);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  r.mutable_at()->set_seconds(us / 1'000'000);
  r.mutable_at()->set_nanos(static_cast<std::int32_t>(us % 1'000'000) * 1000);
  r.set_member(id.member);
  r.set_note(note);
  v1::SignedReceipt out;
  out.set_payload(r.SerializeAsString());
  auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  out.set_signature(crypto::sign_receipt(key, out.payload()));
  out.set_key_id(id.key_id);
  return out;
}

nlohmann::json describe_receipt(const v1::SignedReceipt& s, key_ring& keys) {
  v1::Receipt r;
  if (!r.ParseFromString(s.payload())) return {{"error", "payload is not a Receipt"}};
  const auto* key = keys.find(s.key_id());
  nlohmann::json j{{"alert_id", r.alert_id()},
                   {"origin", r.origin()},
                   {"alert_sha256", core::to_hex(r.alert_sha256())},
                   {"member", r.member()},
                   {"state", state_name(r.state())},
                   {"at", rfc3339(r.at())},
                   {"key_id", s.key_id()},
                   {"signature_verified",
                    key != nullptr && crypto::verify_receipt(*key, s.payload(), s.signature())}};
  if (!r.note().empty()) j["note"] = r.note();
  return j;
}

nlohmann::json describe_notice(const v1::Notice& n, key_ring& keys) {
  std::string type = "notice";
  if (n.kind() != v1::NOTICE_KIND_UNSPECIFIED)
    type = lower(std::string(core::to_string(static_cast<core::notice_kind>(n.kind()))));
  nlohmann::json j{
      {"type", type}, {"notice_id", n.id()}, {"at", rfc3339(n.at())}, {"text", n.text()}};
  if (!n.alert_id().empty()) {
    j["alert_id"] = n.alert_id();
    j["origin"] = n.origin();
    j["alert_seq"] = n.alert_seq();
    j["priority"] = priority_name(n.priority());
  }
  j["members"] = std::vector<std::string>(n.members().begin(), n.members().end());
  if (n.level() > 0) j["level"] = n.level();
  if (n.has_deadline()) j["deadline"] = rfc3339(n.deadline());
  if (n.has_receipt()) j["receipt"] = describe_receipt(n.receipt(), keys);
  if (n.duty() != v1::DUTY_STATE_UNSPECIFIED) j["duty"] = duty_name(n.duty());
  return j;
}

nlohmann::json describe_status(const v1::AlertStatus& s, key_ring& keys) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : s.recipients()) {
    nlohmann::json receipts = nlohmann::json::array();
    for (const auto& x : r.receipts()) receipts.push_back(describe_receipt(x, keys));
    nlohmann::json row{{"member", r.member()},
                       {"state", state_name(r.state())},
                       {"receipts", receipts},
                       {"escalations", r.escalations()}};
    row["deadline"] = r.has_deadline() ? nlohmann::json(rfc3339(r.deadline())) : nlohmann::json();
    row["closed_by"] = r.closed_by().empty() ? nlohmann::json() : nlohmann::json(r.closed_by());
    rows.push_back(row);
  }
  return {{"type", "status"},
          {"alert_id", s.alert_id()},
          {"origin", s.origin()},
          {"seq", s.seq()},
          {"priority", priority_name(s.priority())},
          {"committed_at", rfc3339(s.committed_at())},
          {"alert_sha256", core::to_hex(s.alert_sha256())},
          {"withdrawn", s.withdrawn()},
          {"recipients", rows}};
}

nlohmann::json describe_presence(const v1::Presence& p) {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : p.members())
    members.push_back(
        {{"member", m.member()},
         {"state", duty_name(m.state())},
         {"since", m.has_since() ? nlohmann::json(rfc3339(m.since())) : nlohmann::json()},
         {"desks_connected", m.desks_connected()},
         {"desks_on_duty", m.desks_on_duty()}});
  return {{"type", "presence"}, {"at", rfc3339(p.at())}, {"members", members}};
}

}  // namespace liaison::cli
