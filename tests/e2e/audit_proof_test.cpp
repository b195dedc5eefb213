// Tamper evidence end to end: an independent RFC 9162 verifier (Python,
// standard library only) checks the server's proofs for every tree size from
// 1 to over 200; rows changed or deleted as the database superuser are named
// by GET /v1/audit/verify; and after the tail of the log is cut away,
// `liaison audit verify --head` with a head saved before fails and says why.
#include "crypto/ed25519.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <pqxx/pqxx>

namespace liaison::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class AuditProofTest : public ::testing::Test {
 protected:
  test_database db;
  std::map<std::string, std::string> fast_heads{{"audit.tree_head_every_entries", "5"},
                                                {"audit.tree_head_interval", "\"1s\""}};
  std::unique_ptr<liaisond_process> server =
      std::make_unique<liaisond_process>(db.url(), fast_heads);
  pki::identity auditor_id = identity("auditor");
  partner_client auditor{auditor_id};
  temp_dir dir{"liaison-audit"};

  using result = run_result;

  result run(std::vector<std::string> argv, std::chrono::seconds limit = 120s) {
    return run_to_end(std::move(argv), dir.path(), limit);
  }

  result cli(std::vector<std::string> rest) {
    rest.insert(rest.begin(), {LIAISON_CLI_PATH, "audit", "verify", "--server",
                               server->https_address(), "--id", shared_pki_dir() + "/auditor"});
    return run(std::move(rest));
  }

  json get(const std::string& target) {
    auto r = auditor.http(server->https_address(), "GET", target, std::nullopt,
                          {"Liaison-Justification:tamper-evidence test"});
    auto e = r.first("response");
    EXPECT_EQ(e["status"], 200) << e.dump();
    return json::parse(e["body"].get<std::string>(), nullptr, false);
  }

  // The latest signed head once one covers at least `size` rows.
  json head_of_at_least(std::uint64_t size) {
    json latest;
    EXPECT_TRUE(eventually(
        [&] {
          latest = get("/v1/audit/tree-heads?limit=1")["latest"];
          return latest.is_object() && latest["tree_size"].get<std::uint64_t>() >= size;
        },
        60s))
        << latest.dump();
    return latest;
  }

  void as_superuser(const std::string& sql) {
    pqxx::connection c(db.admin_url());
    pqxx::work tx(c);
    tx.exec("SET LOCAL session_replication_role = replica");  // past the append-only triggers
    tx.exec(sql);
    tx.commit();
  }
};

TEST_F(AuditProofTest, AnIndependentRfc9162VerifierAcceptsEveryProofUpTo200Entries) {
  auto r =
      run({"/usr/bin/python3", std::string(LIAISON_SOURCE_DIR) + "/tests/e2e/rfc9162_check.py",
           "--ca", auditor_id.ca_file, "--cert", auditor_id.cert_file, "--key", auditor_id.key_file,
           "--address", server->https_address(), "--min-size", "210", "--warm-up", "210"},
          600s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto summary = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << r.out;
  EXPECT_GE(summary["tree_size"].get<int>(), 210);
  EXPECT_GE(summary["heads_checked"].get<int>(), 40);
  EXPECT_GE(summary["inclusion_checked"].get<int>(), 600);
  EXPECT_GE(summary["consistency_checked"].get<int>(), 800);
  EXPECT_TRUE(summary["failures"].empty()) << summary.dump(2);
}

TEST_F(AuditProofTest, VerifyNamesAChangedRowAndADeletedRow) {
  head_of_at_least(10);
  auto intact = get("/v1/audit/verify");
  EXPECT_EQ(intact["holds"], true) << intact.dump();
  EXPECT_GE(intact["rows_checked"].get<int>(), 10);

  as_superuser("UPDATE audit_log SET outcome = 'ok', detail = '{}' WHERE id = 4");
  auto changed = get("/v1/audit/verify");
  EXPECT_EQ(changed["holds"], false);
  EXPECT_EQ(changed["break"]["id"], 4);
  EXPECT_EQ(changed["break"]["reason"], "hash_mismatch");
  EXPECT_NE(changed["break"]["message"].get<std::string>().find("row 4"), std::string::npos);
  // The range after the changed row still holds.
  EXPECT_EQ(get("/v1/audit/verify?from=5")["holds"], true);

  as_superuser("DELETE FROM audit_log WHERE id = 7");
  auto deleted = get("/v1/audit/verify?from=5");
  EXPECT_EQ(deleted["holds"], false);
  EXPECT_EQ(deleted["break"]["id"], 7);
  EXPECT_EQ(deleted["break"]["reason"], "gap");
}

TEST_F(AuditProofTest, ACutTailIsCaughtWithAHeadSavedBefore) {
  // An auditor verifies today and keeps the head.
  head_of_at_least(30);
  const auto head_file = dir.path() + "/head.json";
  auto first = cli({"--save-head", head_file});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("signature valid"), std::string::npos) << first.out;
  const auto m = json::parse(read_file(head_file))["tree_size"].get<std::uint64_t>();
  ASSERT_GE(m, 30u);
  EXPECT_EQ(cli({"--head", head_file}).exit_code, 0);

  // A superuser cuts the log back to half and erases every trace of the rest:
  // the chain's head, the tree's leaves and nodes, and the signed heads.
  server->stop();
  const auto k = std::to_string(m / 2);
  as_superuser("DELETE FROM audit_log WHERE id > " + k);
  as_superuser("UPDATE audit_head SET last_id = " + k +
               ", last_hash = (SELECT row_hash FROM audit_log WHERE id = " + k + ")");
  as_superuser("DELETE FROM audit_tree_nodes WHERE (idx + 1) * (1::bigint << level) > " + k);
  as_superuser("UPDATE audit_tree_state SET tree_size = " + k +
               ", last_row_hash = (SELECT row_hash FROM audit_log WHERE id = " + k + ")");
  as_superuser("DELETE FROM tree_heads WHERE tree_size > " + k);
  server = std::make_unique<liaisond_process>(db.url(), fast_heads);

  // The hash chain alone holds: the cut was careful.
  EXPECT_EQ(get("/v1/audit/verify")["holds"], true);
  // Today's head is smaller than the saved one: the CLI says so and fails.
  head_of_at_least(m / 2 + 1);
  auto smaller = cli({"--head", head_file});
  EXPECT_EQ(smaller.exit_code, 3) << smaller.out << smaller.err;
  EXPECT_NE(smaller.err.find("FAILED"), std::string::npos) << smaller.err;
  EXPECT_NE(smaller.err.find("removed"), std::string::npos) << smaller.err;

  // Once the log has grown past the saved size, the new history is not an
  // extension of the saved one: the consistency proof fails.
  head_of_at_least(m + 5);
  auto rewritten = cli({"--head", head_file});
  EXPECT_EQ(rewritten.exit_code, 3) << rewritten.out << rewritten.err;
  EXPECT_NE(rewritten.err.find("NOT consistent"), std::string::npos) << rewritten.err;
  // Without the saved head nothing looks wrong: keeping heads is what makes truncation evident.
  EXPECT_EQ(cli({}).exit_code, 0);
}

