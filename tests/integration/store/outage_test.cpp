#include "integration/store/store_fixture.hpp"

namespace liaison::testing {
namespace {

class OutageTest : public store_test {
 protected:
  // Publishes and records whether the writer reported itself disconnected
  // when the outcome was delivered (it may reconnect right after).
  struct observed {
    core::result<core::publish_outcome> outcome;
    bool connected_at_completion;
  };
  static std::future<observed> publish_observed(store::writer& w, core::publish_request r) {
    auto promise = std::make_shared<std::promise<observed>>();
    auto future = promise->get_future();
    w.publish(std::move(r), [promise, &w](core::result<core::publish_outcome> outcome) {
      promise->set_value(observed{std::move(outcome), w.connected()});
    });
    return future;
  }

  std::string alerts_with_id(const std::string& id) {
    pqxx::connection c(db_->admin_url());
    pqxx::nontransaction tx(c);
    return tx.exec_params1("SELECT count(*) FROM alerts WHERE alert_id = $1", id)[0].c_str();
  }
};

TEST_F(OutageTest, PublishInFlightWhenTheConnectionDiesIsUnavailableNeverAcknowledged) {
  auto writer = start_writer();
  ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());

  // The writer's next transaction waits on the log head, held by an admin session...
  pqxx::connection blocker(db_->admin_url());
  pqxx::work lock(blocker);
  lock.exec("SELECT * FROM log_head FOR UPDATE");
  auto request = make_publish_request();
  auto in_flight = publish_observed(*writer, request);
  wait_until(
      [&] {
        return admin_value(
                   "SELECT count(*) FROM pg_stat_activity WHERE "
                   "application_name = 'liaisond store writer' AND "
                   "wait_event_type = 'Lock'") == "1";
      },
      "the writer's transaction is in flight");

  // ...when its connection is terminated.
  terminate_backends("liaisond store writer");
  lock.abort();

  // The publish is UNAVAILABLE, the writer says so, and nothing was stored.
  auto seen = get_within(in_flight, "the in-flight publish");
  ASSERT_FALSE(seen.outcome.has_value());
  EXPECT_EQ(seen.outcome.error().code, core::errc::unavailable);
  EXPECT_FALSE(seen.connected_at_completion);
  EXPECT_EQ(alerts_with_id(request.alert_id), "0");

  // The writer reconnects by itself; the retry commits as new, with the next seq.
  wait_until([&] { return writer->connected(); }, "the writer reconnects");
  auto retry = publish(*writer, request);
  ASSERT_TRUE(retry.has_value()) << retry.error().message;
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(retry->seq, 2u);
  EXPECT_EQ(writer->stats().failed_batches, 1u);
}

TEST_F(OutageTest, PublishAfterTheConnectionDiedIsUnavailableThenTheWriterRecovers) {
  auto writer = start_writer();
  ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());

  // The idle writer's connection is terminated.
  terminate_backends("liaisond store writer");

  // The next publish finds out: UNAVAILABLE, never a success without a commit.
  auto request = make_publish_request();
  auto after = publish_observed(*writer, request);
  auto seen = get_within(after, "the publish after the outage");
  if (seen.outcome.has_value()) {
    EXPECT_EQ(alerts_with_id(request.alert_id), "1");
  } else {
    EXPECT_EQ(seen.outcome.error().code, core::errc::unavailable);
    EXPECT_FALSE(seen.connected_at_completion);
    EXPECT_EQ(alerts_with_id(request.alert_id), "0");
  }

  // Later publishes succeed on the new connection, seqs still gapless.
  wait_until([&] { return writer->connected(); }, "the writer reconnects");
  auto later = publish(*writer, make_publish_request());
  ASSERT_TRUE(later.has_value()) << later.error().message;
  EXPECT_EQ(later->seq, std::stoull(admin_value("SELECT count(*) FROM alerts")));
  EXPECT_EQ(admin_value("SELECT max(seq) = count(*) FROM alerts"), "t");
}

TEST_F(OutageTest, AuditEventsSurviveALostConnection) {
  auto writer = start_writer();
  terminate_backends("liaisond store writer");

  // The event's batch fails on the dead connection; the event waits and is written after.
  core::audit_event e;
  e.at = clock_.now();
  e.actor = "server";
  e.action = "config.reload";
  e.outcome = "ok";
  e.detail = "{}";
  ASSERT_TRUE(writer->audit(e));
  wait_until([&] { return writer->stats().audit_rows == 1; }, "the audit row is written");
  EXPECT_EQ(admin_value("SELECT action FROM audit_log"), "config.reload");
  EXPECT_EQ(writer->stats().audit_dropped, 0u);
}

TEST_F(OutageTest, WithoutADatabasePublishesFailAtOnce) {
  auto section = db_->section();
  section.url = "postgresql://liaison@127.0.0.1:1/nowhere";
  store::writer writer(section, clock_.fn(), {});
  writer.start();
  EXPECT_FALSE(writer.connected());

  auto outcome = publish(writer, make_publish_request());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, core::errc::unavailable);
  EXPECT_EQ(outcome.error().message, "database unavailable; nothing was stored, retry");

  // Acks too; stopping completes and joins.
  auto acked = ack(writer, {"AT.desk", "main"}, 1);
  ASSERT_FALSE(acked.has_value());
  EXPECT_EQ(acked.error().code, core::errc::unavailable);
  writer.stop();
  EXPECT_FALSE(writer.connected());
}

}  // namespace
}  // namespace liaison::testing
