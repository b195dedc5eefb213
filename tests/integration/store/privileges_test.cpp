// The server's database role cannot rewrite the record: it owns nothing and
// holds INSERT and SELECT on the append-only tables, so that changing,
// removing, disabling a trigger or granting itself more all fail, whatever a
// bug or an intruder in the server asks. Against a real PostgreSQL.
#include "store/privileges.hpp"
#include "integration/store/store_fixture.hpp"

#include <gmock/gmock.h>

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

class PrivilegesTest : public store_test {
 protected:
  void SetUp() override {
    store_test::SetUp();
    auto writer = start_writer();
    ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  }

  // The error of `sql` run as the server's runtime role, or "" if it
  // succeeded (and was rolled back).
  std::string error_as_runtime(const std::string& sql) {
    try {
      pqxx::connection c(db_->url());
      pqxx::work tx(c);
      tx.exec(sql);
      return "";
    } catch (const pqxx::sql_error& e) {
      return e.what();
    }
  }
  // PostgreSQL's words for a missing privilege or ownership.
  static bool denied(const std::string& error) {
    return error.find("permission denied") != std::string::npos ||
           error.find("must be owner") != std::string::npos;
  }
  // A trigger of `table` ("" if it has none), looked up as the superuser.
  std::string trigger_of(const std::string& table) {
    return admin_value("SELECT coalesce(min(tgname), '') FROM pg_trigger WHERE tgrelid = '" +
                       table + "'::regclass AND NOT tgisinternal");
  }
};

TEST_F(PrivilegesTest, TheRuntimeRoleCannotChangeRemoveOrUnprotectTheAppendOnlyTables) {
  for (const auto& table : store::append_only_tables()) {
    const auto column = admin_value("SELECT attname FROM pg_attribute WHERE attrelid = '" + table +
                                    "'::regclass AND attnum = 1");
    std::vector<std::string> attempts = {
        "UPDATE " + table + " SET " + column + " = " + column,
        "DELETE FROM " + table,
        "TRUNCATE " + table + " CASCADE",
        "ALTER TABLE " + table + " DISABLE TRIGGER ALL",
        "ALTER TABLE " + table + " OWNER TO CURRENT_USER",
        "CREATE TRIGGER sneaky BEFORE INSERT ON " + table +
            " FOR EACH ROW EXECUTE FUNCTION log_reject_change()",
    };
    if (auto trigger = trigger_of(table); !trigger.empty())
      attempts.push_back("DROP TRIGGER " + trigger + " ON " + table);
    for (const auto& sql : attempts) EXPECT_TRUE(denied(error_as_runtime(sql))) << sql;
  }
  // Nothing was changed by any of it; every trigger is still there.
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "1");
  EXPECT_EQ(admin_value("SELECT count(*) FROM audit_log"), "1");
  EXPECT_EQ(
      admin_value("SELECT count(*) FROM pg_trigger WHERE tgenabled = 'O' AND NOT tgisinternal"),
      "14");
}

TEST_F(PrivilegesTest, GrantingItselfMoreHasNoEffect) {
  // A non-owner's GRANT is only a warning ("no privileges were granted").
  for (const auto& table : store::append_only_tables()) {
    EXPECT_EQ(error_as_runtime("GRANT UPDATE, DELETE, TRUNCATE ON " + table + " TO CURRENT_USER"),
              "")
        << table;
    pqxx::connection c(db_->url());
    pqxx::nontransaction tx(c);
    EXPECT_FALSE(tx.exec_params1("SELECT has_table_privilege($1, 'UPDATE') OR "
                                 "has_table_privilege($1, 'DELETE') OR "
                                 "has_table_privilege($1, 'TRUNCATE')",
                                 table)[0]
                     .as<bool>())
        << table;
  }
  EXPECT_TRUE(denied(error_as_runtime("DELETE FROM audit_log")));
}

TEST_F(PrivilegesTest, TheMovingRowsMayMoveButNotBeRemoved) {
  EXPECT_EQ(error_as_runtime("UPDATE log_head SET last_seq = last_seq"), "");
  EXPECT_EQ(error_as_runtime("UPDATE consumers SET cursor = cursor"), "");
  EXPECT_TRUE(denied(error_as_runtime("DELETE FROM log_head")));
  EXPECT_TRUE(denied(error_as_runtime("DELETE FROM consumers")));
  EXPECT_TRUE(denied(error_as_runtime("TRUNCATE consumers")));
}

TEST_F(PrivilegesTest, TheStartUpCheckTellsTheRuntimeRoleFromAPrivilegedOne) {
  // The runtime role as `liaisond migrate` leaves it: nothing to object to.
  EXPECT_THAT(store::runtime_role_problems(db_->url()), ::testing::IsEmpty());
  // The owner could rewrite the record: it owns every table.
  auto owner = store::runtime_role_problems(db_->owner_url());
  EXPECT_THAT(owner, ::testing::Contains(HasSubstr("it owns the table audit_log")));
  // So could the superuser.
  EXPECT_THAT(store::runtime_role_problems(db_->admin_url()),
              ::testing::Contains(HasSubstr("is a superuser")));
  // And a runtime role that was given UPDATE on the audit log.
  {
    pqxx::connection c(db_->owner_url());
    pqxx::work tx(c);
    tx.exec("GRANT UPDATE, DELETE ON audit_log TO liaison");
    tx.commit();
  }
  EXPECT_THAT(store::runtime_role_problems(db_->url()),
              ::testing::Contains("it holds UPDATE, DELETE on audit_log"));
  // Migrating again puts it right.
  store::grant_runtime_privileges(db_->owner_url(), "liaison");
  EXPECT_THAT(store::runtime_role_problems(db_->url()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace liaison::testing
