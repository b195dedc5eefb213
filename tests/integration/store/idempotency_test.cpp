#include "integration/store/store_fixture.hpp"

#include <nlohmann/json.hpp>

namespace liaison::testing {
namespace {

class IdempotencyTest : public store_test {
 protected:
  // (outcome, detail) of the alert.publish audit rows for `alert_id`, in order.
  std::vector<std::pair<std::string, nlohmann::json>> publish_audit(const std::string& alert_id) {
    pqxx::connection c(db_->admin_url());
    pqxx::nontransaction tx(c);
    std::vector<std::pair<std::string, nlohmann::json>> out;
    for (const auto& row : tx.exec_params("SELECT outcome, detail FROM audit_log WHERE action = "
                                          "'alert.publish' AND subject = $1 "
                                          "ORDER BY id",
                                          alert_id))
      out.emplace_back(row[0].as<std::string>(), nlohmann::json::parse(row[1].as<std::string>()));
    return out;
  }
};

TEST_F(IdempotencyTest, RepublishingTheSameAlertReturnsTheOriginal) {
  auto writer = start_writer();
  auto request = make_publish_request();

  // The first publish commits.
  auto first = publish(*writer, request);
  ASSERT_TRUE(first.has_value());
  const auto original_received = clock_.now();

  // A retry later (same id and bytes) gets the original seq and time.
  clock_.advance(5s);
  auto retry = publish(*writer, request);
  ASSERT_TRUE(retry.has_value()) << retry.error().message;
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->seq, first->seq);
  EXPECT_EQ(retry->received_at, original_received);

  // The same id with other bytes is a conflict.
  auto edited = request;
  edited.signed_bytes.payload += "edited";
  auto conflict = publish(*writer, edited);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, core::errc::duplicate_conflict);
  EXPECT_EQ(conflict.error().message,
            "alert " + request.alert_id +
                " from AT was already published with different content; a sent alert is never "
                "edited: publish a correction with a new id");
  auto resigned = request;
  resigned.signed_bytes.key_id = "AT-2025";
  auto conflict2 = publish(*writer, resigned);
  ASSERT_FALSE(conflict2.has_value());
  EXPECT_EQ(conflict2.error().code, core::errc::duplicate_conflict);

  // Exactly one alert row; an audit row for each attempt.
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "1");
  EXPECT_EQ(admin_value("SELECT count(*) FROM alert_recipients"), "2");
  auto audit = publish_audit(request.alert_id);
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[0].first, "ok");
  EXPECT_EQ(audit[0].second["duplicate"], false);
  EXPECT_EQ(audit[0].second["seq"], 1);
  EXPECT_EQ(audit[0].second["origin"], "AT");
  EXPECT_EQ(audit[0].second["priority"], "URGENT");
  EXPECT_EQ(audit[0].second["tlp"], "AMBER");
  EXPECT_EQ(audit[0].second["key_id"], "AT-2024");
  EXPECT_EQ(audit[0].second["recipients"], nlohmann::json::array({"DE", "FR"}));
  EXPECT_EQ(audit[0].second["payload_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(audit[1].first, "ok");
  EXPECT_EQ(audit[1].second["duplicate"], true);
  EXPECT_EQ(audit[2].first, "DUPLICATE_CONFLICT");
  EXPECT_EQ(audit[3].first, "DUPLICATE_CONFLICT");

  // The same id from another origin is another alert.
  auto other_origin = request;
  other_origin.origin = "DE";
  auto other = publish(*writer, other_origin);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->seq, 2u);
  EXPECT_FALSE(other->duplicate);
}

TEST_F(IdempotencyTest, SameIdTwiceInOneBatch) {
  auto writer = start_writer();

  // Hold the log head so that the next publishes queue up behind a first one.
  pqxx::connection blocker(db_->admin_url());
  pqxx::work lock(blocker);
  lock.exec("SELECT * FROM log_head FOR UPDATE");
  auto first = publish_async(*writer, make_publish_request());
  wait_until(
      [&] {
        return admin_value(
                   "SELECT count(*) FROM pg_stat_activity WHERE "
                   "application_name = 'liaisond store writer' AND "
                   "wait_event_type = 'Lock'") == "1";
      },
      "the writer waits for the lock");

  // These three are queued together: an alert, its retry, and an edit of it.
  auto request = make_publish_request();
  auto edited = request;
  edited.signed_bytes.signature[0] ^= 1;
  auto original = publish_async(*writer, request);
  auto retry = publish_async(*writer, request);
  auto conflict = publish_async(*writer, edited);
  lock.abort();

  ASSERT_TRUE(get_within(first, "first").has_value());
  auto o = get_within(original, "original");
  auto r = get_within(retry, "retry");
  auto c = get_within(conflict, "conflict");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->seq, 2u);
  EXPECT_FALSE(o->duplicate);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq, 2u);
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->received_at, o->received_at);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, core::errc::duplicate_conflict);

  // They were one transaction; one row for the alert, three audit rows.
  EXPECT_EQ(writer->stats().batches, 2u);
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "2");
  EXPECT_EQ(publish_audit(request.alert_id).size(), 3u);
  EXPECT_EQ(admin_value("SELECT last_seq FROM log_head"), "2");
}

TEST_F(IdempotencyTest, TheKeyIsPermanentAcrossWriters) {
  // Node A commits an alert; node B receives the retry.
  auto node_a = start_writer();
  auto node_b = start_writer();
  auto request = make_publish_request();
  auto first = publish(*node_a, request);
  ASSERT_TRUE(first.has_value());
  auto retry = publish(*node_b, request);
  ASSERT_TRUE(retry.has_value());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->seq, first->seq);
}

}  // namespace
}  // namespace liaison::testing
