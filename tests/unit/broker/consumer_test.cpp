// The durable consumer's switch from backlog to live, told as stories with an
// in-memory log (fake) and a bounded sink (fake): no gap, no duplicate, no
// reordering, whatever the interleaving.
#include "broker/consumer.hpp"
#include "broker/hub.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace liaison::broker {
namespace {

core::stored_alert_ptr alert(std::uint64_t seq, std::vector<std::string> members,
                             core::tlp level = core::tlp::amber,
                             std::vector<std::string> named = {},
                             core::priority prio = core::priority::routine) {
  auto a = std::make_shared<core::stored_alert>();
  a->prio = prio;
  a->seq = seq;
  a->alert_id = "id-" + std::to_string(seq);
  a->origin = "AT";
  a->recipients.members = std::move(members);
  a->recipients.named = named.empty() ? a->recipients.members : std::move(named);
  a->disclosure = level;
  return a;
}

// The committed log. A fetch takes its snapshot when it is issued (the worst
// case for the consumer) and completes only when the test says so.
class fake_log final : public backlog_source {
 public:
  std::vector<core::stored_alert_ptr> committed;
  struct pending {
    core::backlog_page page;
    std::function<void(core::result<core::backlog_page>)> done;
  };
  std::deque<pending> fetches;

  void fetch_backlog(std::string member, std::uint64_t after, std::size_t limit,
                     std::optional<core::priority> lane,
                     std::function<void(core::result<core::backlog_page>)> done) override {
    core::backlog_page page;
    std::uint64_t head = committed.empty() ? 0 : committed.back()->seq;
    page.scanned_to = std::max(after, head);
    for (const auto& a : committed) {
      if (a->seq <= after) continue;
      if (lane && a->prio != *lane) continue;
      const auto& m = a->recipients.members;
      if (std::find(m.begin(), m.end(), member) == m.end()) continue;
      if (page.alerts.size() == limit) {
        page.scanned_to = page.alerts.back()->seq;
        break;
      }
      page.alerts.push_back(a);
    }
    fetches.push_back({std::move(page), std::move(done)});
  }

  void complete_next() {
    ASSERT_FALSE(fetches.empty()) << "no fetch is pending";
    auto p = std::move(fetches.front());
    fetches.pop_front();
    p.done(std::move(p.page));
  }
  void complete_all() {
    while (!fetches.empty()) complete_next();
  }
};

class fake_sink final : public delivery_sink {
 public:
  explicit fake_sink(std::size_t capacity = 1000) : capacity_(capacity) {}
  std::vector<std::uint64_t> queued;     // offered and not yet "written"
  std::vector<std::uint64_t> delivered;  // everything accepted, in order
  std::vector<core::priority> lanes;     // the queue of each delivery
  std::vector<std::string> failures;

  // One bound for the ROUTINE queue (where a backlog piles up); the FLASH
  // and URGENT queues have room, as in the outbox.
  bool offer(const std::string&, const core::stored_alert_ptr& a, core::priority lane) override {
    if (lane == core::priority::routine && queued.size() >= capacity_) return false;
    if (lane == core::priority::routine) queued.push_back(a->seq);
    delivered.push_back(a->seq);
    lanes.push_back(lane);
    return true;
  }
  bool wants_more(core::priority lane) const override {
    return lane != core::priority::routine || queued.size() < capacity_ / 2 + 1;
  }
  void consumer_failed(const std::string&, const core::error& why) override {
    failures.push_back(why.message);
  }
  void drain() { queued.clear(); }

 private:
  std::size_t capacity_;
};

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto s = from; s <= to; ++s) out.push_back(s);
  return out;
}

class ConsumerTest : public ::testing::Test {
 protected:
  fake_log log;
  std::shared_ptr<fake_sink> sink = std::make_shared<fake_sink>();
  std::vector<core::audit_event> audits;

