// Withdrawals and corrections (#13 §3) end to end: only the origin member
// amends its alert; the amendment reaches every member that received the
// original, whatever recipients it names; a withdrawal closes the
// original's read deadlines; a withdrawn alert is neither withdrawn again
// nor corrected, and an amendment is not amended; the original shows what
// was done to it to desks (QueryStatus) and auditors (GET /v1/alerts/{id}).
// Every refusal is typed, audited, and changes nothing else. Native
// protocol, the WebSocket stream and the CLI.
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using json = nlohmann::json;
using namespace std::chrono_literals;

class AmendmentTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  temp_dir dir;
  pki::identity at_id = identity("AT/desk");
  pki::identity rs_id = identity("RS/desk");
  client::native_client at{at_id, {server.native_address(), 10s, "e2e-amend"}};
  client::native_client rs{rs_id, {server.native_address(), 10s, "e2e-amend"}};

  v1::Alert amendment(const std::string& origin, std::vector<std::string> to, v1::Kind kind,
                      const std::string& of) {
    auto a = make_alert(origin, std::move(to), kind == v1::KIND_WITHDRAWAL ? "withdrawn" : "fix");
    a.set_kind(kind);
    a.set_in_reply_to(of);
    return a;
  }
  v1::Frame send(client::native_client& conn, const pki::identity& id, const v1::Alert& a) {
    return conn.publish(sign_as(id, a), 10s);
  }
  static v1::ErrorCode code(const v1::Frame& f) {
    return f.has_error() ? f.error().code() : v1::ERROR_CODE_UNSPECIFIED;
  }
  long count(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<long>();
  }
  std::string recipients_of(const std::string& id) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx
        .exec1("SELECT array_to_string(recipients, ',') FROM alerts WHERE alert_id = '" + id +
               "'")[0]
        .c_str();
  }
  v1::AlertStatus status(const std::string& id) {
    v1::Frame q;
    q.mutable_query_status()->set_alert_id(id);
    auto answer = at.call(std::move(q), 10s);
    EXPECT_TRUE(answer.has_alert_status()) << answer.DebugString();
    return answer.alert_status();
  }
};

TEST_F(AmendmentTest, OnlyTheOriginWithdrawsAndEveryRecipientHearsOfIt) {
  // AT's URGENT alert to HU: HU has a read deadline.
  auto original = make_alert("AT", {"HU"}, "truck W-12345X");
  ASSERT_TRUE(send(at, at_id, original).has_publish_result());
  ASSERT_EQ(count("SELECT count(*) FROM read_deadlines WHERE closed_at IS NULL"), 1);

  // RS did not send it: PERMISSION_DENIED, over the native protocol...
  auto by_rs = amendment("RS", {"AT"}, v1::KIND_WITHDRAWAL, original.id());
  auto refused = send(rs, rs_id, by_rs);
  EXPECT_EQ(code(refused), v1::PERMISSION_DENIED) << refused.DebugString();
  EXPECT_NE(refused.error().message().find("only the member that sent an alert"),
            std::string::npos);
  // ...and over the WebSocket stream.
  partner_client rs_stream(rs_id);
  std::string envelope_json;
  (void)google::protobuf::util::MessageToJsonString(
      sign_as(rs_id, amendment("RS", {"AT"}, v1::KIND_CORRECTION, original.id())), &envelope_json);
  json script =
      json::array({{{"send", {{"hello", {{"client", "e2e-amend"}, {"protocolVersion", 1}}}}}},
                   {{"expect", 1}},
                   {{"send", {{"publish", {{"envelope", json::parse(envelope_json)}}}}}},
                   {{"expect", 1}}});
  auto ws = rs_stream.stream(server.https_address(), {"liaison.v1.json"}, script);
  auto frames = ws.all("frame");
  ASSERT_EQ(frames.size(), 2u) << ws.stderr_text;
  EXPECT_EQ(frames[1]["frame"]["error"]["code"], "PERMISSION_DENIED") << frames[1].dump();

  // AT withdraws it naming only RS: it goes to HU (who received the
  // original) and RS.
  auto withdrawal = amendment("AT", {"RS"}, v1::KIND_WITHDRAWAL, original.id());
  auto ok = send(at, at_id, withdrawal);
  ASSERT_TRUE(ok.has_publish_result()) << ok.DebugString();
  EXPECT_EQ(recipients_of(withdrawal.id()), "HU,RS");
  // The original's deadline is closed by the withdrawal.
  EXPECT_EQ(count("SELECT count(*) FROM read_deadlines WHERE closed_by = 'withdrawn'"), 1);
  // A retry of the same withdrawal is its original result, not a refusal.
  auto retry = send(at, at_id, withdrawal);
  ASSERT_TRUE(retry.has_publish_result()) << retry.DebugString();
  EXPECT_TRUE(retry.publish_result().duplicate());

  // Withdrawing again, or correcting what is withdrawn: FAILED_PRECONDITION.
  auto again = send(at, at_id, amendment("AT", {"HU"}, v1::KIND_WITHDRAWAL, original.id()));
  EXPECT_EQ(code(again), v1::FAILED_PRECONDITION) << again.DebugString();
  auto correct = send(at, at_id, amendment("AT", {"HU"}, v1::KIND_CORRECTION, original.id()));
  EXPECT_EQ(code(correct), v1::FAILED_PRECONDITION) << correct.DebugString();
  EXPECT_NE(correct.error().message().find("withdrawn"), std::string::npos);
  // An amendment is not amended; an unknown alert is not found.
  auto of_withdrawal =
      send(at, at_id, amendment("AT", {"HU"}, v1::KIND_WITHDRAWAL, withdrawal.id()));
  EXPECT_EQ(code(of_withdrawal), v1::FAILED_PRECONDITION) << of_withdrawal.DebugString();
  auto unknown =
      send(at, at_id,
           amendment("AT", {"HU"}, v1::KIND_WITHDRAWAL, "00000000-0000-4000-8000-000000000000"));
  EXPECT_EQ(code(unknown), v1::NOT_FOUND) << unknown.DebugString();

  // The desk's view of the original says who withdrew it and when.
  auto s = status(original.id());
  EXPECT_TRUE(s.withdrawn());
  EXPECT_EQ(s.withdrawn_by(), withdrawal.id());
  EXPECT_TRUE(s.has_withdrawn_at());
  // Nothing but audit rows came of the refusals: two alerts stored, and
  // every refusal audited with its code.
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 2);
  ASSERT_TRUE(eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM audit_log WHERE action = 'alert.publish' AND outcome "
                   "IN ('PERMISSION_DENIED', 'FAILED_PRECONDITION', 'NOT_FOUND')") == 6;
      },
      20s))
      << count("SELECT count(*) FROM audit_log WHERE action = 'alert.publish' AND outcome <> 'ok'");
}

