// Bad input against a running liaisond: each request gets its documented
// error, the server keeps serving, and nothing changes but the audit log.
#include "e2e/alerts.hpp"
#include "e2e/server_fixture.hpp"
#include "pki/authority.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <random>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using namespace std::chrono_literals;

struct counts {
  long alerts = 0;
  long audit = 0;
};

class RejectionTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server = std::make_unique<liaisond_process>(db.url());
  pki::identity at_desk = identity("AT/desk");

  client::connect_options options() const { return {server->native_address(), 10s, "e2e"}; }

  counts snapshot() {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return {tx.exec1("SELECT count(*) FROM alerts")[0].as<long>(),
            tx.exec1("SELECT count(*) FROM audit_log")[0].as<long>()};
  }

  // The outcome of the first audit row with `action` written after `before`
  // (audit rows are written asynchronously, so wait for it).
  std::string audit_after(const counts& before, const std::string& action) {
    std::string outcome;
    bool written = eventually(
        [&] {
          pqxx::connection c(db.url());
          pqxx::work tx(c);
          auto r = tx.exec_params(
              "SELECT outcome FROM audit_log WHERE id > $1 AND action = $2 ORDER BY id LIMIT 1",
              before.audit, action);
          if (r.empty()) return false;
          outcome = r[0][0].as<std::string>();
          return true;
        },
        10s);
    EXPECT_TRUE(written) << "no " << action << " audit row was written";
    return outcome;
  }

  // Publishes `envelope` as `who` and returns the error code (or OK).
  v1::ErrorCode publish_code(const pki::identity& who, const v1::Envelope& envelope) {
    client::native_client conn(who, options());
    auto answer = conn.publish(envelope, 10s);
    if (answer.has_publish_result()) return v1::ERROR_CODE_UNSPECIFIED;
    EXPECT_TRUE(answer.has_error());
    return answer.error().code();
  }

  void expect_rejected(const pki::identity& who, const v1::Envelope& envelope, v1::ErrorCode code) {
    auto before = snapshot();
    EXPECT_EQ(publish_code(who, envelope), code);
    EXPECT_EQ(audit_after(before, "alert.publish"), v1::ErrorCode_Name(code));
    EXPECT_EQ(snapshot().alerts, before.alerts) << "a rejected publish changed the alerts";
  }

  // The server still works for everyone else.
  void expect_still_serving() {
    EXPECT_EQ(publish_code(at_desk, sign_as(at_desk, make_alert("AT", {"HU"}, "still serving"))),
              v1::ERROR_CODE_UNSPECIFIED);
  }
};

TEST_F(RejectionTest, PublishingAsAnotherMemberIsPermissionDenied) {
  expect_rejected(at_desk, sign_as(at_desk, make_alert("HU", {"RS"}, "spoofed origin")),
                  v1::PERMISSION_DENIED);
  expect_still_serving();
}

TEST_F(RejectionTest, KeyIdOfAnotherMemberIsPermissionDenied) {
  auto alert = make_alert("AT", {"HU"}, "foreign key id");
  auto envelope = sign_as(at_desk, alert);
  envelope.set_key_id("HU-1");
  expect_rejected(at_desk, envelope, v1::PERMISSION_DENIED);
}

TEST_F(RejectionTest, TamperedPayloadIsBadSignature) {
  auto envelope = sign_as(at_desk, make_alert("AT", {"HU"}, "original subject"));
  auto payload = envelope.payload();
  auto at = payload.find("original");
  ASSERT_NE(at, std::string::npos);
  payload[at] = 'O';  // still a valid Alert, no longer what was signed
  envelope.set_payload(payload);
  expect_rejected(at_desk, envelope, v1::BAD_SIGNATURE);
}

TEST_F(RejectionTest, UnknownKeyIdIsBadSignature) {
  auto envelope = sign_as(at_desk, make_alert("AT", {"HU"}, "unknown key"));
  envelope.set_key_id("AT-99");
  expect_rejected(at_desk, envelope, v1::BAD_SIGNATURE);
}

TEST_F(RejectionTest, MalformedAlertIsInvalidArgument) {
  v1::Envelope envelope;
  envelope.set_payload("\xff\xff\xff not a protobuf");
  envelope.set_signature(std::string(64, 'x'));
  envelope.set_key_id("AT-1");
  expect_rejected(at_desk, envelope, v1::INVALID_ARGUMENT);
  auto bad = make_alert("AT", {"ZZ"}, "unknown recipient");
  expect_rejected(at_desk, sign_as(at_desk, bad), v1::INVALID_ARGUMENT);
}

TEST_F(RejectionTest, PartnerSystemCannotPublishAndAuditorCannotSubscribe) {
  auto partner = identity("partner-HU");
  // A partner has no signing key; even a well-signed alert from it is refused.
  expect_rejected(partner, sign_as(identity("HU/desk"), make_alert("HU", {"AT"}, "from a partner")),
                  v1::PERMISSION_DENIED);
  client::native_client auditor(identity("auditor"), options());
  v1::Subscribe sub;
  sub.set_consumer("peek");
  auto answer = auditor.subscribe(sub, 10s);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::PERMISSION_DENIED);
}

