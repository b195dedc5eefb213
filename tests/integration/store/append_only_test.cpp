#include "integration/store/store_fixture.hpp"

#include <gmock/gmock.h>

namespace liaison::testing {
namespace {

class AppendOnlyTest : public store_test {
 protected:
  void SetUp() override {
    store_test::SetUp();
    auto writer = start_writer();
    ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  }

  // The error message of `sql` run as the user of `url`, or "" if it succeeded.
  static std::string refusal(const std::string& url, const std::string& sql) {
    try {
      pqxx::connection c(url);
      pqxx::work tx(c);
      tx.exec(sql);
      tx.commit();
      return "";
    } catch (const pqxx::sql_error& e) {
      return e.what();
    }
  }
};

using ::testing::HasSubstr;

TEST_F(AppendOnlyTest, TheServerRoleHasNoPrivilegeToRewriteTheAuditLog) {
  for (const char* sql :
       {"UPDATE audit_log SET outcome = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"})
    EXPECT_THAT(refusal(db_->url(), sql), HasSubstr("permission denied")) << sql;
  EXPECT_EQ(admin_value("SELECT count(*) FROM audit_log"), "1");
}

TEST_F(AppendOnlyTest, EvenTheSuperuserIsStoppedByTheAuditTrigger) {
  for (const char* sql :
       {"UPDATE audit_log SET outcome = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"})
    EXPECT_THAT(refusal(db_->admin_url(), sql), HasSubstr("append-only")) << sql;
  EXPECT_EQ(admin_value("SELECT outcome FROM audit_log"), "ok");
}

TEST_F(AppendOnlyTest, AlertsAndRecipientsCannotBeChangedOrRemoved) {
  // The server's role has no privilege to; the owner and even the superuser
  // are stopped by the triggers.
  for (const auto& url : {db_->url(), db_->owner_url(), db_->admin_url()}) {
    for (const char* sql : {"UPDATE alerts SET subject = 'forged'", "DELETE FROM alerts",
                            "TRUNCATE alerts CASCADE", "UPDATE alert_recipients SET member = 'XX'",
                            "DELETE FROM alert_recipients", "TRUNCATE alert_recipients"})
      EXPECT_THAT(refusal(url, sql),
                  url == db_->url() ? HasSubstr("permission denied") : HasSubstr("append-only"))
          << sql;
  }
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "1");
  EXPECT_EQ(admin_value("SELECT count(*) FROM alert_recipients"), "2");
}

TEST_F(AppendOnlyTest, TheLogHeadCannotBeDuplicated) {
  EXPECT_NE(refusal(db_->url(), "INSERT INTO log_head VALUES (false, 5)"), "");
  EXPECT_NE(refusal(db_->url(), "INSERT INTO audit_head VALUES (true, 5, '\\x00')"), "");
}

}  // namespace
}  // namespace liaison::testing