  std::shared_ptr<consumer> make(hub& h, std::uint64_t position, std::size_t page = 100,
                                 core::tlp clearance = core::tlp::red, bool lanes = false) {
    consumer::start from;
    for (std::size_t i = 0; i < (lanes ? core::lane_count : 1); ++i) {
      from.positions.push_back(position);
      from.cursors.push_back(position);
    }
    return std::make_shared<consumer>(
        consumer_identity{{"HU.desk", "console"}, "HU", clearance, "", lanes}, from, sink, h, log,
        page, [this](core::audit_event e) { audits.push_back(e); },
        [] { return core::time_point{}; });
  }
  void commit(hub& h, std::vector<core::stored_alert_ptr> alerts) {
    for (auto& a : alerts) log.committed.push_back(a);
    h.fan_out(alerts);
  }
  // A consumer on the live path whose sink holds four ROUTINE alerts.
  std::shared_ptr<consumer> live_with_small_sink(hub& h) {
    sink = std::make_shared<fake_sink>(4);
    auto c = make(h, 0);
    c->start_delivery();
    log.complete_next();
    return c;
  }
  // The connection drains until `count` alerts were delivered; the consumer
  // reads the rest from the log in pages that fit the sink.
  void drain_until(consumer& c, std::size_t count) {
    while (sink->delivered.size() < count) {
      sink->drain();
      c.on_room();
      log.complete_all();
    }
  }
};