TEST_F(AmendmentTest, CorrectionsAreShownOnTheOriginalToDesksAndAuditors) {
  auto original = make_alert("AT", {"HU", "SI"}, "wrong plate");
  ASSERT_TRUE(send(at, at_id, original).has_publish_result());
  // The CLI corrects it, naming nobody new: it reaches HU and SI.
  auto r = run_to_end(
      {LIAISON_CLI_PATH, "publish", "--id", shared_pki_dir() + "/AT/desk", "--server",
       server.native_address(), "--to", "HU", "--kind", "CORRECTION", "--in-reply-to",
       original.id(), "--subject", "plate is W-12345Y", "--spool", dir.path() + "/spool"},
      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto correction_id = json::parse(r.out)["id"].get<std::string>();
  EXPECT_EQ(recipients_of(correction_id), "HU,SI");
  // RS's correction of AT's alert, through the CLI: refused, exit 2, why.
  auto denied =
      run_to_end({LIAISON_CLI_PATH, "publish", "--id", shared_pki_dir() + "/RS/desk", "--server",
                  server.native_address(), "--to", "AT", "--kind", "CORRECTION", "--in-reply-to",
                  original.id(), "--subject", "no", "--spool", dir.path() + "/spool-rs"},
                 dir.path());
  EXPECT_EQ(denied.exit_code, 2) << denied.err;
  EXPECT_NE(denied.err.find("PERMISSION_DENIED"), std::string::npos) << denied.err;

  auto s = status(original.id());
  EXPECT_FALSE(s.withdrawn());
  ASSERT_EQ(s.corrections_size(), 1);
  EXPECT_EQ(s.corrections(0).alert_id(), correction_id);

  partner_client auditor(identity("auditor"));
  auto answer = auditor
                    .http(server.https_address(), "GET", "/v1/alerts/" + original.id(),
                          std::nullopt, {"Liaison-Justification:amendment test"})
                    .first("response");
  ASSERT_EQ(answer["status"], 200) << answer.dump();
  auto body = json::parse(answer["body"].get<std::string>());
  EXPECT_TRUE(body["amendments"]["withdrawn_by"].is_null());
  ASSERT_EQ(body["amendments"]["corrected_by"].size(), 1u) << body["amendments"];
  EXPECT_EQ(body["amendments"]["corrected_by"][0]["id"], correction_id);
}

TEST_F(AmendmentTest, AReplyComesFromARecipientAndReachesTheRequester) {
  // AT asks HU for assistance.
  auto request = make_alert("AT", {"HU"}, "who owns W-12345X?");
  request.set_kind(v1::KIND_REQUEST_FOR_ASSISTANCE);
  ASSERT_TRUE(send(at, at_id, request).has_publish_result());
  // HU answers, naming only SI: AT gets the answer too.
  auto hu_id = identity("HU/desk");
  client::native_client hu{hu_id, {server.native_address(), 10s, "e2e-amend"}};
  auto answer = make_alert("HU", {"SI"}, "a rental company in Graz");
  answer.set_kind(v1::KIND_REPLY);
  answer.set_in_reply_to(request.id());
  auto ok = send(hu, hu_id, answer);
  ASSERT_TRUE(ok.has_publish_result()) << ok.DebugString();
  EXPECT_EQ(recipients_of(answer.id()), "AT,SI");
  // RS received nothing: its "reply" is NOT_FOUND, and stores nothing.
  auto rs_answer = make_alert("RS", {"AT"}, "not ours to answer");
  rs_answer.set_kind(v1::KIND_REPLY);
  rs_answer.set_in_reply_to(request.id());
  auto refused = send(rs, rs_id, rs_answer);
  EXPECT_EQ(code(refused), v1::NOT_FOUND) << refused.DebugString();
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 2);
}

}  // namespace
}  // namespace liaison::testing
