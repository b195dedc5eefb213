#include "store/detail/batch_sql.hpp"

#include "audit/chain.hpp"
#include "core/names.hpp"
#include "crypto/sha256.hpp"
#include "store/detail/batch_plan.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace liaison::store::detail {
namespace {

// One multi-row INSERT per table per batch, split only when a statement would
// exceed PostgreSQL's parameter limit.
template <class Fill>
void insert_rows(pqxx::work& tx, const std::string& head,
                 std::initializer_list<std::string_view> casts, std::size_t rows, Fill fill) {
  const std::size_t per_statement = max_statement_params / casts.size();
  for (std::size_t start = 0; start < rows; start += per_statement) {
    const std::size_t n = std::min(per_statement, rows - start);
    sql_params params;
    params.reserve(n * casts.size());
    for (std::size_t i = start; i < start + n; ++i) fill(i, params);
    exec_with(tx, head + placeholders(n, casts), params);
  }
}

std::optional<std::string> null_if_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
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

// Advances the cursors; returns which consumers exist.
std::set<std::pair<std::string, std::string>> advance_cursors(pqxx::work& tx,
                                                              const std::vector<ack_item>& acks,
                                                              std::uint64_t head) {
  // One row per consumer (UPDATE ... FROM would apply an arbitrary one of
  // several), never beyond the log head: a cursor past alerts that do not
  // exist yet would skip them once they do.
  std::map<std::pair<std::string, std::string>, std::uint64_t> up_to;
  for (const auto& a : acks) {
    auto& v = up_to[{a.consumer.principal, a.consumer.name}];
    v = std::max(v, std::min(a.up_to, head));
  }
  sql_params params;
  params.reserve(up_to.size() * 3);
  for (const auto& [key, seq] : up_to) {
    params.emplace_back(key.first);
    params.emplace_back(key.second);
    params.emplace_back(std::to_string(seq));
  }
  auto rows = exec_with(
      tx,
      "UPDATE consumers AS c SET cursor = GREATEST(c.cursor, v.up_to), updated_at = now() "
      "FROM (VALUES " +
          placeholders(up_to.size(), {"text", "text", "bigint"}) +
          ") AS v(principal, name, up_to) "
          "WHERE c.principal = v.principal AND c.name = v.name RETURNING c.principal, c.name",
      params);
  std::set<std::pair<std::string, std::string>> found;
  for (const auto& row : rows) found.emplace(row[0].c_str(), row[1].c_str());
  return found;
}

}  // namespace

void prepare_batch_statements(pqxx::connection& c) {
  c.prepare("lock_log_head", "SELECT last_seq FROM log_head FOR UPDATE");
  c.prepare("lock_audit_head", "SELECT last_id, last_hash FROM audit_head FOR UPDATE");
  c.prepare("existing_alerts",
            "SELECT a.origin, a.alert_id::text, a.seq, "
            "(extract(epoch from a.received_at) * 1000000)::bigint, "
            "a.payload, a.signature, a.key_id "
            "FROM alerts a JOIN unnest($1::text[], $2::uuid[]) AS k(origin, alert_id) "
            "ON a.origin = k.origin AND a.alert_id = k.alert_id");
  c.prepare("set_log_head", "UPDATE log_head SET last_seq = $1");
  c.prepare("set_audit_head", "UPDATE audit_head SET last_id = $1, last_hash = $2::bytea");
  c.prepare("notify_log", "SELECT pg_notify('liaison_log', $1)");
}

