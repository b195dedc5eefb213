// The HTTPS API end to end with Python's http.client: health and readiness,
// publishing a signed envelope with the same rules as the native protocol,
// metrics for operators, and the limits on requests.
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <sstream>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::string envelope_json(const v1::Envelope& e) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(e, &out);
  return out;
}

const std::vector<std::string> json_content = {"Content-Type:application/json"};

class HttpsTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server = std::make_unique<liaisond_process>(db.url());
  pki::identity at_desk = identity("AT/desk");
  partner_client desk{at_desk};

  json response(const partner_result& r) {
    auto e = r.first("response");
    EXPECT_FALSE(e.is_null()) << r.stderr_text << " "
                              << (r.events.empty() ? "" : r.events.front().dump());
    return e;
  }
  json body(const json& response) {
    return json::parse(response["body"].get<std::string>(), nullptr, false);
  }

  long alerts() {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx.exec1("SELECT count(*) FROM alerts")[0].as<long>();
  }
};

TEST_F(HttpsTest, HealthAndReadinessNeedNoCertificate) {
  partner_client anonymous(at_desk, /*with_certificate=*/false);
  auto health = response(anonymous.http(server->https_address(), "GET", "/healthz"));
  EXPECT_EQ(health["status"], 200);
  auto ready = response(anonymous.http(server->https_address(), "GET", "/readyz"));
  EXPECT_EQ(ready["status"], 200);
  EXPECT_EQ(body(ready)["database"], "up");
}

TEST_F(HttpsTest, PublishCommitsOnceAndRetriesGetTheOriginal) {
  auto alert = make_alert("AT", {"HU"}, "over HTTPS");
  auto envelope = envelope_json(sign_as(at_desk, alert));
  auto first =
      response(desk.http(server->https_address(), "POST", "/v1/alerts", envelope, json_content));
  ASSERT_EQ(first["status"], 201) << first.dump();
  EXPECT_EQ(body(first)["id"], alert.id());
  EXPECT_EQ(body(first)["duplicate"], false);
  auto again =
      response(desk.http(server->https_address(), "POST", "/v1/alerts", envelope, json_content));
  EXPECT_EQ(again["status"], 200);
  EXPECT_EQ(body(again)["seq"], body(first)["seq"]);
  EXPECT_EQ(body(again)["duplicate"], true);
  alert.set_subject("changed after sending");
  auto conflict = response(desk.http(server->https_address(), "POST", "/v1/alerts",
                                     envelope_json(sign_as(at_desk, alert)), json_content));
  EXPECT_EQ(conflict["status"], 409);
  EXPECT_EQ(body(conflict)["code"], "DUPLICATE_CONFLICT");
  EXPECT_EQ(alerts(), 1);
}

TEST_F(HttpsTest, PublishErrorsMapToStatusCodesWithAJsonBody) {
  auto envelope = sign_as(at_desk, make_alert("AT", {"HU"}, "x"));
  struct probe {
    std::string name;
    partner_client* as;
    std::string body;
    std::vector<std::string> headers;
    int status;
    std::string code;
  };
  partner_client partner(identity("partner-HU"));
  partner_client anonymous(at_desk, false);
  auto tampered = envelope;
  tampered.set_signature(std::string(64, 'x'));
  auto spoofed = sign_as(at_desk, make_alert("HU", {"AT"}, "spoof"));
  std::vector<probe> probes = {
      {"malformed JSON", &desk, "{\"payload\": ", json_content, 400, "INVALID_ARGUMENT"},
      {"unknown field", &desk, R"({"payload":"","bogus":1})", json_content, 400,
       "INVALID_ARGUMENT"},
      {"not JSON",
       &desk,
       envelope_json(envelope),
       {"Content-Type:text/plain"},
       400,
       "INVALID_ARGUMENT"},
      {"bad signature", &desk, envelope_json(tampered), json_content, 422, "BAD_SIGNATURE"},
      {"spoofed origin", &desk, envelope_json(spoofed), json_content, 403, "PERMISSION_DENIED"},
      {"partner publishing", &partner, envelope_json(envelope), json_content, 403,
       "PERMISSION_DENIED"},
      {"no certificate", &anonymous, envelope_json(envelope), json_content, 401, "UNAUTHENTICATED"},
  };
  for (auto& p : probes) {
    auto r = response(p.as->http(server->https_address(), "POST", "/v1/alerts", p.body, p.headers));
    EXPECT_EQ(r["status"], p.status) << p.name << ": " << r.dump();
    EXPECT_EQ(body(r)["code"], p.code) << p.name;
    EXPECT_FALSE(body(r)["message"].get<std::string>().empty()) << p.name;
  }
  EXPECT_EQ(alerts(), 0);
}

