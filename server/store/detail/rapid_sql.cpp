#include "store/detail/rapid_sql.hpp"

#include "audit/event.hpp"
#include "core/hex.hpp"
#include "core/names.hpp"
#include "rapid/notice_text.hpp"
#include "rapid/presence.hpp"
#include "rapid/receipts.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace liaison::store::detail {
namespace {

constexpr const char* epoch_us = "(extract(epoch from {}) * 1000000)::bigint";

std::string us(std::string_view column) {
  std::string out(epoch_us);
  out.replace(out.find("{}"), 2, column);
  return out;
}

// The committed alert a receipt answers.
struct answered_alert {
  std::uint64_t seq = 0;
  core::priority prio = core::priority::routine;
  std::string payload_sha256;
  std::vector<std::string> recipients;
};

using alert_key = std::pair<std::string, std::string>;        // (origin, alert id)
using recipient_key = std::pair<std::uint64_t, std::string>;  // (seq, member)

std::map<alert_key, answered_alert> find_alerts(pqxx::work& tx,
                                                const std::vector<receipt_item>& receipts) {
  std::vector<std::string> origins, ids;
  std::set<alert_key> keys;
  for (const auto& r : receipts)
    if (keys.emplace(r.request.decoded.origin, r.request.decoded.alert_id).second) {
      origins.push_back(r.request.decoded.origin);
      ids.push_back(r.request.decoded.alert_id);
    }
  std::map<alert_key, answered_alert> out;
  auto rows = tx.exec_prepared("receipt_alerts", sql_text_array(origins), sql_text_array(ids));
  for (const auto& row : rows) {
    answered_alert a;
    a.seq = seq_from(row[2]);
    a.prio = core::parse_name<core::priority>(row[3].c_str()).value_or(core::priority::routine);
    a.payload_sha256 = bytea_from(row[4]);
    a.recipients = text_array_from(row[5]);
    out.emplace(alert_key{row[0].c_str(), row[1].c_str()}, std::move(a));
  }
  return out;
}

struct recorded_receipt {
  std::uint64_t id = 0;
  core::receipt_state state = core::receipt_state::delivered;
  core::time_point recorded_at{};
};

core::audit_event receipt_event(const core::receipt_request& r, core::time_point now) {
  return audit::event(now, core::audit_action::receipt)
      .by(r.actor, r.actor_member)
      .subject(r.decoded.alert_id)
      .with("origin", r.decoded.origin)
      .with("member", r.decoded.member)
      .with("state", r.decoded.state ? core::to_string(*r.decoded.state) : "")
      .with("key_id", r.signed_bytes.key_id)
      .with("receipt_sha256", core::to_hex(r.payload_sha256))
      .build();
}

// Appends `event` with outcome and detail additions.
void finish_event(core::audit_event& e, std::string_view outcome, const nlohmann::json& extra) {
  auto detail = nlohmann::json::parse(e.detail, nullptr, false);
  if (!detail.is_object()) detail = nlohmann::json::object();
  for (const auto& [k, v] : extra.items()) detail[k] = v;
  e.detail = audit::dump_json(detail);
  e.outcome = std::string(outcome);
}

void apply_receipts(pqxx::work& tx, const std::vector<receipt_item>& receipts, core::time_point now,
                    rapid_effects& out) {
  if (receipts.empty()) return;
  const auto alerts = find_alerts(tx, receipts);

  // What is recorded already for the (alert, member) pairs and the payloads
  // of this batch.
  std::vector<std::string> seqs, members, hashes;
  for (const auto& r : receipts) {
    hashes.push_back(sql_bytea(r.request.payload_sha256));
    auto it = alerts.find({r.request.decoded.origin, r.request.decoded.alert_id});
    if (it == alerts.end()) continue;
    seqs.push_back(std::to_string(it->second.seq));
    members.push_back(r.request.decoded.member);
  }
  std::map<recipient_key, std::vector<core::receipt_state>> states;
  for (const auto& row : tx.exec_prepared(
           "receipt_states",
           "{" +
               [&] {
                 std::string s;
                 for (std::size_t i = 0; i < seqs.size(); ++i) s += (i ? "," : "") + seqs[i];
                 return s;
               }() +
               "}",
           sql_text_array(members))) {
    auto state = core::parse_name<core::receipt_state>(row[2].c_str());
    if (state) states[{seq_from(row[0]), row[1].c_str()}].push_back(*state);
  }
  std::map<std::string, recorded_receipt> by_hash;
  {
    sql_array h;
    for (const auto& r : receipts) h.add_bytea(r.request.payload_sha256);
    for (const auto& row : tx.exec_prepared("receipts_by_sha", h.take())) {
      recorded_receipt rec;
      rec.id = seq_from(row[1]);
      rec.state = core::parse_name<core::receipt_state>(row[2].c_str())
                      .value_or(core::receipt_state::delivered);
      rec.recorded_at = micros_from(row[3]);
      by_hash[bytea_from(row[0])] = rec;
    }
  }
  std::uint64_t next_id = seq_from(tx.exec_prepared1("last_receipt_id")[0]);

  sql_array id, seq, member, state, at, recorded, principal, key_id;
  sql_array payload, signature, sha;  // hex bytea text
  sql_array close_seq, close_member;
  std::size_t inserted = 0, closing = 0;

  for (const auto& item : receipts) {
    const auto& r = item.request;
    auto event = receipt_event(r, now);
    auto refuse = [&](core::error e) {
      finish_event(event, core::to_string(e.code), {{"reason", e.message}});
      out.audit.push_back(std::move(event));
      out.receipts.emplace_back(std::move(e));
    };
    auto it = alerts.find({r.decoded.origin, r.decoded.alert_id});
    if (it == alerts.end()) {
      refuse(core::make_error(core::errc::not_found, "no alert " + r.decoded.alert_id + " from " +
                                                         r.decoded.origin + " was committed"));
      continue;
    }
    const auto& alert = it->second;
    if (alert.payload_sha256 != r.decoded.alert_sha256) {
      refuse(core::make_error(
          core::errc::invalid_argument,
          "alert_sha256 is not the SHA-256 of alert " + r.decoded.alert_id + "'s signed payload"));
      continue;
    }
    if (std::find(alert.recipients.begin(), alert.recipients.end(), r.decoded.member) ==
        alert.recipients.end()) {
      refuse(core::make_error(core::errc::permission_denied,
                              "alert " + r.decoded.alert_id + " was not addressed to " +
                                  r.decoded.member + "; only its recipients send receipts"));
      continue;
    }
    if (auto same = by_hash.find(r.payload_sha256); same != by_hash.end()) {
      finish_event(event, "ok",
                   {{"seq", alert.seq}, {"duplicate", true}, {"receipt_id", same->second.id}});
      out.audit.push_back(std::move(event));
      out.receipts.emplace_back(core::receipt_outcome{same->second.id, same->second.state, true,
                                                      same->second.recorded_at});
      continue;
    }
    auto& seen = states[{alert.seq, r.decoded.member}];
    const auto verdict = rapid::judge_receipt(seen, *r.decoded.state);
    if (verdict == rapid::receipt_verdict::backwards) {
      refuse(rapid::backwards_error(r.decoded, *rapid::furthest(seen)));
      continue;
    }
    if (verdict == rapid::receipt_verdict::duplicate) {
      finish_event(event, "ok", {{"seq", alert.seq}, {"duplicate", true}});
      out.audit.push_back(std::move(event));
      out.receipts.emplace_back(core::receipt_outcome{0, *r.decoded.state, true, now});
      continue;
    }
    const std::uint64_t receipt_id = ++next_id;
    seen.push_back(*r.decoded.state);
    by_hash[r.payload_sha256] = {receipt_id, *r.decoded.state, now};
    id.add(receipt_id);
    seq.add(alert.seq);
    member.add(r.decoded.member);
    state.add(core::to_string(*r.decoded.state));
    at.add_timestamp(*r.decoded.at);
    recorded.add_timestamp(now);
    principal.add(r.actor);
    key_id.add(r.signed_bytes.key_id);
    payload.add_bytea(r.signed_bytes.payload);
    signature.add_bytea(r.signed_bytes.signature);
    sha.add_bytea(r.payload_sha256);
    ++inserted;
    const bool read = *r.decoded.state != core::receipt_state::delivered;
    if (read) {
      close_seq.add(alert.seq);
      close_member.add(r.decoded.member);
      ++closing;
    }
    finish_event(event, "ok",
                 {{"seq", alert.seq}, {"duplicate", false}, {"receipt_id", receipt_id}});
    out.audit.push_back(std::move(event));
    auto notice = rapid::receipt_notice(r, alert.seq, alert.prio, now);
    notice.receipt_id = receipt_id;
    out.notices.push_back(std::move(notice));
    out.receipts.emplace_back(core::receipt_outcome{receipt_id, *r.decoded.state, false, now});
  }
  if (inserted > 0)
    tx.exec_prepared("insert_receipts", id.take(), seq.take(), member.take(), state.take(),
                     at.take(), recorded.take(), principal.take(), payload.take(), signature.take(),
                     key_id.take(), sha.take());
  if (closing > 0)
    tx.exec_prepared("close_read_deadlines", close_seq.take(), close_member.take(),
                     sql_timestamp(now));
}

void apply_escalations(pqxx::work& tx, const std::vector<escalation_item>& items,
                       rapid_effects& out) {
  for (const auto& item : items) {
    const auto& e = item.request;
    sql_params params{std::to_string(e.alert_seq), e.member, std::to_string(e.expected_level),
                      std::to_string(e.new_level), std::nullopt};
    if (e.next_due) params[4] = sql_timestamp(*e.next_due);
    auto rows = tx.exec_prepared("escalate", pqxx::prepare::make_dynamic_params(params));
    if (rows.empty()) {
      out.escalations.emplace_back(false);
      continue;
    }
    out.audit.push_back(e.audit);
    for (const auto& n : e.notices) out.notices.push_back(n);
    out.escalations.emplace_back(true);
  }
}

core::duty_state duty_from(const pqxx::field& f) {
  return core::parse_name<core::duty_state>(f.c_str()).value_or(core::duty_state::unreachable);
}

void apply_presence(pqxx::work& tx, const std::vector<presence_item>& items, core::time_point now,
                    rapid_effects& out) {
  for (const auto& item : items) {
    const auto& u = item.update;
    const auto seen = sql_timestamp(now);
    if (u.all_members) tx.exec_prepared("presence_touch", u.node, seen);
    std::set<std::string> members;
    for (const auto& row : u.rows) {
      tx.exec_prepared("presence_upsert", u.node, row.member, row.connected, row.on_duty, seen);
      members.insert(row.member);
    }
    if (u.all_members) members.insert(u.members.begin(), u.members.end());
    const auto fresh_after = sql_timestamp(now - u.expiry);
    std::vector<core::member_presence> states;
    for (const auto& m : members) {
      auto sum = tx.exec_prepared1("presence_sum", m, fresh_after);
      rapid::desk_counts counts{static_cast<std::uint32_t>(sum[0].as<long long>()),
                                static_cast<std::uint32_t>(sum[1].as<long long>())};
      const auto state = rapid::state_of(counts);
      auto before = tx.exec_prepared("member_presence_read", m);
      const bool known = !before.empty();
      const auto old_state = known ? duty_from(before[0][0]) : core::duty_state::unreachable;
      const bool changed = known ? state != old_state : state != core::duty_state::unreachable;
      core::member_presence p{m, state, now, counts.connected, counts.on_duty};
      if (known && !changed) p.since = micros_from(before[0][1]);
      tx.exec_prepared("member_presence_write", m, std::string(core::to_string(state)),
                       sql_timestamp(p.since.value_or(now)), counts.connected, counts.on_duty);
      if (changed && rapid::notify_duty_change(old_state, state)) {
        core::notice n;
        n.kind = core::notice_kind::presence;
        n.at = now;
        n.members = {m};
        n.duty = state;
        n.to = u.audience;
        n.text = rapid::notice_text(n);
        out.notices.push_back(std::move(n));
      }
      if (changed) {
        out.audit.push_back(audit::event(now, core::audit_action::presence_change)
                                .subject(m)
                                .with("member", m)
                                .with("from", core::to_string(old_state))
                                .with("to", core::to_string(state))
                                .with("desks_connected", counts.connected)
                                .with("desks_on_duty", counts.on_duty)
                                .with("node", u.node)
                                .with("cause", u.cause)
                                .build());
      }
      states.push_back(std::move(p));
    }
    out.presence.emplace_back(std::move(states));
  }
}

}  // namespace

