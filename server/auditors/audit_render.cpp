#include "auditors/audit_render.hpp"

#include "audit/encoding.hpp"
#include "audit/event.hpp"
#include "core/hex.hpp"
#include "core/names.hpp"
#include "core/time_text.hpp"

#include <chrono>

namespace liaison::auditors {
namespace {

using nlohmann::json;

std::string hex(const audit::digest& d) {
  return core::to_hex(crypto::as_bytes(d));
}

json time_or_null(const std::optional<core::time_point>& t) {
  return t ? json(core::to_rfc3339(*t)) : json();
}

json text_or_null(const std::string& s) {
  return s.empty() ? json() : json(s);
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += separator;
    out += i;
  }
  return out;
}

std::string csv_line(std::initializer_list<std::string> fields) {
  std::string out;
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += ',';
    first = false;
    out += csv_field(f);
  }
  return out + "\r\n";
}

template <class Enum>
json name_or_null(const std::optional<Enum>& v) {
  return v ? json(std::string(core::to_string(*v))) : json();
}

}  // namespace

std::string csv_field(std::string_view text) {
  const bool formula =
      !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
  std::string cell = formula ? "'" : "";
  cell.append(text);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

json alert_json(const store::history_alert& a) {
  return json{{"seq", a.seq},
              {"id", a.alert_id},
              {"origin", a.origin},
              {"recipients", a.recipients},
              {"named_recipients", a.named_recipients},
              {"kind", a.kind},
              {"category", a.category},
              {"priority", a.priority},
              {"tlp", a.tlp},
              {"restriction", a.restriction},
              {"subject", a.subject},
              {"created_at", core::to_rfc3339(a.created_at)},
              {"expires_at", time_or_null(a.expires_at)},
              {"in_reply_to", text_or_null(a.in_reply_to)},
              {"case_reference", text_or_null(a.case_reference)},
              {"committed_at", core::to_rfc3339(a.received_at)},
              {"published_by", a.published_by},
              {"key_id", a.key_id},
              {"payload_sha256", core::to_hex(a.payload_sha256)}};
}

std::string alert_csv_header() {
  return "seq,id,origin,recipients,kind,category,priority,tlp,restriction,subject,created_at,"
         "expires_at,"
         "in_reply_to,case_reference,committed_at,published_by,key_id,payload_sha256\r\n";
}

std::string alert_csv(const store::history_alert& a) {
  return csv_line(
      {std::to_string(a.seq), a.alert_id, a.origin, join(a.recipients, ' '), a.kind, a.category,
       a.priority, a.tlp, a.restriction, a.subject, core::to_rfc3339(a.created_at),
       a.expires_at ? core::to_rfc3339(*a.expires_at) : "", a.in_reply_to, a.case_reference,
       core::to_rfc3339(a.received_at), a.published_by, a.key_id, core::to_hex(a.payload_sha256)});
}

json audit_row_json(const audit::stored_row& r) {
  return json{{"id", r.id},
              {"at", core::to_rfc3339(r.event.at)},
              {"at_us", r.event.at.time_since_epoch().count()},
              {"actor", r.event.actor},
              {"actor_member", r.event.actor_member},
              {"action", r.event.action},
              {"subject", r.event.subject},
              {"outcome", r.event.outcome},
              {"detail", r.event.detail},
              {"prev_hash", hex(r.prev_hash)},
              {"row_hash", hex(r.row_hash)}};
}

std::string audit_csv_header() {
  return "id,at,actor,actor_member,action,subject,outcome,detail,prev_hash,row_hash\r\n";
}

std::string audit_csv(const audit::stored_row& r) {
  return csv_line({std::to_string(r.id), core::to_rfc3339(r.event.at), r.event.actor,
                   r.event.actor_member, r.event.action, r.event.subject, r.event.outcome,
                   r.event.detail, hex(r.prev_hash), hex(r.row_hash)});
}

json tree_head_json(const store::stored_tree_head& h) {
  const auto at = core::time_point{} + std::chrono::milliseconds(h.head.head.timestamp_ms);
  return json{{"id", h.id},
              {"tree_size", h.head.head.tree_size},
              {"timestamp", h.head.head.timestamp_ms},
              {"signed_at", core::to_rfc3339(at)},
              {"sha256_root_hash", audit::to_base64(h.head.head.root_hash)},
              {"tree_head_signature", audit::to_base64(h.head.signature)},
              {"key_id", h.head.key_id}};
}

json alert_content_json(const core::alert& a) {
  json entities = json::array();
  for (const auto& e : a.entities)
    entities.push_back({{"type", core::to_string(e.type)}, {"value", e.value}});
  json recipients = a.recipients;
  return json{{"id", a.id},
              {"origin", a.origin},
              {"recipients_as_written", recipients},
              {"kind", name_or_null(a.kind)},
              {"category", name_or_null(a.cat)},
              {"priority", name_or_null(a.prio)},
              {"tlp", name_or_null(a.disclosure)},
              {"restriction", name_or_null(a.usage)},
              {"restriction_text", text_or_null(a.restriction_text)},
              {"evaluation",
               {{"source", name_or_null(a.source)}, {"information", name_or_null(a.information)}}},
              {"subject", a.subject},
              {"body", a.body},
              {"language", a.language},
              {"entities", entities},
              {"created_at", time_or_null(a.created_at)},
              {"expires_at", time_or_null(a.expires_at)},
              {"in_reply_to", text_or_null(a.in_reply_to)},
              {"case_reference", text_or_null(a.case_reference)}};
}

json amendments_json(const store::alert_detail& d) {
  json withdrawn;
  json corrected = json::array();
  for (const auto& r : d.replies) {
    if (r.origin != d.alert.origin) continue;  // only the origin amends its alert
    json row{{"id", r.alert_id}, {"seq", r.seq}, {"at", core::to_rfc3339(r.received_at)}};
    if (r.kind == "WITHDRAWAL" && withdrawn.is_null()) withdrawn = row;
    if (r.kind == "CORRECTION") corrected.push_back(row);
  }
  return {{"withdrawn_by", withdrawn}, {"corrected_by", corrected}};
}

json timeline_json(const store::alert_detail& d) {
  json events = json::array(), delivered = json::array(), withheld = json::array(),
       acknowledged = json::array(), consulted = json::array();
  for (const auto& r : d.events) {
    auto detail = json::parse(r.event.detail, nullptr, false);
    if (detail.is_discarded()) detail = r.event.detail;
    json e{{"audit_id", r.id},
           {"at", core::to_rfc3339(r.event.at)},
           {"action", r.event.action},
           {"actor", r.event.actor},
           {"actor_member", r.event.actor_member},
           {"subject", r.event.subject},
           {"outcome", r.event.outcome},
           {"detail", detail}};
    events.push_back(e);
    // Who received, was refused, acknowledged or consulted it, at a glance.
    json who{{"at", e["at"]},
             {"principal", r.event.actor},
             {"member", r.event.actor_member},
             {"audit_id", r.id}};
    if (r.event.action == core::audit_action::deliver) {
      who["consumer"] = r.event.subject;
      delivered.push_back(who);
    } else if (r.event.action == core::audit_action::withhold) {
      who["consumer"] = r.event.subject;
      who["reason"] = detail.is_object() ? detail.value("reason", json()) : json();
      withheld.push_back(who);
    } else if (r.event.action == core::audit_action::ack) {
      who["consumer"] = r.event.subject;
      acknowledged.push_back(who);
    } else if (r.event.action.rfind("audit.", 0) == 0) {
      who["justification"] = detail.is_object() ? detail.value("justification", json()) : json();
      consulted.push_back(who);
    }
  }
  return json{{"committed_at", core::to_rfc3339(d.alert.received_at)},
              {"delivered_to", delivered},
              {"withheld_from", withheld},
              {"acknowledged_by", acknowledged},
              {"consulted_by", consulted},
              {"events", events},
              {"events_truncated", d.events_truncated},
              {"complete_through_audit_id", d.events_indexed_through}};
}

}  // namespace liaison::auditors
