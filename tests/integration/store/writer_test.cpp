#include "integration/store/store_fixture.hpp"

#include "core/hex.hpp"

#include <algorithm>
#include <set>
#include <thread>

namespace liaison::testing {
namespace {

using core::publish_outcome;
using core::publish_request;

class WriterTest : public store_test {};

TEST_F(WriterTest, PublishCommitsAndReturnsSeqsInOrder) {
  auto writer = start_writer();

  // Three publishes, one after the other, a millisecond apart.
  std::vector<publish_request> sent;
  for (int i = 1; i <= 3; ++i) {
    sent.push_back(make_publish_request("AT", {"DE", "FR"}));
    auto outcome = publish(*writer, sent.back());
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
    EXPECT_EQ(outcome->seq, static_cast<std::uint64_t>(i));
    EXPECT_FALSE(outcome->duplicate);
    EXPECT_EQ(outcome->received_at, clock_.now());
    clock_.advance(1ms);
  }

  // The rows hold the exact bytes and the summary.
  pqxx::connection c(db_->url());
  pqxx::nontransaction tx(c);
  auto row = tx.exec_params1(
      "SELECT origin, alert_id::text, payload, signature, key_id, priority, tlp, restriction, "
      "kind, category, recipients::text, named_recipients::text, published_by, subject, "
      "(extract(epoch from received_at) * 1000000)::bigint, "
      "(extract(epoch from created_at) * 1000000)::bigint, expires_at IS NULL, "
      "in_reply_to IS NULL, case_reference, payload_sha256 = sha256(payload) "
      "FROM alerts WHERE seq = 2");
  EXPECT_EQ(row[0].as<std::string>(), "AT");
  EXPECT_EQ(row[1].as<std::string>(), sent[1].alert_id);
  EXPECT_EQ(pqxx::binarystring(row[2]).str(), sent[1].signed_bytes.payload);
  EXPECT_EQ(pqxx::binarystring(row[3]).str(), sent[1].signed_bytes.signature);
  EXPECT_EQ(row[4].as<std::string>(), "AT-2024");
  EXPECT_EQ(row[5].as<std::string>(), "URGENT");
  EXPECT_EQ(row[6].as<std::string>(), "AMBER");
  EXPECT_EQ(row[7].as<std::string>(), "H2");
  EXPECT_EQ(row[8].as<std::string>(), "WARNING");
  EXPECT_EQ(row[9].as<std::string>(), "VEHICLE");
  EXPECT_EQ(row[10].as<std::string>(), "{DE,FR}");
  EXPECT_EQ(row[11].as<std::string>(), "{DE,FR}");
  EXPECT_EQ(row[12].as<std::string>(), "AT.desk");
  EXPECT_EQ(row[13].as<std::string>(), sent[1].subject);
  EXPECT_EQ(row[14].as<long long>(), (clock_.now() - 2ms).time_since_epoch().count());
  EXPECT_EQ(row[15].as<long long>(), sent[1].created_at.time_since_epoch().count());
  EXPECT_TRUE(row[16].as<bool>());
  EXPECT_TRUE(row[17].as<bool>());
  EXPECT_EQ(row[18].as<std::string>(), "OP-TEST-1");
  EXPECT_TRUE(row[19].as<bool>());

  // One alert_recipients row per expanded member, and the head.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM alert_recipients")[0].as<int>(), 6);
  EXPECT_EQ(tx.exec1("SELECT last_seq FROM log_head")[0].as<int>(), 3);
  auto stats = writer->stats();
  EXPECT_EQ(stats.alerts_committed, 3u);
  EXPECT_EQ(stats.audit_rows, 3u);
}

TEST_F(WriterTest, CommitListenerGetsTheNewAlertsAfterTheCommit) {
  std::mutex mutex;
  std::vector<core::stored_alert_ptr> seen;
  auto writer = start_writer([&](const std::vector<core::stored_alert_ptr>& alerts) {
    std::lock_guard lock(mutex);
    seen.insert(seen.end(), alerts.begin(), alerts.end());
  });

  auto request = make_publish_request("DE", {"AT", "HR"});
  request.recipients.named = {"AT"};
  ASSERT_TRUE(publish(*writer, request).has_value());
  // A duplicate is not a new alert.
  ASSERT_TRUE(publish(*writer, request).has_value());

  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 1u);
  const auto& a = *seen[0];
  EXPECT_EQ(a.seq, 1u);
  EXPECT_EQ(a.alert_id, request.alert_id);
  EXPECT_EQ(a.origin, "DE");
  EXPECT_EQ(a.recipients.members, (std::vector<std::string>{"AT", "HR"}));
  EXPECT_EQ(a.recipients.named, (std::vector<std::string>{"AT"}));
  EXPECT_EQ(a.prio, core::priority::urgent);
  EXPECT_EQ(a.disclosure, core::tlp::amber);
  EXPECT_EQ(a.signed_bytes.payload, request.signed_bytes.payload);
  EXPECT_EQ(a.signed_bytes.signature, request.signed_bytes.signature);
  EXPECT_EQ(a.signed_bytes.key_id, request.signed_bytes.key_id);
  EXPECT_EQ(a.received_at, clock_.now());
}

TEST_F(WriterTest, GroupCommitBatchesPublishesThatArriveTogether) {
  auto writer = start_writer();

  // 200 publishes queued without waiting for any of them.
  std::vector<std::future<core::result<publish_outcome>>> outcomes;
  for (int i = 0; i < 200; ++i) outcomes.push_back(publish_async(*writer, make_publish_request()));

  std::set<std::uint64_t> seqs;
  for (auto& f : outcomes) {
    auto outcome = get_within(f, "a publish outcome");
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
    seqs.insert(outcome->seq);
  }
  EXPECT_EQ(seqs.size(), 200u);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), 200u);

  // Far fewer transactions than publishes.
  auto stats = writer->stats();
  EXPECT_LT(stats.batches, 50u) << "batches: " << stats.batches;
  EXPECT_EQ(stats.alerts_committed, 200u);
}