void prepare_rapid_statements(pqxx::connection& c) {
  c.prepare("receipt_alerts",
            "SELECT a.origin, a.alert_id::text, a.seq, a.priority, a.payload_sha256, a.recipients "
            "FROM unnest($1::text[], $2::uuid[]) AS k(origin, alert_id) "
            "CROSS JOIN LATERAL (SELECT * FROM alerts x "
            "WHERE x.origin = k.origin AND x.alert_id = k.alert_id LIMIT 1) a");
  c.prepare("receipt_states",
            "SELECT r.alert_seq, r.member, r.state FROM receipts r "
            "JOIN unnest($1::bigint[], $2::text[]) AS k(seq, member) "
            "ON r.alert_seq = k.seq AND r.member = k.member ORDER BY r.id");
  c.prepare("receipts_by_sha", "SELECT payload_sha256, id, state, " + us("recorded_at") +
                                   " FROM receipts WHERE payload_sha256 = ANY($1::bytea[])");
  c.prepare("last_receipt_id", "SELECT coalesce(max(id), 0) FROM receipts");
  c.prepare("insert_receipts",
            "INSERT INTO receipts (id, alert_seq, member, state, at, recorded_at, principal, "
            "payload, signature, key_id, payload_sha256) "
            "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], "
            "$5::timestamptz[], $6::timestamptz[], $7::text[], $8::bytea[], $9::bytea[], "
            "$10::text[], $11::bytea[])");
  c.prepare("close_read_deadlines",
            "UPDATE read_deadlines d SET due_at = NULL, closed_at = $3::timestamptz, "
            "closed_by = 'read' FROM unnest($1::bigint[], $2::text[]) AS k(seq, member) "
            "WHERE d.alert_seq = k.seq AND d.member = k.member AND d.closed_at IS NULL");
  c.prepare("escalate",
            "UPDATE read_deadlines SET level = $4, due_at = $5::timestamptz "
            "WHERE alert_seq = $1 AND member = $2 AND level = $3 AND closed_at IS NULL "
            "AND due_at IS NOT NULL RETURNING 1");
  c.prepare("insert_deadlines",
            "INSERT INTO read_deadlines (alert_seq, member, due_at, window_us) "
            "SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::bigint[]) "
            "ON CONFLICT DO NOTHING");
  c.prepare(
      "close_withdrawn",
      "UPDATE read_deadlines d SET due_at = NULL, closed_at = $3::timestamptz, "
      "closed_by = 'withdrawn' FROM alerts a, unnest($1::text[], $2::uuid[]) AS k(origin, id) "
      "WHERE a.origin = k.origin AND a.alert_id = k.id AND d.alert_seq = a.seq "
      "AND d.closed_at IS NULL");
  c.prepare("last_notice_id", "SELECT coalesce(max(id), 0) FROM notices");
  c.prepare("insert_notices",
            "INSERT INTO notices (id, at, kind, alert_seq, alert_id, origin, priority, members, "
            "level, deadline, receipt_id, duty, text, to_members, to_principals) "
            "SELECT id, at, kind, alert_seq, alert_id, origin, priority, members::text[], level, "
            "deadline, receipt_id, duty, text, to_members::text[], to_principals::text[] "
            "FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::bigint[], $5::uuid[], "
            "$6::text[], $7::text[], $8::text[], $9::integer[], $10::timestamptz[], "
            "$11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[]) "
            "AS u(id, at, kind, alert_seq, alert_id, origin, priority, members, level, deadline, "
            "receipt_id, duty, text, to_members, to_principals)");
  c.prepare("presence_touch", "UPDATE presence SET seen_at = $2::timestamptz WHERE node = $1");
  c.prepare("presence_upsert",
            "INSERT INTO presence (node, member, desks_connected, desks_on_duty, seen_at) "
            "VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT (node, member) DO UPDATE SET "
            "desks_connected = EXCLUDED.desks_connected, desks_on_duty = EXCLUDED.desks_on_duty, "
            "seen_at = EXCLUDED.seen_at");
  c.prepare("presence_sum",
            "SELECT coalesce(sum(desks_connected), 0), coalesce(sum(desks_on_duty), 0) "
            "FROM presence WHERE member = $1 AND seen_at > $2::timestamptz");
  c.prepare("member_presence_read",
            "SELECT state, " + us("since") + " FROM member_presence WHERE member = $1");
  c.prepare("member_presence_write",
            "INSERT INTO member_presence (member, state, since, desks_connected, desks_on_duty) "
            "VALUES ($1, $2, $3::timestamptz, $4, $5) ON CONFLICT (member) DO UPDATE SET "
            "state = EXCLUDED.state, since = EXCLUDED.since, "
            "desks_connected = EXCLUDED.desks_connected, desks_on_duty = EXCLUDED.desks_on_duty");
}

