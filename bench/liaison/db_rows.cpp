#include "liaison/db_rows.hpp"

#include <pqxx/pqxx>

namespace liaison::bench {

struct db_rows::impl {
  explicit impl(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

db_rows::db_rows(const std::string& url) : impl_(std::make_unique<impl>(url)) {}
db_rows::~db_rows() = default;

db_rows::counts db_rows::read() {
  pqxx::nontransaction tx(impl_->conn);
  auto row = tx.exec1(
      "SELECT (SELECT last_seq FROM log_head), (SELECT count(*) FROM alert_recipients), "
      "(SELECT last_id FROM audit_head)");
  return {row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>()};
}

std::uint64_t db_rows::publish_batches(std::uint64_t after_seq, std::uint64_t up_to) {
  pqxx::nontransaction tx(impl_->conn);
  return tx
      .exec_params1("SELECT count(DISTINCT received_at) FROM alerts WHERE seq > $1 AND seq <= $2",
                    after_seq, up_to)[0]
      .as<std::uint64_t>();
}

std::string db_rows::describe(const counts& from, const counts& to) {
  return std::to_string(to.alerts - from.alerts) + " alerts + " +
         std::to_string(to.recipients - from.recipients) + " recipients + " +
         std::to_string(to.audit - from.audit) + " audit rows";
}

}  // namespace liaison::bench
