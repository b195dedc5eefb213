// The auditors' HTTPS API end to end with Python's http.client: only
// auditors reach it, and only with a justification; bad parameters get 400
// and never reach SQL; an alert's detail re-verifies its signature and shows
// who received and acknowledged it; exports are streamed with chunked
// encoding; every consultation is itself an audit row.
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <sstream>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using json = nlohmann::json;
using namespace std::chrono_literals;

const std::vector<std::string> why = {"Liaison-Justification:complaint 2026/17 by a data subject"};

const std::vector<std::string> endpoints = {"/v1/alerts",
                                            "/v1/alerts/7f1c1f5e-1b8a-4c3e-9d2a-2f0c3b4a5d6e",
                                            "/v1/audit",
                                            "/v1/audit/verify",
                                            "/v1/audit/tree-heads",
                                            "/v1/audit/proof/inclusion?index=0&tree_size=1",
                                            "/v1/audit/proof/consistency?first=1&second=1"};

class AuditApiTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server = std::make_unique<liaisond_process>(
      db.url(), std::map<std::string, std::string>{{"audit.tree_head_every_entries", "5"},
                                                   {"audit.tree_head_interval", "\"1s\""}});
  partner_client auditor{identity("auditor")};

  json get(partner_client& as, const std::string& target,
           const std::vector<std::string>& headers = why) {
    auto r = as.http(server->https_address(), "GET", target, std::nullopt, headers);
    auto e = r.first("response");
    EXPECT_FALSE(e.is_null()) << r.stderr_text;
    return e;
  }
  static json body(const json& response) {
    return json::parse(response["body"].get<std::string>(), nullptr, false);
  }

  long count(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  // Publishes from AT to HU over the native protocol; returns the alert ids.
  std::vector<std::string> publish(int n, const std::string& subject = "White van") {
    auto at_desk = identity("AT/desk");
    client::native_client conn(at_desk, {server->native_address(), 10s, "e2e"});
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto alert = make_alert("AT", {"HU"}, subject + " " + std::to_string(i));
      auto answer = conn.publish(sign_as(at_desk, alert), 20s);
      EXPECT_TRUE(answer.has_publish_result()) << answer.DebugString();
      ids.push_back(alert.id());
    }
    return ids;
  }
};

TEST_F(AuditApiTest, OnlyAuditorsWithAJustificationGetIn) {
  partner_client desk(identity("AT/desk")), partner(identity("partner-HU")), ops(identity("ops"));
  partner_client anonymous(identity("auditor"), /*with_certificate=*/false);
  for (const auto& target : endpoints) {
    EXPECT_EQ(get(desk, target)["status"], 403) << target;
    EXPECT_EQ(get(partner, target)["status"], 403) << target;
    EXPECT_EQ(get(ops, target)["status"], 403) << target;
    EXPECT_EQ(get(anonymous, target)["status"], 401) << target;
    auto unjustified = get(auditor, target, {});
    EXPECT_EQ(unjustified["status"], 400) << target;
    EXPECT_NE(body(unjustified)["message"].get<std::string>().find("justification"),
              std::string::npos);
  }
  // Refusals are audited: the router's for the wrong principals (one row
  // each), a summary for the stranger without a certificate, ours for the
  // missing reason.
  EXPECT_GE(count("SELECT count(*) FROM audit_log WHERE action = 'http.denied'"), 3 * 7);
  EXPECT_TRUE(eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM audit_log WHERE action = 'auth.failures' AND "
                   "outcome = 'UNAUTHENTICATED' AND detail LIKE '%\"port\":\"https\"%'") >= 1;
      },
      10s));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'audit.query' AND outcome = "
                  "'INVALID_ARGUMENT' "
                  "AND actor = 'auditor'"),
            7);
  EXPECT_EQ(get(auditor, "/v1/audit/tree-heads")["status"], 200);
  EXPECT_EQ(get(auditor, "/v1/alerts?justification=case+17")["status"], 200);
}

TEST_F(AuditApiTest, BadParametersGet400AndNeverReachTheDatabase) {
  const std::pair<std::string, std::string> probes[] = {
      {"/v1/alerts?origin=AT%27%20OR%20%271%27%3D%271", "origin"},
      {"/v1/alerts?category=VEHICLE%27%3B--", "category"},
      {"/v1/alerts?recipient=HU%3BDROP%20TABLE%20alerts", "recipient"},
      {"/v1/audit?actor=x%27%20OR%20%271%27%3D%271", "actor"},
      {"/v1/audit?subject=a%20b", "subject"},
      {"/v1/alerts?limit=100000000000000000000000", "limit"},
      {"/v1/alerts?limit=1001", "limit"},
      {"/v1/alerts?limit=-1", "limit"},
      {"/v1/audit?limit=0", "limit"},
      {"/v1/alerts?cursor=%27%20OR%201%3D1", "cursor"},
      {"/v1/alerts?cursor=bC4x", "cursor"},  // an audit-log cursor
      {"/v1/audit?cursor=YS4tMQ", "cursor"},
      {"/v1/alerts?from=yesterday", "from"},
      {"/v1/alerts?to=2026-02-30", "to"},
      {"/v1/audit?from=2026-03-02&to=2026-03-01", "earlier"},
      {"/v1/alerts?orderby=seq", "orderby"},
      {"/v1/alerts/1%20OR%201%3D1", "UUID"},
      {"/v1/audit/proof/inclusion?index=5&tree_size=5", "index"},
      {"/v1/audit/proof/consistency?first=0&second=3", "first"},
      {"/v1/audit/verify?from=abc", "from"},
  };
  for (const auto& [target, mentions] : probes) {
    auto r = get(auditor, target);
    EXPECT_EQ(r["status"], 400) << target << " " << r.dump();
    EXPECT_EQ(body(r)["code"], "INVALID_ARGUMENT") << target;
    EXPECT_NE(body(r)["message"].get<std::string>().find(mentions), std::string::npos)
        << target << ": " << r.dump();
  }
  // Free text is bound as a parameter: no error, no rows, nothing dropped.
  publish(1);
  auto search = get(auditor, "/v1/alerts?q=%27%3B%20DROP%20TABLE%20alerts%3B%20--");
  EXPECT_EQ(search["status"], 200);
  EXPECT_TRUE(body(search)["alerts"].empty());
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 1);
}

