// A fresh, migrated PostgreSQL database for one test, on the server named by
// the LIAISON_TEST_DB environment variable (a superuser URL such as
// postgresql://postgres@127.0.0.1:55432/postgres; deploy/test.sh starts one).
#pragma once

#include "config/server_config.hpp"

#include <string>

namespace liaison::testing {

class test_database {
 public:
  // Ensures the role `liaison` (LOGIN, NOSUPERUSER) exists, creates a
  // uniquely named database owned by it and, if `migrate`, applies the
  // bundled migrations as `liaison`. Throws std::runtime_error (failing the
  // test, never skipping it) when LIAISON_TEST_DB is unset or unusable.
  explicit test_database(bool migrate = true);
  // Drops the database, terminating any connection left on it.
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const { return name_; }
  // libpq connection strings for this database: as `liaison`, and as the superuser.
  const std::string& url() const { return url_; }
  const std::string& admin_url() const { return admin_url_; }

  // A [database] section for url() with short back-off, for fast tests.
  config::database_section section() const;

 private:
  void drop() noexcept;

  std::string server_url_;  // LIAISON_TEST_DB
  std::string name_;
  std::string url_;
  std::string admin_url_;
};

// `url` (a libpq URI or key=value string) with its database and, when not
// empty, its user replaced.
std::string with_database(const std::string& url, const std::string& dbname,
                          const std::string& user = {});

}  // namespace liaison::testing
