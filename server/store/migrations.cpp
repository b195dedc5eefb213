#include "store/migrations.hpp"

#include "store/detail/db.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <stdexcept>

namespace liaison::store {
namespace {

// Every node takes this transaction-scoped advisory lock before looking at
// schema_migrations, so concurrent start-ups apply each migration once.
constexpr long long migration_lock_key = 0x6c69616973'6f6e;  // "liaison"

constexpr const char* create_record_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";

// number -> name of the migrations recorded as applied.
std::map<int, std::string> recorded(pqxx::transaction_base& tx) {
  std::map<int, std::string> out;
  auto exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return out;
  for (const auto& row : tx.exec("SELECT number, name FROM schema_migrations"))
    out.emplace(row[0].as<int>(), row[1].c_str());
  return out;
}

}  // namespace

std::vector<std::string> apply_migrations(const std::string& url) {
  std::vector<std::string> applied;
  std::string current = "(connecting)";  // the file being applied, for errors
  try {
    detail::session db(url, "liaisond migrations");
    for (const migration& m : bundled_migrations()) {
      current = m.name;
      // Each migration and its record commit together, or not at all.
      pqxx::work tx(db.conn());
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
      tx.exec(create_record_table);
      auto done = recorded(tx);
      if (auto it = done.find(m.number); it != done.end()) {
        if (it->second != m.name)
          throw std::runtime_error("migration " + std::to_string(m.number) + " is recorded as '" +
                                   it->second + "' but this build has '" + m.name +
                                   "': a landed migration must never change");
        continue;  // the transaction rolls back: nothing to do
      }
      // A migration over a large log can take minutes: say which one runs.
      spdlog::info("applying migration {} ({} of {})...", m.name, m.number,
                   bundled_migrations().size());
      const auto started = std::chrono::steady_clock::now();
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (number, name) VALUES ($1, $2)", m.number,
                     m.name);
      tx.commit();
      spdlog::info(
          "applied migration {} in {:.1f} s", m.name,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      applied.push_back(m.name);
    }
    current = "(checking)";
    pqxx::nontransaction tx(db.conn());
    auto done = recorded(tx);
    if (!done.empty() && done.rbegin()->first > static_cast<int>(bundled_migrations().size()))
      spdlog::warn("the database has migration {} which this build does not know: it is newer",
                   done.rbegin()->second);
  } catch (const pqxx::pqxx_exception& e) {
    std::string what = e.base().what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    throw std::runtime_error("migrations/" + current + ".sql failed: " + what);
  }
  return applied;
}

bool migrations_current(const std::string& url) {
  try {
    detail::session db(url, "liaisond readiness");
    pqxx::nontransaction tx(db.conn());
    auto done = recorded(tx);
    for (const migration& m : bundled_migrations()) {
      auto it = done.find(m.number);
      if (it == done.end() || it->second != m.name) return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace liaison::store
