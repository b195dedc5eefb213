// Revocation end to end: a certificate listed in the CRL (reloaded on SIGHUP)
// loses its open connections and cannot connect again; TLS session resumption
// cannot bypass it; a signing key marked revoked in members.toml stops
// verifying from the reload on.
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "pki/authority.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

namespace liaison::testing {
namespace {

using json = nlohmann::json;

namespace v1 = liaison::v1;
using namespace std::chrono_literals;

class RevocationTest : public ::testing::Test {
 protected:
  test_database db;
  temp_dir dir{"revocation"};
  pki::authority ca = pki::authority::load(read_file(shared_pki_dir() + "/ca/ca.pem"),
                                           read_file(shared_pki_dir() + "/ca/ca.key"));
  std::string crl_file = dir.path() + "/crl.pem";
  std::string members_file = dir.path() + "/members.toml";
  pki::identity at_desk = identity("AT/desk");
  pki::identity second_at;  // another certificate for AT.desk, the one to revoke
  std::string second_cert_pem;
  std::unique_ptr<liaisond_process> server;

  void SetUp() override {
    auto now = std::chrono::system_clock::now();
    auto issued =
        ca.issue({"AT.desk", {}, {}, pki::certificate_usage::client, now - 1h, now + 24h});
    second_cert_pem = issued.cert_pem;
    std::ofstream(dir.path() + "/cert.pem") << issued.cert_pem;
    std::ofstream(dir.path() + "/key.pem") << issued.key_pem;
    second_at = at_desk;
    second_at.cert_file = dir.path() + "/cert.pem";
    second_at.key_file = dir.path() + "/key.pem";
    write_crl({});
    std::filesystem::copy_file(std::string(LIAISON_SOURCE_DIR) + "/config/members.toml",
                               members_file);
    server = std::make_unique<liaisond_process>(
        db.url(),
        std::map<std::string, std::string>{{"tls.crl_file", "\"" + crl_file + "\""},
                                           {"registry.members_file", "\"" + members_file + "\""}});
  }

  void write_crl(const std::vector<std::string>& revoked) {
    std::ofstream(crl_file + ".tmp")
        << ca.issue_crl(revoked, std::chrono::system_clock::now() + 24h);
    std::filesystem::rename(crl_file + ".tmp", crl_file);
  }

  client::connect_options options() const { return {server->native_address(), 10s, "e2e"}; }

  // The newest config.reload audit row's outcome and detail, once there are `n`.
  std::pair<std::string, std::string> reload_row(long n) {
    std::pair<std::string, std::string> row;
    bool found = eventually(
        [&] {
          pqxx::connection c(db.url());
          pqxx::work tx(c);
          auto r = tx.exec(
              "SELECT outcome, detail FROM audit_log WHERE action = 'config.reload' ORDER BY id");
          if (static_cast<long>(r.size()) < n) return false;
          row = {r[n - 1][0].as<std::string>(), r[n - 1][1].as<std::string>()};
          return true;
        },
        20s);
    EXPECT_TRUE(found) << "no config.reload audit row; server log:\n" << server->log();
    return row;
  }
};

TEST_F(RevocationTest, RevokedCertificateLosesItsConnectionAndCannotReconnect) {
  // Step 1: both AT.desk certificates work.
  client::native_client doomed(second_at, options());
  client::native_client other(at_desk, options());
  ASSERT_TRUE(doomed.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "before")), 10s)
                  .has_publish_result());

  // Step 2: the operator revokes the second certificate and reloads.
  write_crl({second_cert_pem});
  server->signal(SIGHUP);
  auto [outcome, detail] = reload_row(1);
  EXPECT_EQ(outcome, "ok");
  EXPECT_NE(detail.find("\"revoked_certificates\":1"), std::string::npos) << detail;
  EXPECT_NE(detail.find("AT.desk"), std::string::npos) << detail;

  // Step 3: its open connection is closed...
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) doomed.receive(100ms);
      },
      client::client_error);
  // ...and it cannot connect again.
  try {
    client::native_client again(second_at, options());
    FAIL() << "a revoked certificate connected";
  } catch (const client::client_error& e) {
    SUCCEED() << e.what();
  }
  // Step 4: the other certificate of the same principal carries on.
  EXPECT_TRUE(
      other.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "after")), 10s).has_publish_result());
}

