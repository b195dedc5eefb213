#include "store/detail/batch_sql.hpp"

#include "audit/chain.hpp"
#include "core/names.hpp"
#include "crypto/sha256.hpp"
#include "store/detail/batch_plan.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <set>
#include <utility>

namespace liaison::store::detail {
namespace {

// Column names of the unnest statements, in parameter order.
constexpr const char* alert_columns_sql =
    "seq, origin, alert_id, payload, signature, key_id, payload_sha256, kind, category, priority, "
    "tlp, restriction, subject, created_at, expires_at, in_reply_to, case_reference, recipients, "
    "named_recipients, received_at, published_by";
constexpr const char* audit_columns_sql =
    "id, at, actor, actor_member, action, subject, outcome, detail, prev_hash, row_hash";

// Appends the 21 column arrays of the new alerts to `params`.
void alert_arrays(std::vector<std::string>& params, const std::vector<publish_item>& publishes,
                  const std::vector<std::pair<std::size_t, core::stored_alert_ptr>>& created) {
  const std::size_t n = created.size();
  std::size_t payload_bytes = 0;
  for (const auto& [index, alert] : created) payload_bytes += alert->signed_bytes.payload.size();
  sql_binary_bytea_array payload(payload_bytes + n * 4), signature(n * 68), sha(n * 36);
  sql_array seq(n * 12), origin(n * 6), alert_id(n * 40), key_id(n * 16), kind(n * 16), cat(n * 20),
      prio(n * 12), disclosure(n * 16), usage(n * 6), subject(n * 64), created_at(n * 34),
      expires_at(n * 34), in_reply_to(n * 40), case_reference(n * 16), recipients(n * 16),
      named(n * 8), received_at(n * 34), published_by(n * 16);
  for (const auto& [index, alert] : created) {
    const core::publish_request& r = publishes[index].request;
    seq.add(alert->seq);
    origin.add(r.origin);
    alert_id.add(r.alert_id);
    payload.add(r.signed_bytes.payload);
    signature.add(r.signed_bytes.signature);
    key_id.add(r.signed_bytes.key_id);
    sha.add(crypto::as_bytes(crypto::sha256(r.signed_bytes.payload)));
    kind.add(core::to_string(r.kind));
    cat.add(core::to_string(r.cat));
    prio.add(core::to_string(r.prio));
    disclosure.add(core::to_string(r.disclosure));
    usage.add(core::to_string(r.usage));
    subject.add(r.subject);
    created_at.add_timestamp(r.created_at);
    r.expires_at ? expires_at.add_timestamp(*r.expires_at) : expires_at.add_null();
    r.in_reply_to.empty() ? in_reply_to.add_null() : in_reply_to.add(r.in_reply_to);
    r.case_reference.empty() ? case_reference.add_null() : case_reference.add(r.case_reference);
    recipients.add(sql_text_array(r.recipients.members));
    named.add(sql_text_array(r.recipients.named));
    received_at.add_timestamp(alert->received_at);
    published_by.add(r.actor);
  }
  params.push_back(seq.take());
  params.push_back(origin.take());
  params.push_back(alert_id.take());
  params.push_back(payload.take());
  params.push_back(signature.take());
  params.push_back(key_id.take());
  params.push_back(sha.take());
  for (auto* a : {&kind, &cat, &prio, &disclosure, &usage, &subject, &created_at, &expires_at,
                  &in_reply_to, &case_reference, &recipients, &named, &received_at, &published_by})
    params.push_back(a->take());
}

// Appends the 2 column arrays of the new alerts' recipient rows; returns the
// third (their lanes), which goes last.
std::string recipient_arrays(
    std::vector<std::string>& params,
    const std::vector<std::pair<std::size_t, core::stored_alert_ptr>>& created) {
  sql_array member(created.size() * 6), seq(created.size() * 12), lane(created.size() * 2);
  for (const auto& [index, alert] : created)
    for (const auto& m : alert->recipients.members) {
      member.add(m);
      seq.add(alert->seq);
      lane.add(static_cast<std::uint64_t>(alert->prio));
    }
  params.push_back(member.take());
  params.push_back(seq.take());
  return lane.take();
}

// Appends the 10 column arrays of the audit rows.
void audit_arrays(std::vector<std::string>& params, const std::vector<audit::chained_event>& rows) {
  const std::size_t n = rows.size();
  std::size_t detail_bytes = 0;
  for (const auto& row : rows) detail_bytes += row.event.detail.size();
  sql_array id(n * 12), at(n * 34), actor(n * 16), actor_member(n * 6), action(n * 20),
      subject(n * 40), outcome(n * 8), detail(detail_bytes + n * 32);
  sql_binary_bytea_array prev(n * 36), hash(n * 36);
  for (const auto& row : rows) {
    id.add(row.id);
    at.add_timestamp(row.event.at);
    actor.add(row.event.actor);
    actor_member.add(row.event.actor_member);
    action.add(row.event.action);
    subject.add(row.event.subject);
    outcome.add(row.event.outcome);
    detail.add(row.event.detail);
    prev.add(crypto::as_bytes(row.previous));
    hash.add(crypto::as_bytes(row.hash));
  }
  for (auto* a : {&id, &at, &actor, &actor_member, &action, &subject, &outcome, &detail})
    params.push_back(a->take());
  params.push_back(prev.take());
  params.push_back(hash.take());
}

core::audit_event storable(core::audit_event e) {
  e.actor = storable_text(e.actor);
  e.actor_member = storable_text(e.actor_member);
  e.action = storable_text(e.action);
  e.subject = storable_text(e.subject);
  e.outcome = storable_text(e.outcome);
  e.detail = storable_text(e.detail);
  return e;
}

// The alerts that the batch's withdrawals and corrections name and that are
// withdrawn already, as (origin, alert id).
std::set<alert_key> find_withdrawn(pqxx::work& tx, const std::vector<publish_item>& publishes) {
  std::vector<std::string> origins, ids;
  for (const auto& p : publishes) {
    const auto& r = p.request;
    if ((r.kind == core::alert_kind::withdrawal || r.kind == core::alert_kind::correction) &&
        !r.in_reply_to.empty()) {
      origins.push_back(r.origin);
      ids.push_back(r.in_reply_to);
    }
  }
  std::set<alert_key> out;
  if (origins.empty()) return out;
  for (const auto& row :
       tx.exec_prepared("withdrawn_alerts", sql_text_array(origins), sql_text_array(ids)))
    out.emplace(row[0].c_str(), row[1].c_str());
  return out;
}

std::map<alert_key, existing_alert> find_existing(pqxx::work& tx,
                                                  const std::vector<publish_item>& publishes) {
  std::vector<std::string> origins, ids;
  std::set<alert_key> keys;
  for (const auto& p : publishes) {
    if (keys.emplace(p.request.origin, p.request.alert_id).second) {
      origins.push_back(p.request.origin);
      ids.push_back(p.request.alert_id);
    }
  }
  std::map<alert_key, existing_alert> out;
  auto rows = tx.exec_prepared("existing_alerts", sql_text_array(origins), sql_text_array(ids));
  for (const auto& row : rows) {
    existing_alert a;
    a.seq = seq_from(row[2]);
    a.received_at = micros_from(row[3]);
    a.signed_bytes.payload = bytea_from(row[4]);
    a.signed_bytes.signature = bytea_from(row[5]);
    a.signed_bytes.key_id = row[6].c_str();
    out.emplace(alert_key{row[0].c_str(), row[1].c_str()}, std::move(a));
  }
  return out;
}

// The parameters of "write_rows" that travel in binary format (0-based):
// the bytea[] columns payload, signature, payload_sha256, prev_hash, row_hash.
constexpr std::size_t write_rows_params = 38;
constexpr bool binary_param(std::size_t i) {
  return i == 3 || i == 4 || i == 6 || i == 31 || i == 32;
}

template <std::size_t I>
decltype(auto) write_rows_param(const std::vector<std::string>& p) {
  if constexpr (binary_param(I))
    return pqxx::binarystring(p[I].data(), p[I].size());
  else
    return (p[I]);
}

template <std::size_t... I>
void exec_write_rows(pqxx::work& tx, const std::vector<std::string>& p, std::index_sequence<I...>) {
  assert(p.size() == write_rows_params);
  tx.exec_prepared("write_rows", write_rows_param<I>(p)...);
}

// Advances the cursors; returns which consumers exist.
std::set<std::pair<std::string, std::string>> advance_cursors(pqxx::work& tx,
                                                              const std::vector<ack_item>& acks,
                                                              std::uint64_t head) {
  // One row per consumer (UPDATE ... FROM would apply an arbitrary one of
  // several) with one value per lane, never beyond the log head: a cursor
  // past alerts that do not exist yet would skip them once they do. An ack
  // without a lane moves every lane (delivery was in seq order).
  std::map<std::pair<std::string, std::string>, std::array<std::uint64_t, core::lane_count>> up_to;
  for (const auto& a : acks) {
    auto& v = up_to[{a.consumer.principal, a.consumer.name}];
    const std::uint64_t seq = std::min(a.up_to, head);
    for (std::size_t i = 0; i < core::lane_count; ++i)
      if (!a.lane || core::lane_index(*a.lane) == i) v[i] = std::max(v[i], seq);
  }
  sql_params params;
  params.reserve(up_to.size() * 5);
  for (const auto& [key, lanes] : up_to) {
    params.emplace_back(key.first);
    params.emplace_back(key.second);
    for (auto seq : lanes) params.emplace_back(std::to_string(seq));
  }
  auto rows = exec_with(
      tx,
      "UPDATE consumers AS c SET flash_cursor = GREATEST(c.flash_cursor, v.f), "
      "urgent_cursor = GREATEST(c.urgent_cursor, v.u), "
      "routine_cursor = GREATEST(c.routine_cursor, v.r), "
      "cursor = LEAST(GREATEST(c.flash_cursor, v.f), GREATEST(c.urgent_cursor, v.u), "
      "GREATEST(c.routine_cursor, v.r)), updated_at = now() "
      "FROM (VALUES " +
          placeholders(up_to.size(), {"text", "text", "bigint", "bigint", "bigint"}) +
          ") AS v(principal, name, f, u, r) "
          "WHERE c.principal = v.principal AND c.name = v.name RETURNING c.principal, c.name",
      params);
  std::set<std::pair<std::string, std::string>> found;
  for (const auto& row : rows) found.emplace(row[0].c_str(), row[1].c_str());
  return found;
}

}  // namespace

void prepare_batch_statements(pqxx::connection& c) {
  prepare_rapid_statements(c);
  c.prepare("lock_log_head", "SELECT last_seq FROM log_head FOR UPDATE");
  c.prepare("lock_audit_head", "SELECT last_id, last_hash FROM audit_head FOR UPDATE");
  c.prepare("withdrawn_alerts",
            "SELECT DISTINCT w.origin, w.in_reply_to::text FROM alerts w, "
            "unnest($1::text[], $2::uuid[]) AS k(origin, id) "
            "WHERE w.kind = 'WITHDRAWAL' AND w.origin = k.origin AND w.in_reply_to = k.id");
  c.prepare("existing_alerts",
            // One index probe per key, whatever the batch size: as a plain
            // join the planner estimated a large batch's keys as many rows
            // and scanned the whole of `alerts` on every commit (a cost that
            // grew with the log). LIMIT 1 (the key is unique) keeps the
            // lateral subquery from being flattened back into that join.
            "SELECT a.origin, a.alert_id::text, a.seq, "
            "(extract(epoch from a.received_at) * 1000000)::bigint, "
            "a.payload, a.signature, a.key_id "
            "FROM unnest($1::text[], $2::uuid[]) AS k(origin, alert_id) "
            "CROSS JOIN LATERAL (SELECT * FROM alerts x "
            "WHERE x.origin = k.origin AND x.alert_id = k.alert_id LIMIT 1) a");
  // Every row of a batch and both heads in ONE statement of fixed arity
  // (one array parameter per column, whatever the batch size): planned once
  // per connection, one round trip instead of six, and far cheaper for the
  // server to parse than multi-row VALUES lists of ~10,000 parameters. The
  // foreign key of alert_recipients is checked at the end of the statement,
  // when the alerts of the same statement exist. The heads only move forward
  // (an audit-only batch leaves log_head alone), and the notification is
  // sent only when alerts were created (and only if the transaction commits).
  c.prepare(
      "write_rows",
      std::string("WITH new_alerts AS (INSERT INTO alerts (") + alert_columns_sql +
          ") SELECT seq, origin, alert_id, payload, signature, key_id, payload_sha256, kind, "
          "category, priority, tlp, restriction, subject, created_at, expires_at, in_reply_to, "
          "case_reference, recipients::text[], named_recipients::text[], received_at, published_by "
          "FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::bytea[], $5::bytea[], $6::text[], "
          "$7::bytea[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], "
          "$13::text[], $14::timestamptz[], $15::timestamptz[], $16::uuid[], $17::text[], "
          "$18::text[], $19::text[], $20::timestamptz[], $21::text[]) AS u(" +
          alert_columns_sql +
          ")), "
          "new_recipients AS (INSERT INTO alert_recipients (member, seq, lane) "
          "SELECT * FROM unnest($22::text[], $23::bigint[], $38::smallint[])), "
          "new_audit AS (INSERT INTO audit_log (" +
          audit_columns_sql +
          ") SELECT * FROM unnest($24::bigint[], $25::timestamptz[], $26::text[], $27::text[], "
          "$28::text[], $29::text[], $30::text[], $31::text[], $32::bytea[], $33::bytea[])), "
          "log AS (UPDATE log_head SET last_seq = $34::bigint WHERE last_seq < $34::bigint), "
          "chain AS (UPDATE audit_head SET last_id = $35::bigint, last_hash = $36::bytea "
          "WHERE last_id < $35::bigint) "
          "SELECT pg_notify('liaison_log', ($34::bigint)::text) WHERE $37::boolean");
}

batch_outcome write_batch(pqxx::connection& c, const batch_input& in,
                          const std::function<core::time_point()>& now_fn) {
  const auto& publishes = in.publishes;
  const auto& audits = in.audits;
  const auto& acks = in.acks;
  batch_outcome out;
  pqxx::work tx(c);

  // 1. Always log_head, then audit_head: the same order on every node, so
  //    that two nodes cannot deadlock. Seqs, receipt and notice ids are
  //    assigned under this lock.
  const std::uint64_t head = seq_from(tx.exec_prepared1("lock_log_head")[0]);
  const auto audit_head = tx.exec_prepared1("lock_audit_head");
  const std::uint64_t audit_id = seq_from(audit_head[0]);
  const std::string audit_hash = bytea_from(audit_head[1]);
  if (audit_hash.size() != audit::genesis_hash.size())
    throw std::runtime_error("audit_head.last_hash is not 32 bytes");
  audit::digest previous{};
  std::copy(audit_hash.begin(), audit_hash.end(), previous.begin());
  const core::time_point now = now_fn();

  // 2. Outcomes of the publishes.
  publish_plan plan;
  plan.last_seq = head;
  std::vector<const core::publish_request*> requests;
  if (!publishes.empty()) {
    requests.reserve(publishes.size());
    for (const auto& p : publishes) requests.push_back(&p.request);
    plan = plan_publishes(requests, find_existing(tx, publishes), find_withdrawn(tx, publishes),
                          head, now);
  }

  // 3. Cursor updates (their audit rows need the outcome).
  std::set<std::pair<std::string, std::string>> found;
  if (!acks.empty()) found = advance_cursors(tx, acks, plan.last_seq);
  for (const auto& a : acks) {
    if (found.contains({a.consumer.principal, a.consumer.name}))
      out.acks.emplace_back();
    else
      out.acks.emplace_back(core::make_error(core::errc::not_found,
                                             "consumer " + a.consumer.name + " does not exist"));
  }

  // 4. Receipts, escalations and presence (their audit rows and notices).
  out.rapid = apply_rapid(tx, in.receipts, in.escalations, in.presence, now);

  // 5. The audit rows, chained: publishes (and what they set off), queued
  //    events, acks, the rapid items'. The notices of new alerts get their seq.
  std::vector<core::notice> notices;
  std::vector<core::audit_event> publish_extras;
  for (auto& [index, alert] : plan.created) {
    const auto& r = publishes[index].request;
    if (r.notices_audit) publish_extras.push_back(*r.notices_audit);
    for (auto n : r.notices) {
      n.alert_seq = alert->seq;
      notices.push_back(std::move(n));
    }
  }
  audit::chain_builder chain(audit_id, previous);
  std::vector<audit::chained_event> rows;
  rows.reserve(plan.audit.size() + publish_extras.size() + audits.size() + acks.size() +
               out.rapid.audit.size());
  for (auto& e : plan.audit) rows.push_back(chain.append(storable(std::move(e))));
  for (auto& e : publish_extras) rows.push_back(chain.append(storable(std::move(e))));
  for (const auto& a : audits) rows.push_back(chain.append(storable(a.event)));
  for (std::size_t i = 0; i < acks.size(); ++i) {
    core::audit_event e = acks[i].event;
    if (!out.acks[i]) e.outcome = core::to_string(out.acks[i].error().code);
    rows.push_back(chain.append(storable(std::move(e))));
  }
  for (auto& e : out.rapid.audit) rows.push_back(chain.append(storable(std::move(e))));

  // 6. The rows and the heads, in one statement (see "write_rows"), and a
  //    wake-up for the other nodes' log followers, sent by PostgreSQL only if
  //    the transaction commits.
  if (!plan.created.empty() || !rows.empty()) {
    std::vector<std::string> params;
    params.reserve(write_rows_params);
    alert_arrays(params, publishes, plan.created);
    auto lanes = recipient_arrays(params, plan.created);
    audit_arrays(params, rows);
    params.push_back(std::to_string(plan.last_seq));
    params.push_back(std::to_string(chain.head_id()));
    params.push_back(sql_bytea(crypto::as_bytes(chain.head_hash())));
    params.push_back(plan.created.empty() ? "false" : "true");
    params.push_back(std::move(lanes));
    exec_write_rows(tx, params, std::make_index_sequence<write_rows_params>());
  }

  // 7. What refers to the new alerts: their read deadlines, the deadlines
  //    their withdrawals close, and every notice of the batch.
  out.created.reserve(plan.created.size());
  for (auto& [index, alert] : plan.created) out.created.push_back(alert);
  if (!out.created.empty()) write_deadlines(tx, requests, out.created, now);
  for (auto& n : out.rapid.notices) notices.push_back(std::move(n));
  out.rapid.notices.clear();
  insert_notices(tx, notices);

  // 8. Commit. Only a normal return means committed.
  tx.commit();

  out.publishes = std::move(plan.outcomes);
  out.audit_rows = rows.size();
  out.notices = notices.size();
  return out;
}

}  // namespace liaison::store::detail
