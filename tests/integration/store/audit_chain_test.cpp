#include "integration/store/store_fixture.hpp"

#include "audit/chain.hpp"

namespace liaison::testing {
namespace {

class AuditChainTest : public store_test {};

core::audit_event event(std::string action, core::time_point at, std::string detail) {
  core::audit_event e;
  e.at = at;
  e.actor = "tls:192.0.2.7:51234";
  e.action = std::move(action);
  e.subject = "";
  e.outcome = "UNAUTHENTICATED";
  e.detail = std::move(detail);
  return e;
}

TEST_F(AuditChainTest, TheStoredChainRecomputesFromGenesis) {
  auto writer = start_writer();

  // A mix of publishes, queued audit events (one with an odd microsecond
  // timestamp and non-ASCII detail, one with bytes that are not UTF-8) and acks.
  auto request = make_publish_request();
  ASSERT_TRUE(publish(*writer, request).has_value());
  ASSERT_TRUE(publish(*writer, request).has_value());  // duplicate
  const auto odd_time = core::time_point{core::duration{1'700'000'000'123'457}};
  ASSERT_TRUE(writer->audit(
      event("auth.connect", odd_time, R"({"reason":"Zertifikat ungültig – 証明書"})")));
  ASSERT_TRUE(
      writer->audit(event("protocol.error", clock_.now(), std::string("{\"raw\":\"\xff\xfe\"}"))));
  wait_until([&] { return writer->stats().audit_rows == 4; }, "the audit events are written");
  ASSERT_TRUE(publish(*writer, make_publish_request("FR", {"BE"})).has_value());
  pqxx::connection setup(db_->url());
  {
    pqxx::work tx(setup);
    tx.exec("INSERT INTO consumers (principal, name, member) VALUES ('BE.desk', 'main', 'BE')");
    tx.commit();
  }
  ASSERT_TRUE(ack(*writer, {"BE.desk", "main"}, 2).has_value());
  ASSERT_FALSE(ack(*writer, {"BE.desk", "nope"}, 2).has_value());

  // Read the rows back as a verifier would, `at` through the epoch expression.
  pqxx::connection c(db_->admin_url());
  pqxx::nontransaction tx(c);
  auto rows = tx.exec(
      "SELECT id, (extract(epoch from at) * 1000000)::bigint, actor, actor_member, action, "
      "subject, outcome, detail, prev_hash, row_hash FROM audit_log ORDER BY id");
  ASSERT_EQ(rows.size(), 7u);

  audit::digest previous = audit::genesis_hash;
  std::uint64_t expected_id = 1;
  bool saw_odd_time = false;
  for (const auto& row : rows) {
    core::audit_event e;
    e.at = core::time_point{core::duration{row[1].as<long long>()}};
    e.actor = row[2].as<std::string>();
    e.actor_member = row[3].as<std::string>();
    e.action = row[4].as<std::string>();
    e.subject = row[5].as<std::string>();
    e.outcome = row[6].as<std::string>();
    e.detail = row[7].as<std::string>();
    const auto id = row[0].as<std::uint64_t>();
    EXPECT_EQ(id, expected_id++);
    EXPECT_EQ(pqxx::binarystring(row[8]).str(), std::string(crypto::as_bytes(previous)));
    const auto hash = audit::chain_hash(previous, id, e);
    EXPECT_EQ(pqxx::binarystring(row[9]).str(), std::string(crypto::as_bytes(hash)))
        << "row " << id << " (" << e.action << ")";
    previous = hash;
    saw_odd_time = saw_odd_time || e.at == odd_time;
  }
  EXPECT_TRUE(saw_odd_time);

  // The order: publishes, then queued events, then acks (per batch).
  EXPECT_EQ(rows[0][4].as<std::string>(), "alert.publish");
  EXPECT_EQ(rows[2][4].as<std::string>(), "auth.connect");
  EXPECT_EQ(rows[2][7].as<std::string>(), R"({"reason":"Zertifikat ungültig – 証明書"})");
  EXPECT_EQ(rows[3][7].as<std::string>(), "{\"raw\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");  // cleaned
  EXPECT_EQ(rows[5][4].as<std::string>(), "consumer.ack");
  EXPECT_EQ(rows[5][6].as<std::string>(), "ok");
  EXPECT_EQ(rows[6][6].as<std::string>(), "NOT_FOUND");

  // The head is the last row.
  auto head = tx.exec1("SELECT last_id, last_hash FROM audit_head");
  EXPECT_EQ(head[0].as<std::uint64_t>(), 7u);
  EXPECT_EQ(pqxx::binarystring(head[1]).str(), std::string(crypto::as_bytes(previous)));
}

TEST_F(AuditChainTest, AuditEventsWaitInTheQueueUntilTheNextBatch) {
  auto writer = start_writer();
  ASSERT_TRUE(writer->audit(event("server.start", clock_.now(), "{}")));
  wait_until([&] { return writer->stats().audit_rows == 1; }, "the audit row is written");
  EXPECT_EQ(admin_value("SELECT action FROM audit_log"), "server.start");
  EXPECT_EQ(admin_value("SELECT last_id FROM audit_head"), "1");
}

}  // namespace
}  // namespace liaison::testing