TEST_F(AuditProofTest, OneVerifyBridgesARotationOfTheTreeHeadKey) {
  // An auditor saves a head signed with today's key.
  head_of_at_least(10);
  const auto old_key = shared_pki_dir() + "/server/audit-signing-key.pub.pem";
  const auto head_file = dir.path() + "/before-rotation.json";
  auto before = cli({"--save-head", head_file});
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  const auto saved = json::parse(read_file(head_file));

  // The operator rotates the key (runbook 8D): a new key, a restart.
  auto next = crypto::ed25519_private_key::generate();
  const auto new_private = dir.path() + "/audit-signing-key-2.pem";
  const auto new_public = dir.path() + "/audit-signing-key-2.pub.pem";
  write_file(new_private, next.to_pem());
  write_file(new_public, crypto::public_key_to_pem(next.public_key()));
  ::chmod(new_private.c_str(), 0600);
  server->stop();
  auto rotated = fast_heads;
  rotated["audit.signing_key_file"] = "\"" + new_private + "\"";
  server = std::make_unique<liaisond_process>(db.url(), rotated);
  // Wait for a head signed with the new key.
  json latest;
  ASSERT_TRUE(eventually(
      [&] {
        latest = get("/v1/audit/tree-heads?limit=1")["latest"];
        return latest.is_object() && latest["key_id"] != saved["key_id"];
      },
      60s))
      << latest.dump();

  // With both public keys, one run checks today's head with the new key, the
  // saved head with the old one, and that today's tree extends the saved one.
  auto both = cli({"--server-key", old_key, "--server-key", new_public, "--head", head_file});
  ASSERT_EQ(both.exit_code, 0) << both.out << both.err;
  EXPECT_NE(both.out.find("saved tree head: "), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("(key " + saved["key_id"].get<std::string>() + ")"), std::string::npos)
      << both.out;
  EXPECT_NE(both.out.find("(key " + latest["key_id"].get<std::string>() + ")"), std::string::npos)
      << both.out;
  EXPECT_NE(both.out.find("consistent: today's tree extends the saved head"), std::string::npos)
      << both.out;
  // With the new key only, the saved head cannot be checked: FAILED, naming
  // the key it needs.
  auto only_new = cli({"--server-key", new_public, "--head", head_file});
  EXPECT_EQ(only_new.exit_code, 3) << only_new.out << only_new.err;
  EXPECT_NE(only_new.err.find(saved["key_id"].get<std::string>()), std::string::npos)
      << only_new.err;
  // With the old key only, today's head fails the same way.
  auto only_old = cli({"--server-key", old_key});
  EXPECT_EQ(only_old.exit_code, 3) << only_old.out << only_old.err;
  EXPECT_NE(only_old.err.find("none of --server-key"), std::string::npos) << only_old.err;
}

TEST_F(AuditProofTest, RowsRewrittenUnderTheTreeAreCaughtByTheCli) {
  // A careless forger rewrites the newest rows but leaves the tree alone.
  const auto n = head_of_at_least(12)["tree_size"].get<std::uint64_t>();
  as_superuser("UPDATE audit_log SET subject = 'nothing to see' WHERE id >= " +
               std::to_string(n - 3));
  auto r = cli({"--samples", "0"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("changed or replaced"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace liaison::testing