TEST_F(ConsumerTest, CatchesUpFromTheLogThenGoesLive) {
  hub h(0);
  commit(h, {alert(1, {"HU"}), alert(2, {"RS"}), alert(3, {"HU", "RS"})});
  auto c = make(h, 0);
  c->start_delivery();
  log.complete_next();
  EXPECT_TRUE(c->is_live());
  commit(h, {alert(4, {"HU"})});
  EXPECT_EQ(sink->delivered, (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST_F(ConsumerTest, AlertsFannedOutDuringTheBacklogReadAreNotLost) {
  hub h(0);
  commit(h, {alert(1, {"HU"}), alert(2, {"HU"})});
  auto c = make(h, 0);
  c->start_delivery();                              // the fetch sees seqs 1-2...
  commit(h, {alert(3, {"HU"}), alert(4, {"HU"})});  // ...while 3-4 go live without us
  log.complete_next();
  // The hub is past what the page scanned: the consumer reads again instead
  // of going live with a hole.
  EXPECT_FALSE(c->is_live());
  log.complete_all();
  EXPECT_TRUE(c->is_live());
  commit(h, {alert(5, {"HU"})});
  EXPECT_EQ(sink->delivered, range(1, 5));
}

TEST_F(ConsumerTest, OverlapBetweenBacklogAndLiveIsDeliveredOnce) {
  hub h(0);
  // Committed in the database, not yet fanned out by the hub.
  log.committed = {alert(1, {"HU"}), alert(2, {"HU"}), alert(3, {"HU"})};
  auto c = make(h, 0);
  c->start_delivery();
  log.complete_next();
  ASSERT_TRUE(c->is_live());
  h.fan_out({alert(1, {"HU"}), alert(2, {"HU"}), alert(3, {"HU"})});  // the hub catches up late
  commit(h, {alert(4, {"HU"})});
  EXPECT_EQ(sink->delivered, range(1, 4));
}

TEST_F(ConsumerTest, PagesUntilTheHeadWhenTheBacklogIsLong) {
  hub h(0);
  for (std::uint64_t s = 1; s <= 25; ++s) commit(h, {alert(s, {"HU"})});
  auto c = make(h, 0, /*page=*/10);
  c->start_delivery();
  log.complete_all();
  EXPECT_TRUE(c->is_live());
  EXPECT_EQ(sink->delivered, range(1, 25));
}

TEST_F(ConsumerTest, FullSinkLeavesTheLivePathAndCatchesUpInOrder) {
  hub h(0);
  auto c = live_with_small_sink(h);
  ASSERT_TRUE(c->is_live());
  // Ten alerts arrive while the connection writes nothing.
  for (std::uint64_t s = 1; s <= 10; ++s) commit(h, {alert(s, {"HU"})});
  EXPECT_FALSE(c->is_live());
  EXPECT_EQ(sink->delivered, range(1, 4));
  EXPECT_EQ(h.attached_count(), 0u);  // no longer slows the fan-out
  // The connection drains; the consumer reads the rest from the log, in pages
  // that fit the sink.
  drain_until(*c, 10);
  EXPECT_EQ(sink->delivered, range(1, 10));
  sink->drain();
  c->on_room();
  log.complete_all();
  EXPECT_TRUE(c->is_live());
}

TEST_F(ConsumerTest, LagIsMeasuredWhileCatchingUpAndZeroOnTheLivePath) {
  using namespace std::chrono_literals;
  hub h(0);
  auto c = live_with_small_sink(h);
  ASSERT_TRUE(c->is_live());
  EXPECT_EQ(c->lag(h.last_seq(), core::time_point{} + 1h).seqs, 0u);
  // Alerts committed at t = 1 s ... 10 s; the connection writes nothing, so
  // the consumer leaves the live path after four.
  for (std::uint64_t s = 1; s <= 10; ++s) {
    auto a = std::const_pointer_cast<core::stored_alert>(alert(s, {"HU"}));
    a->received_at = core::time_point{} + std::chrono::seconds(s);
    commit(h, {a});
  }
  ASSERT_FALSE(c->is_live());
  const auto lag = c->lag(h.last_seq(), core::time_point{} + 64s);
  EXPECT_EQ(lag.seqs, 6u);              // delivered up to 4 of 10
  EXPECT_DOUBLE_EQ(lag.seconds, 60.0);  // the last delivered was committed at 4 s
  // Room again: it reads the rest and goes live; no lag.
  drain_until(*c, 10);
  sink->drain();
  c->on_room();
  log.complete_all();
  ASSERT_TRUE(c->is_live());
  EXPECT_EQ(c->lag(h.last_seq(), core::time_point{} + 64s).seqs, 0u);
  EXPECT_EQ(c->lag(h.last_seq(), core::time_point{} + 64s).seconds, 0.0);
}

TEST_F(ConsumerTest, StartsAfterTheGivenPosition) {
  hub h(0);
  commit(h, {alert(1, {"HU"}), alert(2, {"HU"}), alert(3, {"HU"})});
  auto c = make(h, 2);
  c->start_delivery();
  log.complete_all();
  EXPECT_EQ(sink->delivered, (std::vector<std::uint64_t>{3}));
}

TEST_F(ConsumerTest, AlertsAboveClearanceAreWithheldAuditedAndPassed) {
  hub h(0);
  commit(h, {alert(1, {"HU"}, core::tlp::red), alert(2, {"HU"}, core::tlp::amber)});
  auto c = make(h, 0, 100, core::tlp::amber);  // a partner system's clearance
  c->start_delivery();
  log.complete_all();
  EXPECT_EQ(sink->delivered, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(c->position(0), 2u);  // the cursor may move past the withheld alert
  ASSERT_EQ(audits.size(), 1u);
  EXPECT_EQ(audits[0].action, "consumer.withhold");
}

TEST_F(ConsumerTest, RedThroughAGroupIsWithheldEvenFromADesk) {
  hub h(0);
  auto c = make(h, 0);
  c->start_delivery();
  log.complete_all();
  commit(h, {alert(1, {"HU", "RS"}, core::tlp::red, {"RS"})});  // HU only via a group
  commit(h, {alert(2, {"HU"}, core::tlp::red, {"HU"})});        // HU named explicitly
  EXPECT_EQ(sink->delivered, (std::vector<std::uint64_t>{2}));
}

TEST_F(ConsumerTest, FailedBacklogReadTellsTheClient) {
  hub h(0);
  auto c = make(h, 0);
  c->start_delivery();
  auto p = std::move(log.fetches.front());
  log.fetches.clear();
  p.done(core::make_error(core::errc::unavailable, "database unavailable"));
  ASSERT_EQ(sink->failures.size(), 1u);
  EXPECT_NE(sink->failures[0].find("subscribe again"), std::string::npos);
}

TEST_F(ConsumerTest, StoppedConsumerReceivesNothing) {
  hub h(0);
  auto c = make(h, 0);
  c->start_delivery();
  log.complete_all();
  c->stop();
  commit(h, {alert(1, {"HU"})});
  EXPECT_TRUE(sink->delivered.empty());
  EXPECT_EQ(h.attached_count(), 0u);
}

// --- priority lanes ---

core::stored_alert_ptr flash(std::uint64_t seq) {
  return alert(seq, {"HU"}, core::tlp::amber, {}, core::priority::flash);
}
core::stored_alert_ptr urgent(std::uint64_t seq) {
  return alert(seq, {"HU"}, core::tlp::amber, {}, core::priority::urgent);
}

TEST_F(ConsumerTest, WithLanesAFlashOvertakesARoutineBacklog) {
  sink = std::make_shared<fake_sink>(4);
  hub h(0);
  for (std::uint64_t s = 1; s <= 20; ++s) commit(h, {alert(s, {"HU"})});  // ROUTINE backlog
  auto c = make(h, 0, /*page=*/4, core::tlp::red, /*lanes=*/true);
  c->start_delivery();
  log.complete_all();  // FLASH and URGENT lanes find nothing and go live
  ASSERT_TRUE(c->is_live(core::lane_index(core::priority::flash)));
  EXPECT_FALSE(c->is_live(core::lane_index(core::priority::routine)));  // the sink is full
  commit(h, {flash(21), urgent(22)});
  // Both went out at once, though ROUTINE 5..20 still wait in the database.
  EXPECT_EQ(sink->delivered, (std::vector<std::uint64_t>{1, 2, 3, 4, 21, 22}));
  EXPECT_EQ(sink->lanes[4], core::priority::flash);
  EXPECT_EQ(sink->lanes[5], core::priority::urgent);
  while (sink->delivered.size() < 22) {
    sink->drain();
    c->on_room();
    log.complete_all();
  }
  // Each lane in seq order, each alert once.
  std::vector<std::uint64_t> routine;
  for (std::size_t i = 0; i < sink->delivered.size(); ++i)
    if (sink->lanes[i] == core::priority::routine) routine.push_back(sink->delivered[i]);
  EXPECT_EQ(routine, range(1, 20));
}

TEST_F(ConsumerTest, WithoutLanesEveryPriorityWaitsInSeqOrder) {
  hub h(0);
  commit(h, {alert(1, {"HU"}), flash(2), urgent(3)});
  auto c = make(h, 0);
  c->start_delivery();
  log.complete_all();
  EXPECT_EQ(sink->delivered, range(1, 3));
  for (auto lane : sink->lanes) EXPECT_EQ(lane, core::priority::routine);
}

TEST_F(ConsumerTest, AcknowledgementsNameTheLaneExactlyWhenTheConsumerHasLanes) {
  hub h(0);
  commit(h, {alert(1, {"HU"}), flash(2)});
  auto laned = make(h, 0, 100, core::tlp::red, true);
  laned->start_delivery();
  log.complete_all();
  EXPECT_FALSE(laned->stream_of(std::nullopt));  // a lane-less Ack is refused
  auto f = laned->stream_of(core::priority::flash);
  ASSERT_TRUE(f);
  EXPECT_TRUE(*laned->check_ack(*f, 2));
  // Seq 1 is ROUTINE: the FLASH lane was never delivered anything at 3.
  EXPECT_FALSE(laned->check_ack(*f, 3));
  auto r = laned->stream_of(core::priority::routine);
  EXPECT_TRUE(*laned->check_ack(*r, 1));
  laned->acknowledged(*f, 2);
  EXPECT_EQ(laned->cursor(*f), 2u);
  EXPECT_EQ(laned->cursor(*r), 0u);  // lanes are acknowledged separately

  auto plain = make(h, 0);
  EXPECT_FALSE(plain->stream_of(core::priority::flash));  // no lanes: no lane in the Ack
  EXPECT_TRUE(plain->stream_of(std::nullopt));
}

TEST(HubTest, ClaimHandsOverOnlyWhenAllowedAndReleaseOnlyForgetsTheCurrentOwner) {
  hub h(0);
  fake_log log;
  auto sink = std::make_shared<fake_sink>();
  auto make = [&](std::string instance) {
    return std::make_shared<consumer>(
        consumer_identity{{"HU.desk", "c"}, "HU", core::tlp::red, std::move(instance)},
        consumer::start{{0}, {0}}, sink, h, log, 10, [](core::audit_event) {},
        [] { return core::time_point{}; });
  };
  auto never = [](const consumer&) { return false; };
  auto always = [](const consumer&) { return true; };
  auto first = make("process-1");
  auto second = make("process-2");
  // A free consumer is claimed whatever the rule.
  auto r = h.claim({"HU.desk", "c"}, first, never);
  EXPECT_TRUE(r.claimed);
  EXPECT_EQ(r.other, nullptr);
  // A held one stays with its holder unless the rule allows...
  r = h.claim({"HU.desk", "c"}, second, never);
  EXPECT_FALSE(r.claimed);
  EXPECT_EQ(r.other, first);
  // ...and the rule is asked about that holder.
  r = h.claim({"HU.desk", "c"}, second, [](const consumer& holder) {
    return holder.identity().client_instance == "process-1";
  });
  EXPECT_TRUE(r.claimed);
  EXPECT_EQ(r.other, first);
  h.release({"HU.desk", "c"}, first.get());  // stale owner: no effect
  r = h.claim({"HU.desk", "c"}, first, always);
  EXPECT_EQ(r.other, second);
  // Once its holder is gone, a consumer is free again.
  second.reset();
  first.reset();
  r = h.claim({"HU.desk", "c"}, make("process-3"), never);
  EXPECT_TRUE(r.claimed);
}

}  // namespace
}  // namespace liaison::broker
