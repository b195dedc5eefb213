// The alert history against a real PostgreSQL: filters and full-text search
// over the indexed payload text, an alert's timeline from the audit rows that
// delivered, withheld and acknowledged it, and keyset pages that neither skip
// nor repeat a row while alerts are being published.
#include "integration/store/store_fixture.hpp"
#include "store/audit_store.hpp"
#include "store/history_indexer.hpp"

#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace liaison::testing {
namespace {

class HistoryTest : public store_test {
 protected:
  std::unique_ptr<store::audit_store> start_store() {
    config::audit_section a;
    a.query_threads = 2;
    auto s = std::make_unique<store::audit_store>(db_->section(), a);
    s->start();
    return s;
  }

  // The decoder: the text the test attached to each payload.
  std::unique_ptr<store::history_indexer> start_indexer() {
    auto i = std::make_unique<store::history_indexer>(
        db_->section(), [this](std::string_view payload) -> std::optional<store::search_text> {
          std::lock_guard lock(mutex_);
          auto it = texts_.find(std::string(payload));
          return it == texts_.end() ? store::search_text{} : it->second;
        });
    i->start();
    return i;
  }

  core::publish_request alert(const std::string& origin, std::vector<std::string> to,
                              std::string body,
                              std::vector<std::pair<std::string, std::string>> entities) {
    auto r = make_publish_request(origin, std::move(to));
    std::lock_guard lock(mutex_);
    texts_[r.signed_bytes.payload] = store::search_text{std::move(body), std::move(entities)};
    return r;
  }

  std::vector<std::uint64_t> seqs(store::audit_store& s, audit::alert_filter f) {
    auto page = call_within<core::result<store::alert_page>>(
        [&](auto done) { s.list_alerts(f, 0, 1000, std::nullopt, done); }, "a history page");
    EXPECT_TRUE(page.has_value()) << page.error().message;
    std::vector<std::uint64_t> out;
    for (const auto& a : page->alerts) out.push_back(a.seq);
    return out;
  }

  void wait_for_index() {
    wait_until(
        [&] {
          return admin_value(
                     "SELECT (alerts_seq = (SELECT last_seq FROM log_head) AND audit_id = (SELECT "
                     "last_id "
                     "FROM audit_head))::text FROM history_index_state") == "true";
        },
        "the history index catches up");
  }