TEST_F(RevocationTest, SessionResumptionIsNeverOffered) {
  partner_client desk(at_desk);
  auto r = desk.resume(server->native_address());
  auto connected = r.all("connected");
  ASSERT_EQ(connected.size(), 2u) << r.stderr_text;
  EXPECT_FALSE(connected[0]["ticket"].get<bool>()) << "the server issued a session ticket";
  EXPECT_FALSE(connected[1]["reused"].get<bool>()) << "the server resumed a session";
}

TEST_F(RevocationTest, RevokedSigningKeyStopsVerifyingAfterReload) {
  client::native_client conn(at_desk, options());
  ASSERT_TRUE(conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "key still valid")), 10s)
                  .has_publish_result());
  // The operator marks AT-1 revoked in members.toml and reloads.
  auto text = read_file(members_file);
  text = std::regex_replace(
      text,
      std::regex("(id = \"AT-1\"\\s*\\nmember = \"AT\"\\s*\\npublic_key_file = \"AT-1.pub.pem\")"),
      "$1\nrevoked = true");
  ASSERT_NE(text.find("revoked = true"), std::string::npos);
  std::ofstream(members_file) << text;
  server->signal(SIGHUP);
  EXPECT_EQ(reload_row(1).first, "ok");
  // The same, open connection: the next alert signed with AT-1 is refused.
  auto answer = conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "key revoked")), 10s);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::BAD_SIGNATURE);
  EXPECT_NE(answer.error().message().find("revoked"), std::string::npos);
}

TEST_F(RevocationTest, BrokenReloadKeepsTheCurrentConfiguration) {
  std::ofstream(members_file) << "[[members]]\ncode = \n";
  server->signal(SIGHUP);
  EXPECT_EQ(reload_row(1).first, "INVALID_ARGUMENT");
  client::native_client conn(at_desk, options());
  EXPECT_TRUE(conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "still fine")), 10s)
                  .has_publish_result());
}

TEST_F(RevocationTest, AnOverdueCrlIsRefusedByAReloadAndByAStart) {
  // OpenSSL fails every handshake with a CRL past its nextUpdate: a reload
  // keeps the current list, and the desks keep connecting.
  const auto now = std::chrono::system_clock::now();
  std::ofstream(crl_file + ".tmp") << ca.issue_crl({}, now - 1h, now - 2h);
  std::filesystem::rename(crl_file + ".tmp", crl_file);
  server->signal(SIGHUP);
  auto [outcome, detail] = reload_row(1);
  EXPECT_EQ(outcome, "INVALID_ARGUMENT");
  EXPECT_NE(detail.find("was due for renewal"), std::string::npos) << detail;
  client::native_client conn(at_desk, options());
  EXPECT_TRUE(conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "CRL kept")), 10s)
                  .has_publish_result());
  // A start with it is refused with the reason.
  try {
    liaisond_process refused(db.url(), {{"tls.crl_file", "\"" + crl_file + "\""}});
    FAIL() << "liaisond started with an overdue CRL";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("was due for renewal"), std::string::npos) << e.what();
  }
}

TEST_F(RevocationTest, ReadinessFailsOnceTheCrlFallsDue) {
  // A CRL due in a few seconds is still current: the reload takes it.
  const auto due = std::chrono::system_clock::now() + 4s;
  std::ofstream(crl_file + ".tmp") << ca.issue_crl({}, due);
  std::filesystem::rename(crl_file + ".tmp", crl_file);
  server->signal(SIGHUP);
  EXPECT_EQ(reload_row(1).first, "ok");
  partner_client anonymous(at_desk, /*with_certificate=*/false);
  auto ready = [&] {
    return anonymous.http(server->https_address(), "GET", "/readyz").first("response");
  };
  EXPECT_EQ(ready()["status"], 200);
  // Once it is due, every client handshake fails: the node says it cannot serve.
  json answer;
  ASSERT_TRUE(eventually(
      [&] {
        answer = ready();
        return answer["status"] == 503;
      },
      60s))
      << answer.dump();
  auto body = json::parse(answer["body"].get<std::string>());
  EXPECT_EQ(body["status"], "not ready");
  EXPECT_EQ(body["database"], "up");
  EXPECT_NE(body["tls"].get<std::string>().find("CRL is past its nextUpdate"), std::string::npos)
      << body;
}

}  // namespace
}  // namespace liaison::testing
