// The operators' view end to end: who is connected, every durable consumer
// with its cursor and what waits for it, each member's state, over HTTPS and
// with `liaison admin`; for the admin principal only. And the
// commit-to-delivery histogram that the deliveries feed.
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using json = nlohmann::json;
using namespace std::chrono_literals;

class AdminTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  temp_dir dir;
  partner_client ops{identity("ops")};

  json get(partner_client& as, const std::string& path, unsigned expect = 200) {
    auto r = as.http(server.https_address(), "GET", path);
    auto response = r.first("response");
    EXPECT_FALSE(response.is_null()) << r.stderr_text;
    EXPECT_EQ(response["status"], expect) << response.dump();
    return json::parse(response["body"].get<std::string>(), nullptr, false);
  }

  run_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), LIAISON_CLI_PATH);
    args.insert(args.end(),
                {"--id", shared_pki_dir() + "/ops", "--server", server.https_address()});
    return run_to_end(std::move(args), dir.path());
  }

  static client::connect_options at(const std::string& address) {
    return {address, 10s, "e2e-admin"};
  }
};

const json* find_row(const json& rows, const std::string& key, const std::string& value) {
  for (const auto& r : rows)
    if (r.contains(key) && r[key] == value) return &r;
  return nullptr;
}

TEST_F(AdminTest, ConnectionsConsumersAndMembersAreShownToTheAdminOnly) {
  // HU's desk holds consumer "ops-view" and acknowledges the first of three alerts.
  client::native_client hu(identity("HU/desk"), at(server.native_address()));
  v1::Subscribe s;
  s.set_consumer("ops-view");
  s.mutable_stored_cursor();
  ASSERT_TRUE(hu.subscribe(s, 10s).has_subscribed());
  client::native_client at_desk(identity("AT/desk"), at(server.native_address()));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(
        at_desk.publish(sign_as(identity("AT/desk"), make_alert("AT", {"HU"}, "for HU")), 10s)
            .has_publish_result());
  std::uint64_t first = 0;
  for (int got = 0; got < 3;) {
    auto f = hu.receive(10s);
    ASSERT_TRUE(f) << "no delivery";
    if (!f->has_deliver()) continue;
    if (got++ == 0) first = f->deliver().seq();
  }
  hu.ack("ops-view", first);

  // Connections: both desks, with member, role and address.
  auto c = get(ops, "/v1/admin/connections");
  const auto* hu_row = find_row(c["connections"], "principal", "HU.desk");
  ASSERT_NE(hu_row, nullptr) << c.dump();
  EXPECT_EQ((*hu_row)["transport"], "native");
  EXPECT_EQ((*hu_row)["member"], "HU");
  EXPECT_EQ((*hu_row)["role"], "desk");
  EXPECT_EQ((*hu_row)["address"], "127.0.0.1");
  EXPECT_FALSE((*hu_row)["since"].get<std::string>().empty());
  EXPECT_NE(find_row(c["connections"], "principal", "AT.desk"), nullptr) << c.dump();
  EXPECT_GE(c["counts"]["native_authenticated"].get<int>(), 2);

  // Consumers: the cursor moves with the acknowledgement (written by the
  // group commit, so wait for it); two alerts wait, the oldest has an age.
  json row;
  for (int i = 0; i < 100; ++i) {
    auto body = get(ops, "/v1/admin/consumers");
    const auto* r = find_row(body["consumers"], "consumer", "ops-view");
    ASSERT_NE(r, nullptr) << body.dump();
    row = *r;
    if (row["cursor"] == first) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(row["principal"], "HU.desk");
  EXPECT_EQ(row["member"], "HU");
  EXPECT_EQ(row["cursor"], first);
  EXPECT_EQ(row["pending"], 2);
  EXPECT_EQ(row["pending_more"], false);
  EXPECT_EQ(row["oldest_pending_seq"], first + 1);
  EXPECT_EQ(row["lag_seqs"], 2);  // seqs first+1 .. first+2
  EXPECT_TRUE(row["oldest_pending_at"].is_string()) << row.dump();
  EXPECT_GE(row["oldest_pending_age_seconds"].get<double>(), 0.0);
  EXPECT_EQ(row["held_here"], true);
  EXPECT_EQ(row["live"], true);

  // Members: all 27, with HU's desk connected here and its keys listed.
  auto m = get(ops, "/v1/admin/members");
  ASSERT_EQ(m["members"].size(), 27u);
  const auto* hu_member = find_row(m["members"], "member", "HU");
  ASSERT_NE(hu_member, nullptr);
  EXPECT_EQ((*hu_member)["connections_here"], 1);
  EXPECT_FALSE((*hu_member)["signing_keys"].empty());
  EXPECT_NE(find_row((*hu_member)["principals"], "principal", "HU.desk"), nullptr);

  // Desks and auditors are refused; a bad limit is a clear 400.
  partner_client desk(identity("HU/desk"));
  partner_client auditor(identity("auditor"));
  for (const char* path : {"/v1/admin/connections", "/v1/admin/consumers", "/v1/admin/members"}) {
    EXPECT_EQ(get(desk, path, 403)["code"], "PERMISSION_DENIED");
    EXPECT_EQ(get(auditor, path, 403)["code"], "PERMISSION_DENIED");
  }
  auto bad = get(ops, "/v1/admin/consumers?limit=0", 400);
  EXPECT_EQ(bad["code"], "INVALID_ARGUMENT");
  EXPECT_NE(bad["message"].get<std::string>().find("limit"), std::string::npos);

  // Deliveries fed the commit-to-delivery histogram (three, to HU).
  auto metrics = ops.http(server.https_address(), "GET", "/metrics").first("response");
  EXPECT_NE(metrics["body"].get<std::string>().find("liaison_commit_delivery_seconds_count 3\n"),
            std::string::npos)
      << metrics["body"];

  // The CLI prints the same as tables, or the JSON with --json.
  auto r = cli({"admin", "consumers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PENDING"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ops-view"), std::string::npos) << r.out;
  r = cli({"admin", "connections", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(find_row(json::parse(r.out)["connections"], "principal", "HU.desk"), nullptr) << r.out;
  r = cli({"admin", "members"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Hungary"), std::string::npos) << r.out;
  // A desk's identity is refused by the server: exit 2 and the reason.
  auto refused = run_to_end({LIAISON_CLI_PATH, "admin", "members", "--id",
                             shared_pki_dir() + "/HU/desk", "--server", server.https_address()},
                            dir.path());
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("PERMISSION_DENIED"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace liaison::testing
