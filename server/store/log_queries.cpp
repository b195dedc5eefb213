#include "store/detail/log_queries.hpp"

#include "core/names.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>

namespace liaison::store::detail {
namespace {

// Bounds the rows (and payload bytes) of one statement's result.
constexpr std::uint64_t range_chunk = 1000;

}  // namespace

void prepare_log_queries(pqxx::connection& c) {
  c.prepare("log_head", "SELECT last_seq FROM log_head");
  c.prepare("log_range", "SELECT " + std::string(alert_columns) +
                             " FROM alerts a WHERE a.seq > $1 AND a.seq <= $2 ORDER BY a.seq");
  // The head and the page come from one statement, hence one snapshot: an
  // alert the page does not show and whose seq is <= the head does not
  // concern the member.
  c.prepare("backlog", "SELECT h.last_seq, " + std::string(alert_columns) +
                           " FROM log_head h LEFT JOIN LATERAL ("
                           "  SELECT a.* FROM alert_recipients r JOIN alerts a ON a.seq = r.seq"
                           "  WHERE r.member = $1 AND r.seq > $2 AND r.seq <= h.last_seq"
                           "  ORDER BY r.seq LIMIT $3) a ON true ORDER BY a.seq");
  // The same for one lane (alert_recipients_lane_idx).
  c.prepare("backlog_lane",
            "SELECT h.last_seq, " + std::string(alert_columns) +
                " FROM log_head h LEFT JOIN LATERAL ("
                "  SELECT a.* FROM alert_recipients r JOIN alerts a ON a.seq = r.seq"
                "  WHERE r.member = $1 AND r.lane = $4 AND r.seq > $2"
                "  AND r.seq <= h.last_seq"
                "  ORDER BY r.seq LIMIT $3) a ON true ORDER BY a.seq");
  c.prepare("create_consumer",
            "INSERT INTO consumers (principal, name, member) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING");
  c.prepare("read_consumer",
            "SELECT member, cursor, flash_cursor, urgent_cursor, routine_cursor FROM consumers "
            "WHERE principal = $1 AND name = $2");
  c.prepare("amendment_targets",
            "SELECT a.seq, a.origin, a.kind, a.recipients, w.alert_id::text, "
            " (extract(epoch from w.received_at) * 1000000)::bigint "
            "FROM alerts a LEFT JOIN LATERAL (SELECT x.alert_id, x.received_at FROM alerts x "
            "  WHERE x.in_reply_to = a.alert_id AND x.origin = a.origin AND x.kind = 'WITHDRAWAL'"
            "  ORDER BY x.seq LIMIT 1) w ON true "
            "WHERE a.alert_id = $1::uuid ORDER BY a.seq LIMIT 32");
  // One snapshot: the head, each consumer's cursors, what waits after them
  // (per lane, so a consumer with lanes whose FLASH cursor is ahead is not
  // counted as owing those), and the commit time of the first that waits.
  // Each lane's first pending seq is an index probe (alert_recipients_lane_idx).
  c.prepare("consumer_overview",
            "SELECT c.principal, c.name, c.member, c.cursor, c.flash_cursor, c.urgent_cursor, "
            " c.routine_cursor, (extract(epoch from c.created_at) * 1000000)::bigint, "
            " (extract(epoch from c.updated_at) * 1000000)::bigint, h.last_seq, "
            " (SELECT count(*) FROM (SELECT 1 FROM alert_recipients r WHERE r.member = c.member"
            "   AND r.seq <= h.last_seq AND ((r.lane = 1 AND r.seq > c.flash_cursor)"
            "   OR (r.lane = 2 AND r.seq > c.urgent_cursor) OR (r.lane = 3 AND r.seq > "
            "   c.routine_cursor)) LIMIT $2) p), "
            " o.seq, (extract(epoch from a.received_at) * 1000000)::bigint "
            "FROM consumers c CROSS JOIN log_head h "
            "LEFT JOIN LATERAL (SELECT min(s) AS seq FROM (VALUES"
            "   ((SELECT r.seq FROM alert_recipients r WHERE r.member = c.member AND r.lane = 1"
            "     AND r.seq > c.flash_cursor AND r.seq <= h.last_seq ORDER BY r.seq LIMIT 1)),"
            "   ((SELECT r.seq FROM alert_recipients r WHERE r.member = c.member AND r.lane = 2"
            "     AND r.seq > c.urgent_cursor AND r.seq <= h.last_seq ORDER BY r.seq LIMIT 1)),"
            "   ((SELECT r.seq FROM alert_recipients r WHERE r.member = c.member AND r.lane = 3"
            "     AND r.seq > c.routine_cursor AND r.seq <= h.last_seq ORDER BY r.seq LIMIT 1))"
            "   ) v(s)) o ON true "
            "LEFT JOIN alerts a ON a.seq = o.seq "
            "ORDER BY c.member, c.principal, c.name LIMIT $1");
}

std::uint64_t read_log_head(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  return seq_from(tx.exec_prepared1("log_head")[0]);
}

std::vector<core::stored_alert_ptr> read_range(pqxx::connection& c, std::uint64_t after_seq,
                                               std::uint64_t up_to) {
  std::vector<core::stored_alert_ptr> out;
  // Committed rows never change, so chunks need no common snapshot.
  pqxx::nontransaction tx(c);
  while (after_seq < up_to) {
    const std::uint64_t chunk_end = std::min(up_to, after_seq + range_chunk);
    auto rows = tx.exec_prepared("log_range", after_seq, chunk_end);
    for (const auto& row : rows) out.push_back(decode_alert(row));
    after_seq = chunk_end;
  }
  return out;
}

core::backlog_page read_backlog(pqxx::connection& c, const std::string& member,
                                std::uint64_t after_seq, std::size_t limit,
                                std::optional<core::priority> lane) {
  core::backlog_page page;
  page.scanned_to = after_seq;
  if (limit == 0) return page;
  pqxx::nontransaction tx(c);
  auto rows =
      lane ? tx.exec_prepared("backlog_lane", member, after_seq, limit, static_cast<int>(*lane))
           : tx.exec_prepared("backlog", member, after_seq, limit);
  const std::uint64_t head = rows.empty() ? 0 : seq_from(rows[0][0]);
  for (const auto& row : rows)
    if (!row[1].is_null()) page.alerts.push_back(decode_alert(row, 1));
  if (page.alerts.size() >= limit)
    page.scanned_to = page.alerts.back()->seq;
  else
    page.scanned_to = std::max(head, after_seq);
  return page;
}

core::result<core::consumer_state> open_consumer(pqxx::connection& c,
                                                 const core::consumer_key& consumer,
                                                 const std::string& member) {
  pqxx::work tx(c);
  tx.exec_prepared("create_consumer", consumer.principal, consumer.name, member);
  auto row = tx.exec_prepared1("read_consumer", consumer.principal, consumer.name);
  const std::string owner = row[0].c_str();
  core::consumer_state state;
  state.cursor = seq_from(row[1]);
  for (std::size_t i = 0; i < core::lane_count; ++i)
    state.lanes[i] = seq_from(row[static_cast<pqxx::row::size_type>(2 + i)]);
  state.log_head = seq_from(tx.exec_prepared1("log_head")[0]);
  tx.commit();
  if (owner != member)
    return core::make_error(core::errc::failed_precondition,
                            "consumer " + consumer.name + " is bound to member " + owner);
  return state;
}
std::vector<core::amendment_target> read_amendment_targets(pqxx::connection& c,
                                                           const std::string& alert_id) {
  pqxx::nontransaction tx(c);
  std::vector<core::amendment_target> out;
  for (const auto& row : tx.exec_prepared("amendment_targets", alert_id)) {
    core::amendment_target t;
    t.seq = seq_from(row[0]);
    t.origin = row[1].c_str();
    t.kind =
        core::parse_name<core::alert_kind>(row[2].c_str()).value_or(core::alert_kind::information);
    t.recipients = text_array_from(row[3]);
    if (!row[4].is_null()) {
      t.withdrawn_by = row[4].c_str();
      t.withdrawn_at = micros_from(row[5]);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<core::consumer_overview> read_consumer_overview(pqxx::connection& c, std::size_t limit,
                                                            std::uint64_t pending_cap) {
  pqxx::read_transaction tx(c);
  std::vector<core::consumer_overview> out;
  // One more than the cap tells "more than the cap" from "exactly the cap".
  for (const auto& row : tx.exec_prepared("consumer_overview", limit, pending_cap + 1)) {
    core::consumer_overview o;
    o.key = {row[0].c_str(), row[1].c_str()};
    o.member = row[2].c_str();
    o.cursor = seq_from(row[3]);
    for (std::size_t i = 0; i < core::lane_count; ++i)
      o.lanes[i] = seq_from(row[static_cast<pqxx::row::size_type>(4 + i)]);
    o.created_at = micros_from(row[7]);
    o.acknowledged_at = micros_from(row[8]);
    o.log_head = seq_from(row[9]);
    const auto pending = row[10].as<std::uint64_t>();
    o.pending_capped = pending > pending_cap;
    o.pending = std::min(pending, pending_cap);
    if (!row[11].is_null()) {
      o.oldest_pending_seq = seq_from(row[11]);
      o.oldest_pending_at = micros_from(row[12]);
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace liaison::store::detail
