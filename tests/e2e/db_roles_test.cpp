// liaisond serves only with a database role that cannot rewrite the record:
// started with the owner role (or the superuser) it refuses, naming why and
// what to do; a development flag lets it serve anyway, with a warning.
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace liaison::testing {
namespace {

TEST(DbRolesTest, TheServerRefusesARoleThatCouldRewriteTheRecord) {
  test_database db;
  for (const auto& url : {db.owner_url(), db.admin_url()}) {
    try {
      liaisond_process server(url, {{"database.owner_url", nlohmann::json(db.owner_url()).dump()}});
      FAIL() << "liaisond served with " << url;
    } catch (const std::runtime_error& e) {
      const std::string log = e.what();
      EXPECT_NE(log.find("could change or remove what the server has written"), std::string::npos)
          << log;
      EXPECT_NE(log.find(url == db.owner_url() ? "owns the table audit_log" : "is a superuser"),
                std::string::npos)
          << log;
      EXPECT_NE(log.find("liaisond migrate"), std::string::npos) << log;
    }
  }
}

TEST(DbRolesTest, TheDevelopmentFlagServesAnywayAndSaysSo) {
  test_database db;
  liaisond_process server(db.owner_url(),
                          {{"database.allow_privileged_role", "true"},
                           {"database.owner_url", nlohmann::json(db.owner_url()).dump()}});
  EXPECT_NE(server.log().find("serving anyway: database.allow_privileged_role = true"),
            std::string::npos)
      << server.log();
}

TEST(DbRolesTest, TheRuntimeRoleServes) {
  test_database db;
  liaisond_process server(db.url());
  EXPECT_EQ(server.log().find("could change or remove"), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("holds the privileges it needs, and no more"), std::string::npos)
      << server.log();
}

}  // namespace
}  // namespace liaison::testing