rapid_effects apply_rapid(pqxx::work& tx, const std::vector<receipt_item>& receipts,
                          const std::vector<escalation_item>& escalations,
                          const std::vector<presence_item>& presence, core::time_point now) {
  rapid_effects out;
  apply_receipts(tx, receipts, now, out);
  apply_escalations(tx, escalations, out);
  apply_presence(tx, presence, now, out);
  return out;
}

void write_deadlines(pqxx::work& tx, const std::vector<const core::publish_request*>& requests,
                     const std::vector<core::stored_alert_ptr>& created, core::time_point now) {
  // `created` and the requests that made them are matched by (origin, id).
  std::map<alert_key, const core::publish_request*> by_key;
  std::vector<std::string> w_origin, w_id;
  for (const auto* r : requests) {
    by_key[{r->origin, r->alert_id}] = r;
  }
  sql_array seq, member, due, window;
  std::size_t rows = 0;
  std::set<alert_key> withdrawn;
  for (const auto& alert : created) {
    auto it = by_key.find({alert->origin, alert->alert_id});
    if (it == by_key.end()) continue;
    const auto& r = *it->second;
    if (r.kind == core::alert_kind::withdrawal && !r.in_reply_to.empty() &&
        withdrawn.emplace(r.origin, r.in_reply_to).second) {
      w_origin.push_back(r.origin);
      w_id.push_back(r.in_reply_to);
    }
    if (!r.read_window) continue;
    for (const auto& m : alert->recipients.members) {
      seq.add(alert->seq);
      member.add(m);
      due.add_timestamp(alert->received_at + *r.read_window);
      window.add(static_cast<std::uint64_t>(r.read_window->count()));
      ++rows;
    }
  }
  if (rows > 0)
    tx.exec_prepared("insert_deadlines", seq.take(), member.take(), due.take(), window.take());
  if (!w_origin.empty())
    tx.exec_prepared("close_withdrawn", sql_text_array(w_origin), sql_text_array(w_id),
                     sql_timestamp(now));
}

