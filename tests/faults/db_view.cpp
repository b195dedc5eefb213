#include "faults/db_view.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <sstream>

namespace liaison::faults {

database_view read_database(const std::string& url) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  database_view out;
  // array_to_string: a text[] as "HU,RS", simpler than parsing array literals.
  for (const auto& row :
       tx.exec("SELECT seq, origin, alert_id::text, array_to_string(recipients, ',') "
               "FROM alerts ORDER BY seq")) {
    stored_alert a;
    a.seq = row[0].as<std::uint64_t>();
    a.origin = row[1].as<std::string>();
    a.alert_id = row[2].as<std::string>();
    std::istringstream list(row[3].as<std::string>());
    for (std::string m; std::getline(list, m, ',');) a.recipients.push_back(m);
    std::sort(a.recipients.begin(), a.recipients.end());
    out.alerts.push_back(std::move(a));
  }
  out.log_head = tx.exec1("SELECT last_seq FROM log_head")[0].as<std::uint64_t>();
  return out;
}

std::optional<std::uint64_t> consumer_cursor(const std::string& url, const std::string& principal,
                                             const std::string& name) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  auto r = tx.exec_params("SELECT cursor FROM consumers WHERE principal = $1 AND name = $2",
                          principal, name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::uint64_t>();
}

namespace {
wall from_micros(std::int64_t us) {
  return wall{} + std::chrono::microseconds(us);
}
}  // namespace

std::vector<deadline_row> read_deadline_rows(const std::string& url) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  std::vector<deadline_row> out;
  for (const auto& row : tx.exec("SELECT alert_seq, member, level, closed_at IS NOT NULL "
                                 "FROM read_deadlines ORDER BY alert_seq, member"))
    out.push_back({row[0].as<std::uint64_t>(), row[1].as<std::string>(), row[2].as<std::uint32_t>(),
                   row[3].as<bool>()});
  return out;
}

std::vector<escalation_row> read_escalation_rows(const std::string& url) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  std::vector<escalation_row> out;
  for (const auto& row :
       tx.exec("SELECT (detail::jsonb->>'seq')::bigint, detail::jsonb->>'member', "
               "(detail::jsonb->>'level')::int, "
               "(extract(epoch from (detail::jsonb->>'deadline')::timestamptz) * 1000000)::bigint, "
               "(extract(epoch from at) * 1000000)::bigint "
               "FROM audit_log WHERE action = 'deadline.escalate' ORDER BY id"))
    out.push_back({row[0].as<std::uint64_t>(), row[1].as<std::string>(), row[2].as<std::uint32_t>(),
                   from_micros(row[3].as<std::int64_t>()), from_micros(row[4].as<std::int64_t>())});
  return out;
}

long open_deadlines(const std::string& url) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  return tx.exec1("SELECT count(*) FROM read_deadlines WHERE due_at IS NOT NULL")[0].as<long>();
}

}  // namespace liaison::faults
