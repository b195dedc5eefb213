#include "store/detail/rapid_queries.hpp"

#include "core/names.hpp"
#include "rapid/receipts.hpp"
#include "store/detail/sql_codec.hpp"

#include <map>

namespace liaison::store::detail {
namespace {

constexpr const char* notice_select =
    "SELECT n.id, (extract(epoch from n.at) * 1000000)::bigint, n.kind, n.alert_seq, "
    "n.alert_id::text, n.origin, n.priority, n.members, n.level, "
    "(extract(epoch from n.deadline) * 1000000)::bigint, n.receipt_id, n.duty, n.text, "
    "n.to_members, n.to_principals, r.payload, r.signature, r.key_id "
    "FROM notices n LEFT JOIN receipts r ON r.id = n.receipt_id ";

core::notice decode_notice(const pqxx::row& row) {
  core::notice n;
  n.id = seq_from(row[0]);
  n.at = micros_from(row[1]);
  n.kind = core::parse_name<core::notice_kind>(row[2].c_str()).value_or(core::notice_kind::receipt);
  if (!row[3].is_null()) n.alert_seq = seq_from(row[3]);
  if (!row[4].is_null()) n.alert_id = row[4].c_str();
  if (!row[5].is_null()) n.origin = row[5].c_str();
  if (!row[6].is_null()) n.prio = core::parse_name<core::priority>(row[6].c_str());
  n.members = text_array_from(row[7]);
  n.level = row[8].as<std::uint32_t>();
  if (!row[9].is_null()) n.deadline = micros_from(row[9]);
  if (!row[10].is_null()) n.receipt_id = seq_from(row[10]);
  if (!row[11].is_null()) n.duty = core::parse_name<core::duty_state>(row[11].c_str());
  n.text = row[12].c_str();
  n.to.members = text_array_from(row[13]);
  n.to.principals = text_array_from(row[14]);
  if (!row[15].is_null())
    n.receipt = core::signed_receipt{bytea_from(row[15]), bytea_from(row[16]), row[17].c_str()};
  return n;
}

}  // namespace

void prepare_rapid_queries(pqxx::connection& c) {
  c.prepare("last_notice", "SELECT coalesce(max(id), 0) FROM notices");
  c.prepare("notices_after", std::string(notice_select) + "WHERE n.id > $1 ORDER BY n.id LIMIT $2");
  c.prepare("notices_for", std::string(notice_select) +
                               "WHERE n.id > $1 AND (n.to_principals @> ARRAY[$2::text] OR "
                               "n.to_members @> ARRAY[$3::text]) ORDER BY n.id LIMIT $4");
  // By (origin, id); or, without an origin, the alert with this id that
  // `member` sent or received.
  c.prepare("status_alert",
            "SELECT a.seq, a.priority, a.recipients, "
            "(extract(epoch from a.received_at) * 1000000)::bigint, "
            "w.alert_id::text, a.origin, a.payload_sha256, "
            "(extract(epoch from w.received_at) * 1000000)::bigint "
            "FROM alerts a LEFT JOIN LATERAL (SELECT x.alert_id, x.received_at FROM alerts x "
            "WHERE x.kind = 'WITHDRAWAL' AND x.origin = a.origin AND x.in_reply_to = a.alert_id "
            "ORDER BY x.seq LIMIT 1) w ON true WHERE a.alert_id = $1::uuid AND (a.origin = $2 OR "
            "($2 = '' AND "
            "(a.origin = $3 OR $3 = ANY(a.recipients)))) ORDER BY a.seq LIMIT 2");
  c.prepare("status_corrections",
            "SELECT alert_id::text, (extract(epoch from received_at) * 1000000)::bigint "
            "FROM alerts WHERE in_reply_to = $1::uuid AND origin = $2 AND kind = 'CORRECTION' "
            "ORDER BY seq LIMIT 100");
  c.prepare("status_deadlines",
            "SELECT member, (extract(epoch from due_at) * 1000000)::bigint, level, "
            "coalesce(closed_by, '') FROM read_deadlines WHERE alert_seq = $1");
  c.prepare("status_receipts",
            "SELECT member, state, payload, signature, key_id FROM receipts "
            "WHERE alert_seq = $1 ORDER BY id");
  c.prepare("member_presence_all",
            "SELECT member, state, (extract(epoch from since) * 1000000)::bigint, "
            "desks_connected, desks_on_duty FROM member_presence ORDER BY member");
  c.prepare("due_deadlines",
            "SELECT d.alert_seq, d.member, d.level, "
            "(extract(epoch from d.due_at) * 1000000)::bigint, d.window_us, a.alert_id::text, "
            "a.origin, a.priority FROM read_deadlines d JOIN alerts a ON a.seq = d.alert_seq "
            "WHERE d.due_at <= $1::timestamptz ORDER BY d.due_at LIMIT $2");
}

std::uint64_t read_last_notice_id(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  return seq_from(tx.exec_prepared1("last_notice")[0]);
}

std::vector<core::notice> read_notices_after(pqxx::connection& c, std::uint64_t after_id,
                                             std::size_t limit) {
  pqxx::nontransaction tx(c);
  std::vector<core::notice> out;
  for (const auto& row : tx.exec_prepared("notices_after", after_id, limit))
    out.push_back(decode_notice(row));
  return out;
}

std::vector<core::notice> read_notices_for(pqxx::connection& c, const std::string& principal,
                                           const std::string& member, std::uint64_t after_id,
                                           std::size_t limit) {
  pqxx::nontransaction tx(c);
  std::vector<core::notice> out;
  for (const auto& row : tx.exec_prepared("notices_for", after_id, principal, member, limit))
    out.push_back(decode_notice(row));
  return out;
}

core::result<core::alert_status> read_alert_status(pqxx::connection& c, const std::string& alert_id,
                                                   const std::string& origin,
                                                   const std::string& member) {
  pqxx::read_transaction tx(c);
  auto found = tx.exec_prepared("status_alert", alert_id, origin, member);
  if (found.empty())
    return core::make_error(
        core::errc::not_found,
        "no alert " + alert_id +
            (origin.empty() ? " sent or received by " + member : " from " + origin) +
            " was committed");
  if (found.size() > 1)
    return core::make_error(core::errc::invalid_argument,
                            "more than one alert has the id " + alert_id + "; name its origin");
  core::alert_status s;
  s.alert_id = alert_id;
  s.origin = found[0][5].c_str();
  s.alert_sha256 = bytea_from(found[0][6]);
  s.seq = seq_from(found[0][0]);
  s.prio = core::parse_name<core::priority>(found[0][1].c_str()).value_or(core::priority::routine);
  s.recipients = text_array_from(found[0][2]);
  s.committed_at = micros_from(found[0][3]);
  s.withdrawn = !found[0][4].is_null();
  if (s.withdrawn) {
    s.withdrawn_by = found[0][4].c_str();
    s.withdrawn_at = micros_from(found[0][7]);
  }
  for (const auto& row : tx.exec_prepared("status_corrections", alert_id, s.origin))
    s.corrections.push_back({row[0].c_str(), micros_from(row[1])});
  std::map<std::string, core::recipient_status> rows;
  std::map<std::string, std::vector<core::receipt_state>> states;
  for (const auto& m : s.recipients) rows[m].member = m;
  for (const auto& row : tx.exec_prepared("status_deadlines", s.seq)) {
    auto& r = rows[row[0].c_str()];
    if (!row[1].is_null()) r.deadline = micros_from(row[1]);
    r.escalations = row[2].as<std::uint32_t>();
    r.closed_by = row[3].c_str();
  }
  for (const auto& row : tx.exec_prepared("status_receipts", s.seq)) {
    auto& r = rows[row[0].c_str()];
    if (auto state = core::parse_name<core::receipt_state>(row[1].c_str()))
      states[row[0].c_str()].push_back(*state);
    r.receipts.push_back({bytea_from(row[2]), bytea_from(row[3]), row[4].c_str()});
  }
  for (auto& [member, r] : rows) {
    r.state = rapid::furthest(states[member]);
    s.rows.push_back(std::move(r));
  }
  return s;
}

std::vector<core::member_presence> read_member_presence(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  std::vector<core::member_presence> out;
  for (const auto& row : tx.exec_prepared("member_presence_all")) {
    core::member_presence p;
    p.member = row[0].c_str();
    p.state =
        core::parse_name<core::duty_state>(row[1].c_str()).value_or(core::duty_state::unreachable);
    p.since = micros_from(row[2]);
    p.desks_connected = row[3].as<std::uint32_t>();
    p.desks_on_duty = row[4].as<std::uint32_t>();
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<core::due_deadline> read_due_deadlines(pqxx::connection& c, core::time_point now,
                                                   std::size_t limit) {
  pqxx::nontransaction tx(c);
  std::vector<core::due_deadline> out;
  for (const auto& row : tx.exec_prepared("due_deadlines", sql_timestamp(now), limit)) {
    core::due_deadline d;
    d.alert_seq = seq_from(row[0]);
    d.member = row[1].c_str();
    d.level = row[2].as<std::uint32_t>();
    d.due_at = micros_from(row[3]);
    d.window = core::duration(row[4].as<std::int64_t>());
    d.alert_id = row[5].c_str();
    d.origin = row[6].c_str();
    d.prio = core::parse_name<core::priority>(row[7].c_str()).value_or(core::priority::routine);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace liaison::store::detail