void insert_notices(pqxx::work& tx, std::vector<core::notice>& notices) {
  if (notices.empty()) return;
  std::uint64_t next = seq_from(tx.exec_prepared1("last_notice_id")[0]);
  sql_array id, at, kind, alert_seq, alert_id, origin, prio, members, level, deadline, receipt_id,
      duty, text, to_members, to_principals;
  for (auto& n : notices) {
    const std::uint64_t receipt = n.receipt_id;
    n.id = ++next;
    id.add(n.id);
    at.add_timestamp(n.at);
    kind.add(core::to_string(n.kind));
    n.alert_seq ? alert_seq.add(n.alert_seq) : alert_seq.add_null();
    n.alert_id.empty() ? alert_id.add_null() : alert_id.add(n.alert_id);
    n.origin.empty() ? origin.add_null() : origin.add(n.origin);
    n.prio ? prio.add(core::to_string(*n.prio)) : prio.add_null();
    members.add(sql_text_array(n.members));
    level.add(static_cast<std::uint64_t>(n.level));
    n.deadline ? deadline.add_timestamp(*n.deadline) : deadline.add_null();
    receipt ? receipt_id.add(receipt) : receipt_id.add_null();
    n.duty ? duty.add(core::to_string(*n.duty)) : duty.add_null();
    text.add(storable_text(n.text));
    to_members.add(sql_text_array(n.to.members));
    to_principals.add(sql_text_array(n.to.principals));
  }
  tx.exec_prepared("insert_notices", id.take(), at.take(), kind.take(), alert_seq.take(),
                   alert_id.take(), origin.take(), prio.take(), members.take(), level.take(),
                   deadline.take(), receipt_id.take(), duty.take(), text.take(), to_members.take(),
                   to_principals.take());
  tx.exec_params("SELECT pg_notify('liaison_notice', $1)", std::to_string(next));
}

}  // namespace liaison::store::detail