TEST_F(HttpsTest, OversizedBodiesAndHeadersGet413And431) {
  auto big_body = response(desk.http(server->https_address(), "POST", "/v1/alerts",
                                     std::string(2 * 1024 * 1024, 'x'), json_content));
  EXPECT_EQ(big_body["status"], 413);
  auto big_header = response(desk.http(server->https_address(), "GET", "/healthz", std::nullopt,
                                       {"X-Padding:" + std::string(20000, 'p')}));
  EXPECT_EQ(big_header["status"], 431);
  // And the server carries on.
  EXPECT_EQ(response(desk.http(server->https_address(), "GET", "/healthz"))["status"], 200);
}

TEST_F(HttpsTest, JsonLogsAreOneObjectPerLineWithTheEventsFields) {
  liaisond_process json_logs(db.url(), {{"log.format", "\"json\""}, {"log.level", "\"debug\""}});
  // A request without a certificate, to log something beyond the start.
  partner_client anonymous(at_desk, /*with_certificate=*/false);
  anonymous.http(json_logs.https_address(), "GET", "/healthz");
  // A committed publish and a refused one (AT's desk cannot publish for HU).
  auto ok = make_alert("AT", {"HU"}, "logged");
  EXPECT_EQ(response(desk.http(json_logs.https_address(), "POST", "/v1/alerts",
                               envelope_json(sign_as(at_desk, ok)), json_content))["status"],
            201);
  auto forged = make_alert("HU", {"AT"}, "not AT's to send");
  EXPECT_EQ(response(desk.http(json_logs.https_address(), "POST", "/v1/alerts",
                               envelope_json(sign_as(at_desk, forged)), json_content))["status"],
            403);
  // A native session that ends.
  { client::native_client conn(at_desk, {json_logs.native_address(), 10s, "e2e-logs"}); }
  ASSERT_TRUE(
      eventually([&] { return json_logs.log().find("session.closed") != std::string::npos; }, 20s));
  ASSERT_EQ(json_logs.stop(), 0);
  std::istringstream lines(json_logs.log());
  int listening = 0, parsed = 0;
  json committed, refused, closed;
  for (std::string line; std::getline(lines, line);) {
    auto j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not one JSON object: " << line;
    ++parsed;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    const auto event = j.value("event", "");
    if (event == "server.listening") {
      ++listening;
      EXPECT_TRUE(j.contains("address") && j.contains("port")) << line;
    }
    if (event == "alert.publish" && j.value("alert_id", "") == ok.id()) committed = j;
    if (event == "alert.publish" && j.value("error_code", "") == "PERMISSION_DENIED") refused = j;
    if (event == "session.closed" && j.value("transport", "") == "native") closed = j;
  }
  EXPECT_GT(parsed, 3);
  EXPECT_EQ(listening, 2) << json_logs.log();
  // Each event carries its own fields, not only a sentence.
  ASSERT_TRUE(committed.is_object()) << json_logs.log();
  EXPECT_EQ(committed["principal"], "AT.desk");
  EXPECT_EQ(committed["member"], "AT");
  EXPECT_TRUE(committed["seq"].is_number_unsigned()) << committed;
  EXPECT_TRUE(committed["duration_ms"].is_number()) << committed;
  ASSERT_TRUE(refused.is_object()) << json_logs.log();
  EXPECT_EQ(refused["principal"], "AT.desk");
  EXPECT_EQ(refused["level"], "info");
  ASSERT_TRUE(closed.is_object()) << json_logs.log();
  EXPECT_EQ(closed["principal"], "AT.desk");
  EXPECT_EQ(closed["member"], "AT");
  EXPECT_TRUE(closed["duration_s"].is_number()) << closed;
  EXPECT_EQ(closed["reason"], "ended");
}

