#include "support/test_database.hpp"

#include "store/migrations.hpp"
#include "store/privileges.hpp"

#include <pqxx/pqxx>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace liaison::testing {
namespace {

std::string server_url_from_env() {
  const char* url = std::getenv("LIAISON_TEST_DB");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
        "LIAISON_TEST_DB is not set: run deploy/test.sh, which starts a throwaway PostgreSQL");
  return url;
}

std::string unique_name() {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  return "liaison_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(random() % 1000000);
}

}  // namespace

std::string with_database(const std::string& url, const std::string& dbname,
                          const std::string& user) {
  const bool is_uri = url.starts_with("postgresql://") || url.starts_with("postgres://");
  if (!is_uri) {
    // key=value form: a later keyword overrides an earlier one.
    std::string out = url + " dbname=" + dbname;
    if (!user.empty()) out += " user=" + user;
    return out;
  }
  // scheme://[userinfo@]hosts[/dbname][?params]
  const auto scheme_end = url.find("://") + 3;
  const auto authority_end = url.find_first_of("/?", scheme_end);
  std::string authority = url.substr(scheme_end, authority_end - scheme_end);
  std::string params;
  if (authority_end != std::string::npos) {
    const auto query = url.find('?', authority_end);
    if (query != std::string::npos) params = url.substr(query);
  }
  if (!user.empty()) {
    const auto at = authority.rfind('@');
    authority = user + "@" + (at == std::string::npos ? authority : authority.substr(at + 1));
  }
  return url.substr(0, scheme_end) + authority + "/" + dbname + params;
}

std::string owner_url_for(const std::string& url) {
  const std::string runtime = "://liaison@", owner = "://liaison_owner@";
  auto at = url.find(runtime);
  if (at == std::string::npos) return url;
  return url.substr(0, at) + owner + url.substr(at + runtime.size());
}

test_database::test_database(bool migrate)
    : server_url_(server_url_from_env()), name_(unique_name()) {
  {
    pqxx::connection admin(server_url_);
    pqxx::nontransaction tx(admin);
    // Several test binaries may race to create the roles.
    for (const char* role : {"liaison", "liaison_owner"})
      tx.exec(std::string("DO $$ BEGIN "
                          "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") +
              role +
              "') THEN "
              "    CREATE ROLE " +
              role +
              " LOGIN NOSUPERUSER; "
              "  END IF; "
              "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
              "END $$");
    tx.exec("CREATE DATABASE " + tx.quote_name(name_) + " OWNER liaison_owner");
  }
  url_ = with_database(server_url_, name_, "liaison");
  owner_url_ = with_database(server_url_, name_, "liaison_owner");
  admin_url_ = with_database(server_url_, name_);
  if (!migrate) return;
  try {
    store::apply_migrations(owner_url_);
    store::grant_runtime_privileges(owner_url_, "liaison");
  } catch (...) {
    drop();
    throw;
  }
}

test_database::~test_database() {
  drop();
}

void test_database::drop() noexcept {
  try {
    pqxx::connection admin(server_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // Leave it; the throwaway cluster goes away with the test run.
  }
}

config::database_section test_database::section() const {
  config::database_section s;
  s.url = url_;
  s.reconnect_min = std::chrono::milliseconds(20);
  s.reconnect_max = std::chrono::milliseconds(200);
  return s;
}

}  // namespace liaison::testing
