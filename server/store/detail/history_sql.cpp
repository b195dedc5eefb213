#include "store/detail/history_sql.hpp"

#include "core/names.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>

namespace liaison::store::detail {
namespace {

constexpr std::string_view history_columns =
    "a.seq, a.alert_id::text, a.origin, a.recipients, a.named_recipients, a.kind, a.category, "
    "a.priority, a.tlp, "
    "a.restriction, a.subject, (extract(epoch from a.created_at) * 1000000)::bigint, "
    "(extract(epoch from a.expires_at) * 1000000)::bigint, a.in_reply_to::text, a.case_reference, "
    "(extract(epoch from a.received_at) * 1000000)::bigint, a.published_by, a.key_id, "
    "a.payload_sha256";
constexpr std::size_t history_column_count = 19;
constexpr std::size_t max_replies = 100;

std::string text_of(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str());
}

history_alert decode_history_alert(const pqxx::row& row) {
  history_alert a;
  a.seq = seq_from(row[0]);
  a.alert_id = text_of(row[1]);
  a.origin = text_of(row[2]);
  a.recipients = text_array_from(row[3]);
  a.named_recipients = text_array_from(row[4]);
  a.kind = text_of(row[5]);
  a.category = text_of(row[6]);
  a.priority = text_of(row[7]);
  a.tlp = text_of(row[8]);
  a.restriction = text_of(row[9]);
  a.subject = text_of(row[10]);
  a.created_at = micros_from(row[11]);
  if (!row[12].is_null()) a.expires_at = micros_from(row[12]);
  a.in_reply_to = text_of(row[13]);
  a.case_reference = text_of(row[14]);
  a.received_at = micros_from(row[15]);
  a.published_by = text_of(row[16]);
  a.key_id = text_of(row[17]);
  a.payload_sha256 = bytea_from(row[18]);
  return a;
}

// WHERE conditions with their bound parameters, numbered in order.
class conditions {
 public:
  std::string param(std::string value) {
    params_.emplace_back(std::move(value));
    return "$" + std::to_string(params_.size());
  }
  void add(const std::string& condition) {
    where_ += where_.empty() ? " WHERE " : " AND ";
    where_ += condition;
  }
  // `column` = ANY of `values` (nothing when the list is empty).
  void any_of(const std::string& column, const std::vector<std::string>& values) {
    if (!values.empty()) add(column + " = ANY(" + param(sql_text_array(values)) + "::text[])");
  }
  template <class Enum>
  void any_name_of(const std::string& column, const std::vector<Enum>& values) {
    std::vector<std::string> names;
    for (auto v : values) names.emplace_back(core::to_string(v));
    any_of(column, names);
  }
  void range(const std::string& column, const std::optional<core::time_point>& from,
             const std::optional<core::time_point>& to) {
    if (from) add(column + " >= " + param(sql_timestamp(*from)) + "::timestamptz");
    if (to) add(column + " < " + param(sql_timestamp(*to)) + "::timestamptz");
  }
  void keyset(const std::string& column, std::uint64_t after, std::optional<std::uint64_t> up_to) {
    add(column + " > " + param(std::to_string(after)) + "::bigint");
    if (up_to) add(column + " <= " + param(std::to_string(*up_to)) + "::bigint");
  }
  const std::string& where() const { return where_; }
  const sql_params& params() const { return params_; }

 private:
  std::string where_;
  sql_params params_;
};

}  // namespace

audit::digest digest_from(const pqxx::field& f) {
  const std::string bytes = f.is_null() ? std::string() : bytea_from(f);
  audit::digest d{};
  if (bytes.size() == d.size()) {
    std::copy(bytes.begin(), bytes.end(), d.begin());
    return d;
  }
  return crypto::sha256({"liaison: not a 32-byte hash", bytes});
}

audit::stored_row decode_audit_row(const pqxx::row& row, std::size_t first) {
  const auto f = [&](std::size_t i) { return row[static_cast<pqxx::row::size_type>(first + i)]; };
  audit::stored_row r;
  r.id = seq_from(f(0));
  r.event.at = micros_from(f(1));
  r.event.actor = text_of(f(2));
  r.event.actor_member = text_of(f(3));
  r.event.action = text_of(f(4));
  r.event.subject = text_of(f(5));
  r.event.outcome = text_of(f(6));
  r.event.detail = text_of(f(7));
  r.prev_hash = digest_from(f(8));
  r.row_hash = digest_from(f(9));
  return r;
}

alert_page read_alert_page(pqxx::connection& c, const audit::alert_filter& filter,
                           std::uint64_t after, std::size_t limit,
                           std::optional<std::uint64_t> up_to) {
  snapshot tx(c);
  alert_page page;
  page.log_head = seq_from(tx.exec1("SELECT last_seq FROM log_head")[0]);
  page.search_indexed_through = seq_from(tx.exec1("SELECT alerts_seq FROM history_index_state")[0]);
  conditions w;
  w.any_of("a.origin", filter.origins);
  if (!filter.recipients.empty())
    w.add("EXISTS (SELECT 1 FROM alert_recipients r WHERE r.seq = a.seq AND r.member = ANY(" +
          w.param(sql_text_array(filter.recipients)) + "::text[]))");
  w.any_name_of("a.category", filter.categories);
  w.any_name_of("a.priority", filter.priorities);
  w.any_name_of("a.kind", filter.kinds);
  w.any_name_of("a.tlp", filter.tlps);
  w.any_name_of("a.restriction", filter.restrictions);
  w.range("a.received_at", filter.from, filter.to);
  const bool search = !filter.entities.empty() || !filter.text.empty();
  if (!filter.entities.empty())
    w.add("s.entities @> " + w.param(sql_text_array(filter.entities)) + "::text[]");
  if (!filter.text.empty())
    w.add("s.document @@ websearch_to_tsquery('simple', " + w.param(filter.text) + ")");
  w.keyset("a.seq", after, up_to);
  std::string sql = "SELECT " + std::string(history_columns) + " FROM alerts a" +
                    (search ? " JOIN alert_search s ON s.seq = a.seq" : "") + w.where() +
                    " ORDER BY a.seq LIMIT ";
  sql += std::to_string(limit);  // a number the caller bounded, not a value from the request text
  for (const auto& row : exec_with(tx, sql, w.params()))
    page.alerts.push_back(decode_history_alert(row));
  return page;
}

