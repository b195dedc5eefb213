// "Who would receive this" (#13 §5) end to end: a dry run of a publish over
// the native protocol, the WebSocket stream, the HTTPS API and the CLI. It
// names each recipient member with its duty state, the principals that
// would (and would not) receive the alert and why, and the fallback
// contacts of members with no desk on duty; it stores and delivers nothing,
// and it is refused exactly as the publish would be.
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

class DryRunTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  pki::identity at_desk = identity("AT/desk");
  temp_dir dir;

  client::connect_options at(const std::string& address) { return {address, 10s, "e2e-dry-run"}; }

  v1::Frame dry_run(client::native_client& conn, const v1::Envelope& e) {
    v1::Frame f;
    *f.mutable_publish()->mutable_envelope() = e;
    f.mutable_publish()->set_dry_run(true);
    return conn.call(std::move(f), 10s);
  }

  long count(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  static const v1::RecipientPreview::Recipient* member(const v1::RecipientPreview& p,
                                                       const std::string& code) {
    for (const auto& r : p.recipients())
      if (r.member() == code) return &r;
    return nullptr;
  }
};

TEST_F(DryRunTest, ItNamesRecipientsDutyPrincipalsAndFallbacksAndStoresNothing) {
  // HU has a desk on duty; the Western Balkans have nobody connected.
  client::native_client hu(identity("HU/desk"), at(server.native_address()));
  v1::Frame duty;
  duty.mutable_set_duty()->set_on_duty(true);
  ASSERT_TRUE(hu.call(std::move(duty), 10s).has_duty_set());

  client::native_client conn(at_desk, at(server.native_address()));
  // URGENT, TLP:AMBER to HU and the group WB6.
  auto alert = make_alert("AT", {"HU", "WB6"}, "who would receive this");
  auto preview_frame = dry_run(conn, sign_as(at_desk, alert));
  ASSERT_TRUE(preview_frame.has_recipient_preview()) << preview_frame.DebugString();
  const auto& p = preview_frame.recipient_preview();
  EXPECT_EQ(p.alert_id(), alert.id());
  EXPECT_EQ(p.recipients_size(), 7);  // HU and the six of WB6
  const auto* hu_row = member(p, "HU");
  ASSERT_NE(hu_row, nullptr);
  EXPECT_EQ(hu_row->duty(), v1::DUTY_STATE_ON_DUTY);
  EXPECT_EQ(hu_row->desks_on_duty(), 1u);
  EXPECT_TRUE(hu_row->fallback().empty());  // a desk is on duty: nobody else is told
  // Both HU principals would receive an AMBER alert (desk RED, partner AMBER).
  EXPECT_EQ(hu_row->principals_size(), 2) << hu_row->DebugString();
  const auto* al = member(p, "AL");
  ASSERT_NE(al, nullptr);
  EXPECT_EQ(al->duty(), v1::DUTY_STATE_UNREACHABLE);
  ASSERT_EQ(al->fallback_size(), 1);  // URGENT and no desk on duty: told at once
  EXPECT_EQ(al->fallback(0), "TF.coordination");
  EXPECT_GT(p.read_within_seconds(), 0u);  // URGENT has a read deadline

  // TLP:RED to HU (named) and WB6 (a group): the group's members are left
  // out, and HU's partner system (cleared for AMBER) would not get it.
  auto red = make_alert("AT", {"HU", "WB6"}, "red");
  red.set_tlp(v1::TLP_RED);
  red.set_priority(v1::PRIORITY_ROUTINE);
  auto red_frame = dry_run(conn, sign_as(at_desk, red));
  ASSERT_TRUE(red_frame.has_recipient_preview()) << red_frame.DebugString();
  const auto& rp = red_frame.recipient_preview();
  ASSERT_EQ(rp.recipients_size(), 1);
  EXPECT_EQ(rp.left_out_size(), 6);
  ASSERT_EQ(rp.recipients(0).withheld_size(), 1);
  EXPECT_EQ(rp.recipients(0).withheld(0).member(), "HU.partner");
  EXPECT_NE(rp.recipients(0).withheld(0).reason().find("clearance"), std::string::npos);
  EXPECT_EQ(rp.read_within_seconds(), 0u);  // ROUTINE: no deadline

  // Nothing stored, nothing delivered: the same id can then be published
  // for real, and it is new.
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 0);
  auto real = conn.publish(sign_as(at_desk, alert), 10s);
  ASSERT_TRUE(real.has_publish_result()) << real.DebugString();
  EXPECT_FALSE(real.publish_result().duplicate());
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 1);
}