TEST_F(WriterTest, TwoWritersOnTwoConnectionsYieldGaplessSeqs) {
  // Two "nodes" on the same database.
  auto node_a = start_writer();
  auto node_b = start_writer();

  // A reader polls the log while they commit: seq N+1 is never visible without seq N.
  std::atomic<bool> done{false};
  std::atomic<int> polls{0};
  std::string violation;
  std::thread poller([&] {
    pqxx::connection c(db_->url());
    while (!done.load()) {
      pqxx::nontransaction tx(c);
      auto row = tx.exec1(
          "SELECT count(*), coalesce(max(seq), 0), (SELECT last_seq FROM log_head) FROM alerts");
      const auto count = row[0].as<long long>(), max = row[1].as<long long>(),
                 head = row[2].as<long long>();
      if (count != max || head != max) {
        violation = "count " + std::to_string(count) + ", max seq " + std::to_string(max) +
                    ", head " + std::to_string(head);
        return;
      }
      ++polls;
    }
  });

  // 500 publishes through each, concurrently.
  std::vector<std::future<core::result<publish_outcome>>> a_outcomes, b_outcomes;
  std::thread a([&] {
    for (int i = 0; i < 500; ++i)
      a_outcomes.push_back(publish_async(*node_a, make_publish_request("AT")));
  });
  std::thread b([&] {
    for (int i = 0; i < 500; ++i)
      b_outcomes.push_back(publish_async(*node_b, make_publish_request("DE")));
  });
  a.join();
  b.join();

  std::vector<std::uint64_t> seqs;
  for (auto* list : {&a_outcomes, &b_outcomes}) {
    for (auto& f : *list) {
      auto outcome = get_within(f, "a publish outcome");
      ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
      seqs.push_back(outcome->seq);
    }
  }
  done = true;
  poller.join();
  EXPECT_EQ(violation, "");
  EXPECT_GT(polls.load(), 0);

  // Exactly 1..1000, each once.
  std::sort(seqs.begin(), seqs.end());
  ASSERT_EQ(seqs.size(), 1000u);
  for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "1000");
  EXPECT_EQ(admin_value("SELECT count(*) FROM audit_log"), "1000");
}

TEST_F(WriterTest, MalformedIdsAreRejectedBeforeTheDatabase) {
  auto writer = start_writer();
  auto request = make_publish_request();
  request.alert_id = "not-a-uuid";
  auto outcome = publish(*writer, request);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, core::errc::invalid_argument);

  // Text that PostgreSQL would refuse is cleaned rather than failing the batch.
  request = make_publish_request();
  request.subject = std::string("bad \0 and \xff bytes", 17);
  ASSERT_TRUE(publish(*writer, request).has_value());
}

TEST_F(WriterTest, FullQueueIsResourceExhaustedAtOnce) {
  auto section = db_->section();
  section.queue_max = 2;
  auto writer = start_writer(section, {});

  // Hold the log head so that the writer's first batch waits in the database.
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

  // Two more fill the queue; the next is refused on the caller's thread.
  auto second = publish_async(*writer, make_publish_request());
  auto third = publish_async(*writer, make_publish_request());
  auto refused = publish_async(*writer, make_publish_request());
  ASSERT_EQ(refused.wait_for(0s), std::future_status::ready);
  auto outcome = refused.get();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, core::errc::resource_exhausted);

  // Releasing the lock lets everything queued commit.
  lock.abort();
  EXPECT_TRUE(get_within(first, "first").has_value());
  EXPECT_TRUE(get_within(second, "second").has_value());
  EXPECT_TRUE(get_within(third, "third").has_value());
}

}  // namespace
}  // namespace liaison::testing