  std::mutex mutex_;
  std::map<std::string, store::search_text> texts_;
};

using seq_list = std::vector<std::uint64_t>;

TEST_F(HistoryTest, FiltersSearchAndTimeline) {
  auto writer = start_writer();
  // Three alerts: AT to DE and FR, HU to AT (a RED person alert), DE's reply to the first.
  auto first =
      alert("AT", {"DE", "FR"}, "Seen near Nickelsdorf at dawn", {{"VEHICLE_PLATE", "W-12345"}});
  auto second =
      alert("HU", {"AT"}, "Payments through a shell company", {{"IBAN", "AT611904300234573201"}});
  second.cat = core::category::person;
  second.disclosure = core::tlp::red;
  second.subject = "Network organiser";
  auto reply = alert("DE", {"AT"}, "Plate known to us", {});
  reply.kind = core::alert_kind::reply;
  reply.in_reply_to = first.alert_id;
  for (auto* r : {&first, &second, &reply}) ASSERT_TRUE(publish(*writer, *r).has_value());

  // DE's consumer received seqs 1 and 3 and acknowledged up to 3; FR's was refused seq 1.
  pqxx::connection setup(db_->url());
  {
    pqxx::work tx(setup);
    tx.exec("INSERT INTO consumers (principal, name, member) VALUES ('DE.desk', 'main', 'DE')");
    tx.commit();
  }
  ASSERT_TRUE(writer->audit({clock_.now(), "DE.desk", "DE", "consumer.deliver", "main", "ok",
                             R"({"member":"DE","seqs":[1,3]})"}));
  ASSERT_TRUE(writer->audit({clock_.now(), "FR.desk", "FR", "consumer.withhold", "main", "ok",
                             R"({"seq":1,"member":"FR","reason":"clearance"})"}));
  auto promise = std::make_shared<std::promise<core::result<void>>>();
  auto acked = promise->get_future();
  writer->ack({"DE.desk", "main"}, std::nullopt, 3,
              {clock_.now(), "DE.desk", "DE", "consumer.ack", "main", "ok",
               R"({"member":"DE","from_seq":1,"up_to_seq":3})"},
              [promise](core::result<void> r) { promise->set_value(r); });
  ASSERT_TRUE(get_within(acked, "the ack").has_value());

  auto indexer = start_indexer();
  wait_for_index();
  auto store = start_store();

  EXPECT_EQ(seqs(*store, {}), (seq_list{1, 2, 3}));
  audit::alert_filter f;
  f.origins = {"AT"};
  EXPECT_EQ(seqs(*store, f), (seq_list{1}));
  f = {};
  f.recipients = {"AT"};
  EXPECT_EQ(seqs(*store, f), (seq_list{2, 3}));
  f = {};
  f.categories = {core::category::person};
  f.tlps = {core::tlp::red};
  EXPECT_EQ(seqs(*store, f), (seq_list{2}));
  f = {};
  f.kinds = {core::alert_kind::reply};
  EXPECT_EQ(seqs(*store, f), (seq_list{3}));
  f = {};
  f.text = "nickelsdorf";
  EXPECT_EQ(seqs(*store, f), (seq_list{1}));
  f.text = "AT611904300234573201";
  EXPECT_EQ(seqs(*store, f), (seq_list{2}));
  f.text = "organiser";  // the subject
  EXPECT_EQ(seqs(*store, f), (seq_list{2}));
  f.text = "\"plate known\" -nickelsdorf";
  EXPECT_EQ(seqs(*store, f), (seq_list{3}));
  f.text = "'; DROP TABLE alerts; --";
  EXPECT_EQ(seqs(*store, f), (seq_list{}));
  EXPECT_EQ(admin_value("SELECT count(*) FROM alerts"), "3");
  f = {};
  f.entities = {"VEHICLE_PLATE:W-12345"};
  EXPECT_EQ(seqs(*store, f), (seq_list{1}));
  f.entities = {"VEHICLE_PLATE:W-12345", "IBAN:AT611904300234573201"};
  EXPECT_EQ(seqs(*store, f), (seq_list{}));
  f = {};
  f.from = clock_.now() + std::chrono::seconds(1);
  EXPECT_EQ(seqs(*store, f), (seq_list{}));
  f.from = clock_.now() - std::chrono::hours(1);
  f.to = clock_.now() + std::chrono::seconds(1);
  EXPECT_EQ(seqs(*store, f), (seq_list{1, 2, 3}));

  // The first alert's timeline and its reply.
  auto d = call_within<core::result<store::alert_detail>>(
      [&](auto done) { store->alert(first.alert_id, "", done); }, "an alert");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->envelope.payload, first.signed_bytes.payload);
  std::multiset<std::string> actions;
  for (const auto& e : d->events) actions.insert(e.event.action + " " + e.event.actor);
  EXPECT_EQ(actions,
            (std::multiset<std::string>{"alert.publish AT.desk", "consumer.deliver DE.desk",
                                        "consumer.withhold FR.desk", "consumer.ack DE.desk"}));
  ASSERT_EQ(d->replies.size(), 1u);
  EXPECT_EQ(d->replies[0].alert_id, reply.alert_id);
  // The second alert went to AT only: DE's delivery and ack do not concern it.
  auto other = call_within<core::result<store::alert_detail>>(
      [&](auto done) { store->alert(second.alert_id, "HU", done); }, "an alert");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->events.size(), 1u);
  auto missing = call_within<core::result<store::alert_detail>>(
      [&](auto done) { store->alert(random_uuid(), "", done); }, "no alert");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::errc::not_found);
}

TEST_F(HistoryTest, PagesNeitherSkipNorRepeatWhileAlertsArePublished) {
  auto writer = start_writer();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  auto store = start_store();

  // A publisher keeps committing while the auditor walks the pages.
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int i = 0; i < 160; ++i) (void)publish(*writer, make_publish_request("HU", {"AT"}));
    done = true;
  });
  std::vector<std::uint64_t> seen;
  std::uint64_t after = 0;
  for (bool last_round = false;;) {
    auto page = call_within<core::result<store::alert_page>>(
        [&](auto cb) { store->list_alerts({}, after, 7, std::nullopt, cb); }, "a page");
    ASSERT_TRUE(page.has_value());
    for (const auto& a : page->alerts) seen.push_back(a.seq);
    if (!page->alerts.empty()) after = page->alerts.back().seq;
    if (page->alerts.size() < 7) {
      if (last_round) break;
      // The end for now; once the publisher is done, one more walk to the end.
      last_round = done.load();
      if (!last_round)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // pacing, not synchronisation
    }
  }
  publisher.join();
  ASSERT_EQ(seen.size(), 200u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

}  // namespace
}  // namespace liaison::testing
