#include "store/privileges.hpp"

#include "store/detail/db.hpp"

#include <map>
#include <set>
#include <stdexcept>

namespace liaison::store {
namespace {

// Table -> the privileges the runtime role holds on it, and nothing more.
const std::map<std::string, std::string>& runtime_grants() {
  static const std::map<std::string, std::string> grants = {
      {"alerts", "SELECT, INSERT"},
      {"alert_recipients", "SELECT, INSERT"},
      {"audit_log", "SELECT, INSERT"},
      {"audit_tree_nodes", "SELECT, INSERT"},
      {"tree_heads", "SELECT, INSERT"},
      {"alert_search", "SELECT, INSERT"},
      {"alert_events", "SELECT, INSERT"},
      {"ack_ranges", "SELECT, INSERT"},
      {"receipts", "SELECT, INSERT"},
      {"notices", "SELECT, INSERT"},
      // Rows that move: the heads are locked (FOR UPDATE) and advanced.
      {"log_head", "SELECT, UPDATE"},
      {"audit_head", "SELECT, UPDATE"},
      {"audit_tree_state", "SELECT, UPDATE"},
      {"history_index_state", "SELECT, UPDATE"},
      {"consumers", "SELECT, INSERT, UPDATE"},
      // Deadlines escalate and close; presence rows are refreshed.
      {"read_deadlines", "SELECT, INSERT, UPDATE"},
      {"presence", "SELECT, INSERT, UPDATE"},
      {"member_presence", "SELECT, INSERT, UPDATE"},
      {"schema_migrations", "SELECT"},
  };
  return grants;
}

std::string what_failed() {
  return detail::classify_current_exception(false).what;
}

}  // namespace

const std::vector<std::string>& append_only_tables() {
  static const std::vector<std::string> tables = {
      "alerts",       "alert_recipients", "audit_log",  "audit_tree_nodes", "tree_heads",
      "alert_search", "alert_events",     "ack_ranges", "receipts",         "notices"};
  return tables;
}

std::string role_of(const std::string& url) {
  try {
    detail::session db(url, "liaisond role check");
    pqxx::nontransaction tx(db.conn());
    return tx.exec1("SELECT current_user")[0].as<std::string>();
  } catch (...) {
    throw std::runtime_error("cannot connect to the database to learn its role: " + what_failed());
  }
}

void grant_runtime_privileges(const std::string& owner_url, const std::string& runtime_role) {
  try {
    detail::session db(owner_url, "liaisond migrations");
    pqxx::work tx(db.conn());
    const auto role = tx.quote_name(runtime_role);
    tx.exec("GRANT USAGE ON SCHEMA public TO " + role);
    for (const auto& [table, privileges] : runtime_grants()) {
      const auto t = tx.quote_name(table);
      tx.exec("REVOKE ALL ON " + t + " FROM " + role);
      tx.exec("GRANT " + privileges + " ON " + t + " TO " + role);
    }
    tx.commit();
  } catch (...) {
    throw std::runtime_error("cannot grant the runtime role '" + runtime_role +
                             "' its privileges: " + what_failed());
  }
}

std::vector<std::string> runtime_role_problems(const std::string& url) {
  std::vector<std::string> problems;
  try {
    detail::session db(url, "liaisond role check");
    pqxx::read_transaction tx(db.conn());
    auto role = tx.exec1(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user");
    const auto name = role[0].as<std::string>();
    if (role[1].as<bool>()) problems.push_back("the role '" + name + "' is a superuser");
    if (role[2].as<bool>()) problems.push_back("the role '" + name + "' bypasses row security");
    const std::set<std::string> append_only(append_only_tables().begin(),
                                            append_only_tables().end());
    for (const auto& row :
         tx.exec("SELECT c.relname, pg_get_userbyid(c.relowner) = current_user, "
                 "has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'), "
                 "has_table_privilege(c.oid, 'TRUNCATE'), has_table_privilege(c.oid, 'TRIGGER') "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname")) {
      const auto table = row[0].as<std::string>();
      if (row[1].as<bool>()) {
        problems.push_back("it owns the table " + table);
        continue;
      }
      std::vector<std::string> held;
      if (append_only.contains(table) && row[2].as<bool>()) held.push_back("UPDATE");
      if (row[3].as<bool>()) held.push_back("DELETE");
      if (row[4].as<bool>()) held.push_back("TRUNCATE");
      if (row[5].as<bool>()) held.push_back("TRIGGER");
      if (!held.empty()) {
        std::string list;
        for (const auto& h : held) list += (list.empty() ? "" : ", ") + h;
        problems.push_back("it holds " + list + " on " + table);
      }
    }
  } catch (...) {
    throw std::runtime_error("cannot check the privileges of the database role: " + what_failed());
  }
  return problems;
}

}  // namespace liaison::store