TEST_F(AuditApiTest, AlertDetailReverifiesTheSignatureAndShowsTheTimeline) {
  // HU receives and acknowledges the alert, then an auditor asks about it.
  client::native_client hu(identity("HU/desk"), {server->native_address(), 10s, "e2e"});
  v1::Subscribe s;
  s.set_consumer("hu-console");
  s.mutable_stored_cursor();
  ASSERT_TRUE(hu.subscribe(s, 10s).has_subscribed());
  auto id = publish(1, "Plate W-12345X near Nickelsdorf").front();
  std::optional<v1::Frame> frame;
  while (!(frame && frame->has_deliver())) {
    frame = hu.receive(10s);
    ASSERT_TRUE(frame) << "no delivery";
  }
  hu.ack("hu-console", frame->deliver().seq());
  v1::Frame ping;
  ping.mutable_ping()->set_nonce(1);
  ASSERT_TRUE(hu.call(ping, 10s).has_pong());

  json d;
  ASSERT_TRUE(eventually(
      [&] {
        d = body(get(auditor, "/v1/alerts/" + id));
        return d.is_object() && d["timeline"]["acknowledged_by"].size() == 1 &&
               d["timeline"]["delivered_to"].size() == 1;
      },
      20s))
      << d.dump(2);
  EXPECT_EQ(d["alert"]["origin"], "AT");
  EXPECT_EQ(d["alert"]["recipients"], json::array({"HU"}));
  EXPECT_EQ(d["content"]["body"], "Seen heading east at the border crossing.");
  EXPECT_EQ(d["content"]["entities"][0]["value"], "W-12345X");
  EXPECT_EQ(d["signature_check"]["valid"], true) << d["signature_check"].dump();
  EXPECT_EQ(d["timeline"]["delivered_to"][0]["member"], "HU");
  EXPECT_EQ(d["timeline"]["delivered_to"][0]["consumer"], "hu-console");
  EXPECT_EQ(d["timeline"]["acknowledged_by"][0]["principal"], "HU.desk");
  EXPECT_FALSE(d["envelope"]["payload"].get<std::string>().empty());
  // The consultations are in the timeline too, with their justification.
  EXPECT_GE(d["timeline"]["consulted_by"].size(), 1u);

  // Search by entity and by text, and the consultation's own audit row.
  auto by_entity = body(get(auditor, "/v1/alerts?entity=VEHICLE_PLATE:W-12345X"));
  ASSERT_EQ(by_entity["alerts"].size(), 1u) << by_entity.dump();
  auto by_text = body(get(auditor, "/v1/alerts?q=nickelsdorf"));
  ASSERT_EQ(by_text["alerts"].size(), 1u) << by_text.dump();
  ASSERT_TRUE(eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM audit_log WHERE action = 'audit.query' AND actor = "
                   "'auditor' AND "
                   "subject = '" +
                   id + "' AND detail LIKE '%complaint 2026/17%'") >= 1;
      },
      10s));
}

TEST_F(AuditApiTest, ExportsStreamEveryRowInChunks) {
  publish(230);
  auto ndjson = get(auditor, "/v1/alerts?format=ndjson&origin=AT");
  ASSERT_EQ(ndjson["status"], 200);
  EXPECT_EQ(ndjson["headers"]["Transfer-Encoding"], "chunked");
  EXPECT_EQ(ndjson["headers"]["Content-Type"], "application/x-ndjson");
  std::istringstream lines(ndjson["body"].get<std::string>());
  std::string line;
  std::uint64_t expected = 1;
  while (std::getline(lines, line)) EXPECT_EQ(json::parse(line)["seq"], expected++);
  EXPECT_EQ(expected, 231u);
  auto csv = get(auditor, "/v1/audit?format=csv&action=alert.publish");
  ASSERT_EQ(csv["status"], 200);
  EXPECT_EQ(csv["headers"]["Transfer-Encoding"], "chunked");
  std::istringstream rows(csv["body"].get<std::string>());
  int n = 0;
  while (std::getline(rows, line)) ++n;
  EXPECT_EQ(n, 231);  // the header and one row per publish
  // The CLI streams the same export to stdout.
  temp_dir out("liaison-history");
  child_process cli({LIAISON_CLI_PATH, "history", "--server", server->https_address(), "--id",
                     shared_pki_dir() + "/auditor", "--justification", "annual review", "--format",
                     "csv", "--origin", "AT"},
                    out.path() + "/csv", out.path() + "/err");
  auto status = cli.wait_for(60s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(child_process::exit_code(*status), 0) << read_file(out.path() + "/err");
  std::istringstream exported(read_file(out.path() + "/csv"));
  n = 0;
  while (std::getline(exported, line)) ++n;
  EXPECT_EQ(n, 231);
  // Paging through JSON gives the same rows, each once.
  std::string cursor;
  std::uint64_t next = 1;
  for (;;) {
    auto page =
        body(get(auditor, "/v1/alerts?limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    for (const auto& a : page["alerts"]) EXPECT_EQ(a["seq"], next++);
    cursor = page["next_cursor"];
    if (!page["has_more"].get<bool>()) break;
  }
  EXPECT_EQ(next, 231u);
}

}  // namespace
}  // namespace liaison::testing
