#include "integration/store/store_fixture.hpp"

namespace liaison::testing {
namespace {

using core::backlog_page;
using core::consumer_state;

class ReaderTest : public store_test {
 protected:
  void SetUp() override {
    store_test::SetUp();
    reader_ = std::make_unique<store::reader>(db_->section());
    reader_->start();
  }
  void TearDown() override {
    reader_.reset();
    store_test::TearDown();
  }

  core::result<backlog_page> backlog(const std::string& member, std::uint64_t after,
                                     std::size_t limit) {
    return call_within<core::result<backlog_page>>(
        [&](auto done) { reader_->fetch_backlog(member, after, limit, std::nullopt, done); },
        "a backlog page");
  }
  core::result<consumer_state> open(const core::consumer_key& key, const std::string& member) {
    return call_within<core::result<consumer_state>>(
        [&](auto done) { reader_->open_consumer(key, member, done); }, "a consumer");
  }
  static std::vector<std::uint64_t> seqs(const std::vector<core::stored_alert_ptr>& alerts) {
    std::vector<std::uint64_t> out;
    for (const auto& a : alerts) out.push_back(a->seq);
    return out;
  }

  std::unique_ptr<store::reader> reader_;
};

using seq_list = std::vector<std::uint64_t>;

TEST_F(ReaderTest, BacklogPagesThroughOneMembersAlerts) {
  // Five alerts: 1 DE, 2 FR, 3 DE+FR, 4 FR, 5 DE.
  auto writer = start_writer();
  std::vector<core::publish_request> sent;
  for (auto members :
       std::vector<std::vector<std::string>>{{"DE"}, {"FR"}, {"DE", "FR"}, {"FR"}, {"DE"}}) {
    sent.push_back(make_publish_request("AT", members));
    ASSERT_TRUE(publish(*writer, sent.back()).has_value());
  }

  // A full page ends at its last alert.
  auto page = backlog("DE", 0, 2);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(seqs(page->alerts), (seq_list{1, 3}));
  EXPECT_EQ(page->scanned_to, 3u);

  // A short page has scanned up to the head.
  page = backlog("DE", 3, 2);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(seqs(page->alerts), (seq_list{5}));
  EXPECT_EQ(page->scanned_to, 5u);

  // Nothing left: an empty page at the head; beyond the head, the request's own position.
  page = backlog("DE", 5, 2);
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->alerts.empty());
  EXPECT_EQ(page->scanned_to, 5u);
  page = backlog("DE", 9, 2);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->scanned_to, 9u);

  // Another member sees only its own, with everything a subscriber needs.
  page = backlog("FR", 0, 10);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(seqs(page->alerts), (seq_list{2, 3, 4}));
  EXPECT_EQ(page->scanned_to, 5u);
  const auto& a = *page->alerts[1];
  EXPECT_EQ(a.alert_id, sent[2].alert_id);
  EXPECT_EQ(a.origin, "AT");
  EXPECT_EQ(a.recipients.members, (std::vector<std::string>{"DE", "FR"}));
  EXPECT_EQ(a.recipients.named, (std::vector<std::string>{"DE", "FR"}));
  EXPECT_EQ(a.prio, core::priority::urgent);
  EXPECT_EQ(a.disclosure, core::tlp::amber);
  EXPECT_EQ(a.signed_bytes.payload, sent[2].signed_bytes.payload);
  EXPECT_EQ(a.signed_bytes.signature, sent[2].signed_bytes.signature);
  EXPECT_EQ(a.signed_bytes.key_id, sent[2].signed_bytes.key_id);
  EXPECT_EQ(a.received_at, clock_.now());

  // A member with no alerts has still scanned the whole log.
  page = backlog("SE", 0, 10);
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->alerts.empty());
  EXPECT_EQ(page->scanned_to, 5u);
}

TEST_F(ReaderTest, LogHeadIsTheHighestCommittedSeq) {
  EXPECT_EQ(reader_->log_head_blocking(), 0u);
  auto writer = start_writer();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  EXPECT_EQ(reader_->log_head_blocking(), 5u);
}

TEST_F(ReaderTest, OpenConsumerCreatesReusesAndRefusesAnotherMember) {
  auto writer = start_writer();
  ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());

  // Created at cursor 0, with the head.
  auto state = open({"DE.partner", "border-system"}, "DE");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->cursor, 0u);
  EXPECT_EQ(state->log_head, 1u);

  // Reopened: the same consumer.
  ASSERT_TRUE(ack(*writer, {"DE.partner", "border-system"}, 1).has_value());
  state = open({"DE.partner", "border-system"}, "DE");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->cursor, 1u);
  EXPECT_EQ(admin_value("SELECT count(*) FROM consumers"), "1");

  // The name is bound to its member.
  state = open({"DE.partner", "border-system"}, "FR");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().code, core::errc::failed_precondition);
}

TEST_F(ReaderTest, AckAdvancesTheCursorMonotonically) {
  auto writer = start_writer();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  const core::consumer_key key{"FR.desk", "main"};
  ASSERT_TRUE(open(key, "FR").has_value());

  // Forward to 3; an older ack does not move it back.
  ASSERT_TRUE(ack(*writer, key, 3).has_value());
  EXPECT_EQ(open(key, "FR")->cursor, 3u);
  ASSERT_TRUE(ack(*writer, key, 2).has_value());
  EXPECT_EQ(open(key, "FR")->cursor, 3u);

  // An ack beyond the head stops at the head (alerts not yet written cannot be skipped).
  ASSERT_TRUE(ack(*writer, key, 100).has_value());
  EXPECT_EQ(open(key, "FR")->cursor, 5u);

  // An unknown consumer: NOT_FOUND, and audited as such.
  auto missing = ack(*writer, {"FR.desk", "other"}, 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::errc::not_found);
  EXPECT_EQ(
      admin_value(
          "SELECT outcome FROM audit_log WHERE action = 'consumer.ack' ORDER BY id DESC LIMIT 1"),
      "NOT_FOUND");
  EXPECT_EQ(admin_value("SELECT count(*) FROM audit_log WHERE action = 'consumer.ack'"), "4");
}

TEST_F(ReaderTest, LostConnectionFailsTheReadAndTheReaderRecovers) {
  auto writer = start_writer();
  ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  wait_until([&] { return backends("liaisond store reader").size() == 2; }, "both readers connect");

  // Every reader connection is killed while idle.
  terminate_backends("liaisond store reader");

  // Reads fail with UNAVAILABLE or succeed (on a reconnected thread); never anything else...
  int unavailable = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = backlog("DE", 0, 1);
    if (!r.has_value()) {
      EXPECT_EQ(r.error().code, core::errc::unavailable);
      ++unavailable;
    }
  }
  EXPECT_GT(unavailable, 0);
  // ...and soon they succeed again.
  wait_until([&] { return backlog("DE", 0, 1).has_value(); }, "reads succeed again");
}

}  // namespace
}  // namespace liaison::testing