batch_outcome write_batch(pqxx::connection& c, const std::vector<publish_item>& publishes,
                          const std::vector<audit_item>& audits, const std::vector<ack_item>& acks,
                          const std::function<core::time_point()>& now_fn) {
  batch_outcome out;
  pqxx::work tx(c);

  // 1. Always log_head, then audit_head: the same order on every node, so
  //    that two nodes cannot deadlock. Seqs are assigned under this lock.
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
  if (!publishes.empty()) {
    std::vector<const publish_request*> requests;
    requests.reserve(publishes.size());
    for (const auto& p : publishes) requests.push_back(&p.request);
    plan = plan_publishes(requests, find_existing(tx, publishes), head, now);
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

  // 4. The audit rows, chained: publishes, queued events, acks.
  audit::chain_builder chain(audit_id, previous);
  std::vector<audit::chained_event> rows;
  rows.reserve(plan.audit.size() + audits.size() + acks.size());
  for (auto& e : plan.audit) rows.push_back(chain.append(storable(std::move(e))));
  for (const auto& a : audits) rows.push_back(chain.append(storable(a.event)));
  for (std::size_t i = 0; i < acks.size(); ++i) {
    core::audit_event e = acks[i].event;
    if (!out.acks[i]) e.outcome = core::to_string(out.acks[i].error().code);
    rows.push_back(chain.append(storable(std::move(e))));
  }

  // 5. The rows.
  insert_rows(
      tx,
      "INSERT INTO alerts (seq, origin, alert_id, payload, signature, key_id, "
      "payload_sha256, kind, category, priority, tlp, restriction, subject, created_at, "
      "expires_at, in_reply_to, case_reference, recipients, named_recipients, "
      "received_at, published_by) VALUES ",
      {"bigint",      "text", "uuid", "bytea",  "bytea",  "text",        "bytea",
       "text",        "text", "text", "text",   "text",   "text",        "timestamptz",
       "timestamptz", "uuid", "text", "text[]", "text[]", "timestamptz", "text"},
      plan.created.size(), [&](std::size_t i, sql_params& p) {
        const auto& [index, alert] = plan.created[i];
        const publish_request& r = publishes[index].request;
        p.emplace_back(std::to_string(alert->seq));
        p.emplace_back(r.origin);
        p.emplace_back(r.alert_id);
        p.emplace_back(sql_bytea(r.signed_bytes.payload));
        p.emplace_back(sql_bytea(r.signed_bytes.signature));
        p.emplace_back(r.signed_bytes.key_id);
        p.emplace_back(sql_bytea(crypto::as_bytes(crypto::sha256(r.signed_bytes.payload))));
        p.emplace_back(std::string(core::to_string(r.kind)));
        p.emplace_back(std::string(core::to_string(r.cat)));
        p.emplace_back(std::string(core::to_string(r.prio)));
        p.emplace_back(std::string(core::to_string(r.disclosure)));
        p.emplace_back(std::string(core::to_string(r.usage)));
        p.emplace_back(r.subject);
        p.emplace_back(sql_timestamp(r.created_at));
        p.emplace_back(r.expires_at ? std::optional(sql_timestamp(*r.expires_at)) : std::nullopt);
        p.emplace_back(null_if_empty(r.in_reply_to));
        p.emplace_back(null_if_empty(r.case_reference));
        p.emplace_back(sql_text_array(r.recipients.members));
        p.emplace_back(sql_text_array(r.recipients.named));
        p.emplace_back(sql_timestamp(alert->received_at));
        p.emplace_back(r.actor);
      });

  std::vector<std::pair<const std::string*, std::uint64_t>> recipients;
  for (const auto& [index, alert] : plan.created)
    for (const auto& member : alert->recipients.members)
      recipients.emplace_back(&member, alert->seq);
  insert_rows(tx, "INSERT INTO alert_recipients (member, seq) VALUES ", {"text", "bigint"},
              recipients.size(), [&](std::size_t i, sql_params& p) {
                p.emplace_back(*recipients[i].first);
                p.emplace_back(std::to_string(recipients[i].second));
              });

  insert_rows(
      tx,
      "INSERT INTO audit_log (id, at, actor, actor_member, action, subject, outcome, "
      "detail, prev_hash, row_hash) VALUES ",
      {"bigint", "timestamptz", "text", "text", "text", "text", "text", "text", "bytea", "bytea"},
      rows.size(), [&](std::size_t i, sql_params& p) {
        const auto& row = rows[i];
        p.emplace_back(std::to_string(row.id));
        p.emplace_back(sql_timestamp(row.event.at));
        p.emplace_back(row.event.actor);
        p.emplace_back(row.event.actor_member);
        p.emplace_back(row.event.action);
        p.emplace_back(row.event.subject);
        p.emplace_back(row.event.outcome);
        p.emplace_back(row.event.detail);
        p.emplace_back(sql_bytea(crypto::as_bytes(row.previous)));
        p.emplace_back(sql_bytea(crypto::as_bytes(row.hash)));
      });

  // 6. The heads, and a wake-up for the other nodes' log followers (sent by
  //    PostgreSQL only if the transaction commits).
  if (!plan.created.empty()) {
    tx.exec_prepared("set_log_head", plan.last_seq);
    tx.exec_prepared("notify_log", std::to_string(plan.last_seq));
  }
  if (!rows.empty())
    tx.exec_prepared("set_audit_head", chain.head_id(),
                     sql_bytea(crypto::as_bytes(chain.head_hash())));

  // 7. Commit. Only a normal return means committed.
  tx.commit();

  out.publishes = std::move(plan.outcomes);
  out.created.reserve(plan.created.size());
  for (auto& [index, alert] : plan.created) out.created.push_back(std::move(alert));
  out.audit_rows = rows.size();
  return out;
}

}  // namespace liaison::store::detail
