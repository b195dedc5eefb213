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

}  // namespace liaison::faults
