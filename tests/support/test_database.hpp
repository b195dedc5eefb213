// A fresh, migrated PostgreSQL database for one test, on the server named by
// the LIAISON_TEST_DB environment variable (a superuser URL such as
// postgresql://postgres@127.0.0.1:55432/postgres; deploy/test.sh starts one).
#pragma once

#include "config/server_config.hpp"

#include <string>

namespace liaison::testing {

class test_database {
 public:
  // Ensures the roles `liaison_owner` and `liaison` (LOGIN, NOSUPERUSER)
  // exist, creates a uniquely named database owned by `liaison_owner` and,
  // if `migrate`, applies the bundled migrations as the owner and grants the
  // runtime role `liaison` its privileges, as `liaisond migrate` does.
  // Throws std::runtime_error (failing the test, never skipping it) when
  // LIAISON_TEST_DB is unset or unusable.
  explicit test_database(bool migrate = true);
  // Drops the database, terminating any connection left on it.
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const { return name_; }
  // libpq connection strings for this database: as the runtime role
  // `liaison` (what liaisond serves with), as the owner `liaison_owner`, and
  // as the superuser.
  const std::string& url() const { return url_; }
  const std::string& owner_url() const { return owner_url_; }
  const std::string& admin_url() const { return admin_url_; }

  // A [database] section for url() with short back-off, for fast tests.
  config::database_section section() const;

 private:
  void drop() noexcept;

  std::string server_url_;  // LIAISON_TEST_DB
  std::string name_;
  std::string url_;
  std::string owner_url_;
  std::string admin_url_;
};

// The owner role's URL of a database that test_database made, from its
// runtime URL (url()); `url` itself when it is not one of those.
std::string owner_url_for(const std::string& url);

// `url` (a libpq URI or key=value string) with its database and, when not
// empty, its user replaced.
std::string with_database(const std::string& url, const std::string& dbname,
                          const std::string& user = {});

}  // namespace liaison::testing