TEST_F(DryRunTest, ItIsRefusedAsThePublishWouldBeAndAudited) {
  client::native_client conn(at_desk, at(server.native_address()));
  // Signed by AT for HU's origin: the publish would be refused, so is the dry run.
  auto forged = make_alert("HU", {"AT"}, "not AT's");
  auto answer = dry_run(conn, sign_as(at_desk, forged));
  ASSERT_TRUE(answer.has_error()) << answer.DebugString();
  EXPECT_EQ(answer.error().code(), v1::PERMISSION_DENIED);
  // A bad signature.
  auto alert = make_alert("AT", {"HU"}, "tampered");
  auto envelope = sign_as(at_desk, alert);
  envelope.mutable_signature()->back() ^= 1;
  answer = dry_run(conn, envelope);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::BAD_SIGNATURE);
  // An auditor may not publish, so may not dry-run either (HTTPS: 403).
  partner_client auditor(identity("auditor"));
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(sign_as(at_desk, alert), &body);
  auto r = auditor.http(server.https_address(), "POST", "/v1/alerts/dry-run", body,
                        {"Content-Type:application/json"});
  EXPECT_EQ(r.first("response")["status"], 403);
  // Each refusal is an audit row marked as a dry run; nothing else changed.
  ASSERT_TRUE(eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM audit_log WHERE action = 'alert.publish' AND "
                   "detail::jsonb->>'dry_run' = 'true'") == 2;
      },
      20s));
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 0);
}

TEST_F(DryRunTest, TheStreamTheHttpsApiAndTheCliGiveTheSameAnswer) {
  auto alert = make_alert("AT", {"HU"}, "three ways");
  const auto envelope = sign_as(at_desk, alert);
  std::string envelope_json;
  (void)google::protobuf::util::MessageToJsonString(envelope, &envelope_json);

  // The WebSocket stream, JSON subprotocol.
  partner_client desk(at_desk);
  json script = json::array(
      {{{"send", {{"hello", {{"client", "e2e-dry-run"}, {"protocolVersion", 1}}}}}},
       {{"expect", 1}},
       {{"send", {{"publish", {{"envelope", json::parse(envelope_json)}, {"dryRun", true}}}}}},
       {{"expect", 1}}});
  auto ws = desk.stream(server.https_address(), {"liaison.v1.json"}, script);
  auto frames = ws.all("frame");
  ASSERT_EQ(frames.size(), 2u) << ws.stderr_text;
  const auto& preview = frames[1]["frame"]["recipientPreview"];
  ASSERT_TRUE(preview.is_object()) << frames[1].dump();
  EXPECT_EQ(preview["alertId"], alert.id());
  EXPECT_EQ(preview["recipients"][0]["member"], "HU");

  // The HTTPS API.
  auto r = desk.http(server.https_address(), "POST", "/v1/alerts/dry-run", envelope_json,
                     {"Content-Type:application/json"});
  auto response = r.first("response");
  ASSERT_EQ(response["status"], 200) << response.dump();
  auto body = json::parse(response["body"].get<std::string>());
  EXPECT_EQ(body["dry_run"], true);
  EXPECT_EQ(body["id"], alert.id());
  EXPECT_EQ(body["recipients"][0]["member"], "HU");
  EXPECT_EQ(body["recipients"][0]["duty"], "UNREACHABLE");

  // The CLI, over both listeners.
  for (bool http : {false, true}) {
    std::vector<std::string> argv{LIAISON_CLI_PATH,
                                  "publish",
                                  "--dry-run",
                                  "--id",
                                  shared_pki_dir() + "/AT/desk",
                                  "--server",
                                  http ? server.https_address() : server.native_address(),
                                  "--to",
                                  "HU",
                                  "--priority",
                                  "FLASH",
                                  "--subject",
                                  "dry"};
    if (http) argv.push_back("--http");
    auto cli = run_to_end(argv, dir.path());
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    auto out = json::parse(cli.out);
    EXPECT_EQ(out["dry_run"], true);
    EXPECT_EQ(out["recipients"][0]["member"], "HU");
    EXPECT_EQ(out["recipients"][0]["fallback"][0], "TF.coordination") << out;
  }
  pqxx::connection c(db.url());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM alerts")[0].as<long>(), 0);
}

}  // namespace
}  // namespace liaison::testing