TEST_F(HttpsTest, MetricsAreForOperatorsOnly) {
  partner_client ops(identity("ops"));
  // One committed publish shows in the latency histogram.
  auto published = response(
      desk.http(server->https_address(), "POST", "/v1/alerts",
                envelope_json(sign_as(at_desk, make_alert("AT", {"HU"}, "m"))), json_content));
  ASSERT_EQ(published["status"], 201) << published.dump();
  auto metrics = response(ops.http(server->https_address(), "GET", "/metrics"));
  ASSERT_EQ(metrics["status"], 200);
  const auto body = metrics["body"].get<std::string>();
  EXPECT_NE(body.find("liaison_database_up 1"), std::string::npos);
  // One duty series per member, no more.
  std::size_t members = 0;
  for (auto at = body.find("\nliaison_member_desks_on_duty{member=\""); at != std::string::npos;
       at = body.find("\nliaison_member_desks_on_duty{member=\"", at + 1))
    ++members;
  EXPECT_EQ(members, 27u) << body;
  // The demo server certificate has about two years left.
  const std::string expiry = "liaison_certificate_expiry_seconds{certificate=\"server\"} ";
  auto at = body.find(expiry);
  ASSERT_NE(at, std::string::npos) << body;
  const double left = std::stod(body.substr(at + expiry.size()));
  EXPECT_GT(left, 300.0 * 24 * 3600) << body;
  EXPECT_LT(left, 3.0 * 366 * 24 * 3600) << body;
  // Who this node is, and the publish latency histogram with the one publish.
  EXPECT_NE(body.find("liaison_build_info{"), std::string::npos) << body;
  EXPECT_NE(body.find("liaison_publish_commit_seconds_count 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("liaison_alerts_committed_total 1\n"), std::string::npos) << body;
  // Group-commit sizes: at least the publish's batch, of at least one request.
  const std::string batches = "\nliaison_commit_batch_requests_count ";
  auto b = body.find(batches);
  ASSERT_NE(b, std::string::npos) << body;
  EXPECT_GE(std::stod(body.substr(b + batches.size())), 1.0) << body;
  EXPECT_NE(body.find("liaison_database_pool_connections{pool=\"writer\"} 1\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("liaison_database_pool_queued{pool=\"reader\"} "), std::string::npos) << body;
  // No consumer is held: no lag series.
  EXPECT_EQ(body.find("liaison_consumer_lag_seqs{"), std::string::npos) << body;
  EXPECT_NE(body.find("liaison_reloads_total{outcome=\"refused\"} 0"), std::string::npos) << body;
  EXPECT_NE(body.find("liaison_certificate_expiry_seconds{certificate=\"ca\"} "),
            std::string::npos);
  EXPECT_EQ(response(desk.http(server->https_address(), "GET", "/metrics"))["status"], 403);
}

TEST_F(HttpsTest, UnknownPathsAndMethodsAreAnswered) {
  EXPECT_EQ(response(desk.http(server->https_address(), "GET", "/nowhere"))["status"], 404);
  auto wrong = response(desk.http(server->https_address(), "DELETE", "/v1/alerts"));
  EXPECT_EQ(wrong["status"], 405);
  EXPECT_EQ(wrong["headers"]["Allow"], "POST, GET");  // publishing, and the auditors' history
  EXPECT_EQ(response(desk.http(server->https_address(), "GET", "/bad%zzescape"))["status"], 400);
}

}  // namespace
}  // namespace liaison::testing