core::result<alert_detail> read_alert_detail(pqxx::connection& c, const std::string& alert_id,
                                             const std::string& origin, std::size_t max_events) {
  snapshot tx(c);
  auto found =
      tx.exec_params("SELECT " + std::string(history_columns) +
                         ", a.payload, a.signature FROM alerts a WHERE a.alert_id = $1::uuid "
                         "AND ($2 = '' OR a.origin = $2) ORDER BY a.seq LIMIT 10",
                     alert_id, origin);
  if (found.empty())
    return core::make_error(
        core::errc::not_found,
        "no alert " + alert_id + (origin.empty() ? "" : " from " + origin) + " was committed");
  if (found.size() > 1) {
    std::string origins;
    for (const auto& row : found) origins += (origins.empty() ? "" : ", ") + text_of(row[2]);
    return core::make_error(
        core::errc::failed_precondition,
        "alerts from " + origins + " carry the id " + alert_id + "; add origin=CODE");
  }
  alert_detail d;
  d.alert = decode_history_alert(found[0]);
  d.envelope.payload =
      bytea_from(found[0][static_cast<pqxx::row::size_type>(history_column_count)]);
  d.envelope.signature =
      bytea_from(found[0][static_cast<pqxx::row::size_type>(history_column_count + 1)]);
  d.envelope.key_id = d.alert.key_id;
  d.events_indexed_through = seq_from(tx.exec1("SELECT audit_id FROM history_index_state")[0]);
  auto events =
      tx.exec_params("SELECT " + std::string(audit_row_columns) +
                         " FROM audit_log l WHERE l.id IN ("
                         "  SELECT audit_id FROM alert_events WHERE seq = $1"
                         "  UNION ALL SELECT audit_id FROM ack_ranges"
                         "    WHERE int8range(from_seq, up_to_seq, '[]') @> $1::bigint AND member "
                         "= ANY($2::text[])"
                         "  UNION ALL SELECT id FROM audit_log WHERE subject = $3)"
                         " ORDER BY l.id LIMIT $4",
                     d.alert.seq, sql_text_array(d.alert.recipients), alert_id, max_events + 1);
  for (const auto& row : events) {
    if (d.events.size() == max_events) {
      d.events_truncated = true;
      break;
    }
    d.events.push_back(decode_audit_row(row));
  }
  auto replies =
      tx.exec_params("SELECT " + std::string(history_columns) +
                         " FROM alerts a WHERE a.in_reply_to = $1::uuid ORDER BY a.seq LIMIT $2",
                     alert_id, max_replies);
  for (const auto& row : replies) d.replies.push_back(decode_history_alert(row));
  for (const auto& row : tx.exec_params(
           "SELECT id, member, state, (extract(epoch from at) * 1000000)::bigint, "
           "(extract(epoch from recorded_at) * 1000000)::bigint, principal, payload, signature, "
           "key_id FROM receipts WHERE alert_seq = $1 ORDER BY id",
           d.alert.seq)) {
    store::receipt_record r;
    r.id = seq_from(row[0]);
    r.member = row[1].c_str();
    r.state = row[2].c_str();
    r.at = micros_from(row[3]);
    r.recorded_at = micros_from(row[4]);
    r.principal = row[5].c_str();
    r.signed_bytes = {bytea_from(row[6]), bytea_from(row[7]), row[8].c_str()};
    d.receipts.push_back(std::move(r));
  }
  for (const auto& row : tx.exec_params(
           "SELECT member, (extract(epoch from due_at) * 1000000)::bigint, window_us, level, "
           "(extract(epoch from closed_at) * 1000000)::bigint, coalesce(closed_by, '') "
           "FROM read_deadlines WHERE alert_seq = $1 ORDER BY member",
           d.alert.seq)) {
    core::read_deadline x;
    x.alert_seq = d.alert.seq;
    x.member = row[0].c_str();
    if (!row[1].is_null()) x.due_at = micros_from(row[1]);
    x.window = core::duration(row[2].as<std::int64_t>());
    x.level = row[3].as<std::uint32_t>();
    if (!row[4].is_null()) x.closed_at = micros_from(row[4]);
    x.closed_by = row[5].c_str();
    d.deadlines.push_back(std::move(x));
  }
  return d;
}

audit_page read_audit_page(pqxx::connection& c, const audit::audit_filter& filter,
                           std::uint64_t after, std::size_t limit,
                           std::optional<std::uint64_t> up_to) {
  snapshot tx(c);
  audit_page page;
  page.head_id = seq_from(tx.exec1("SELECT last_id FROM audit_head")[0]);
  conditions w;
  w.any_of("l.actor", filter.actors);
  w.any_of("l.action", filter.actions);
  w.any_of("l.subject", filter.subjects);
  w.range("l.at", filter.from, filter.to);
  w.keyset("l.id", after, up_to);
  std::string sql = "SELECT " + std::string(audit_row_columns) + " FROM audit_log l" + w.where() +
                    " ORDER BY l.id LIMIT " + std::to_string(limit);
  for (const auto& row : exec_with(tx, sql, w.params())) page.rows.push_back(decode_audit_row(row));
  return page;
}

}  // namespace liaison::store::detail