TEST_F(RejectionTest, ReplayedAlertGetsTheOriginalResultAndChangedBytesConflict) {
  auto alert = make_alert("AT", {"HU"}, "sent twice");
  auto envelope = sign_as(at_desk, alert);
  client::native_client conn(at_desk, options());
  auto first = conn.publish(envelope, 10s);
  ASSERT_TRUE(first.has_publish_result());
  EXPECT_FALSE(first.publish_result().duplicate());
  auto before = snapshot();
  // The same bytes again (a retry after a lost answer): the original result.
  auto again = conn.publish(envelope, 10s);
  ASSERT_TRUE(again.has_publish_result());
  EXPECT_TRUE(again.publish_result().duplicate());
  EXPECT_EQ(again.publish_result().seq(), first.publish_result().seq());
  EXPECT_EQ(again.publish_result().received_at().seconds(),
            first.publish_result().received_at().seconds());
  // The same id with other content: a conflict, never a second alert.
  alert.set_subject("edited after sending");
  expect_rejected(at_desk, sign_as(at_desk, alert), v1::DUPLICATE_CONFLICT);
  EXPECT_EQ(snapshot().alerts, before.alerts);
}

TEST_F(RejectionTest, UnregisteredCertificateIsUnauthenticated) {
  // A certificate from the task-force CA whose name is not in members.toml.
  auto dir = shared_pki_dir();
  auto ca = pki::authority::load(read_file(dir + "/ca/ca.pem"), read_file(dir + "/ca/ca.key"));
  auto now = std::chrono::system_clock::now();
  auto cert = ca.issue({"ZZ.desk", {}, {}, pki::certificate_usage::client, now - 1h, now + 24h});
  temp_dir stranger("stranger");
  std::ofstream(stranger.path() + "/cert.pem") << cert.cert_pem;
  std::ofstream(stranger.path() + "/key.pem") << cert.key_pem;
  auto id = at_desk;
  id.cert_file = stranger.path() + "/cert.pem";
  id.key_file = stranger.path() + "/key.pem";
  auto before = snapshot();
  try {
    client::native_client conn(id, options());
    FAIL() << "an unregistered certificate was accepted";
  } catch (const client::client_error& e) {
    EXPECT_NE(std::string(e.what()).find("UNAUTHENTICATED"), std::string::npos) << e.what();
  }
  // A stranger: summarised per address and interval, not a row of its own.
  EXPECT_EQ(audit_after(before, "auth.failures"), "UNAUTHENTICATED");
  expect_still_serving();
}

TEST_F(RejectionTest, ConnectionWithoutClientCertificateIsRefused) {
  auto options_without = options();
  options_without.present_certificate = false;
  auto before = snapshot();
  EXPECT_THROW(client::native_client(at_desk, options_without), client::client_error);
  EXPECT_EQ(audit_after(before, "auth.failures"), "UNAUTHENTICATED");
  expect_still_serving();
}

// Reads until the server's Error frame, then expects the connection to end.
v1::ErrorCode error_then_close(client::native_client& conn) {
  auto frame = conn.receive(10s);
  EXPECT_TRUE(frame.has_value() && frame->has_error()) << "expected an Error frame";
  auto code = frame && frame->has_error() ? frame->error().code() : v1::ERROR_CODE_UNSPECIFIED;
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) conn.receive(100ms);
      },
      client::client_error)
      << "the connection stayed open";
  return code;
}

TEST_F(RejectionTest, FrameOverTheLimitIsTooLargeAndClosesTheConnection) {
  client::native_client conn(at_desk, options());
  auto before = snapshot();
  // A header announcing 2 MiB (the default limit is 1 MiB), then some of it.
  std::string frame("\x00\x20\x00\x00", 4);
  frame += std::string(1024, 'x');
  conn.send_raw(frame);
  EXPECT_EQ(error_then_close(conn), v1::TOO_LARGE);
  EXPECT_EQ(audit_after(before, "protocol.error"), "TOO_LARGE");
  EXPECT_EQ(snapshot().alerts, before.alerts);
  expect_still_serving();
}

TEST_F(RejectionTest, RandomBytesInsteadOfAFrameAreInvalidAndCloseTheConnection) {
  client::native_client conn(at_desk, options());
  auto before = snapshot();
  std::mt19937 rng(42);
  std::string garbage("\x00\x00\x00\x40", 4);
  for (int i = 0; i < 64; ++i) garbage.push_back(static_cast<char>(rng() & 0xff));
  conn.send_raw(garbage);
  EXPECT_EQ(error_then_close(conn), v1::INVALID_ARGUMENT);
  EXPECT_EQ(audit_after(before, "protocol.error"), "INVALID_ARGUMENT");
  EXPECT_EQ(snapshot().alerts, before.alerts);
  expect_still_serving();
}

TEST_F(RejectionTest, FramesBeforeHelloAreRefused) {
  auto opts = options();
  opts.send_hello = false;
  client::native_client conn(at_desk, opts);
  v1::Frame frame;
  *frame.mutable_publish()->mutable_envelope() =
      sign_as(at_desk, make_alert("AT", {"HU"}, "no hello"));
  conn.send(frame);
  EXPECT_EQ(error_then_close(conn), v1::FAILED_PRECONDITION);
}

TEST_F(RejectionTest, AcknowledgingBeyondWhatWasDeliveredIsInvalid) {
  client::native_client hu(identity("HU/desk"), options());
  v1::Subscribe sub;
  sub.set_consumer("acks");
  ASSERT_TRUE(hu.subscribe(sub, 10s).has_subscribed());
  v1::Frame ack;
  ack.mutable_ack()->set_consumer("acks");
  ack.mutable_ack()->set_up_to_seq(1000);
  auto answer = hu.call(ack, 10s);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::INVALID_ARGUMENT);
  ack.mutable_ack()->set_consumer("never-subscribed");
  answer = hu.call(ack, 10s);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace liaison::testing
