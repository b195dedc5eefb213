// The checker of the fault-injection harness, on hand-made histories: it must
// find each kind of broken promise, and only those.
#include "faults/checker.hpp"

#include <gtest/gtest.h>

namespace liaison::faults {
namespace {

const steady::time_point t0{};

attempt ok_attempt() {
  return {t0, t0, answer::acknowledged, 0};
}

alert_record acked(const std::string& id, std::uint64_t seq, std::vector<std::string> to = {"HU"}) {
  alert_record a{id, "AT", std::move(to), {ok_attempt()}, seq, false};
  return a;
}

stored_alert row(std::uint64_t seq, const std::string& id, std::vector<std::string> to = {"HU"}) {
  return {seq, "AT", id, std::move(to)};
}

delivery got(const std::string& consumer, std::uint32_t connection, std::uint64_t seq,
             const std::string& id) {
  return {consumer, connection, seq, id, "AT", t0};
}

const std::vector<required_consumer> hu = {{"HU/faults", "HU"}};

TEST(CheckerTest, ACleanHistoryIsOk) {
  auto r = check({acked("a", 1), acked("b", 2)},
                 {got("HU/faults", 1, 1, "a"), got("HU/faults", 1, 2, "b")}, hu,
                 {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_TRUE(r.ok()) << r.examples.front();
  EXPECT_EQ(r.acknowledged, 2u);
  EXPECT_EQ(r.deliveries, 2u);
  EXPECT_EQ(r.lost + r.duplicate_deliveries + r.recovered, 0u);
}

TEST(CheckerTest, AcknowledgedButAbsentIsLost) {
  auto r =
      check({acked("a", 1), acked("b", 2)}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.lost_absent, 1u);
}

TEST(CheckerTest, AcknowledgedButNeverDeliveredToARecipientIsLost) {
  auto r = check({acked("a", 1, {"HU", "RS"})}, {got("HU/faults", 1, 1, "a")},
                 {{"HU/faults", "HU"}, {"RS/faults", "RS"}}, {{row(1, "a", {"HU", "RS"})}, 1});
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.lost_undelivered, 1u);
}

TEST(CheckerTest, StoredOrDeliveredButNeverPublishedIsUnexpected) {
  auto r = check({acked("a", 1)}, {got("HU/faults", 1, 1, "a"), got("HU/faults", 1, 2, "ghost")},
                 {}, {{row(1, "a"), row(2, "ghost")}, 2});
  EXPECT_EQ(r.unexpected_rows, 1u);
  EXPECT_EQ(r.unexpected_deliveries, 1u);
  EXPECT_FALSE(r.ok());
}

TEST(CheckerTest, ADeliveryUnderAnotherAlertsSeqIsUnexpected) {
  auto r = check({acked("a", 1), acked("b", 2)},
                 {got("HU/faults", 1, 2, "a"), got("HU/faults", 1, 2, "b")}, {},
                 {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_EQ(r.unexpected_deliveries, 1u);
}

TEST(CheckerTest, TheSameIdStoredTwiceIsADuplicateRow) {
  auto r = check({acked("a", 1)}, {}, {}, {{row(1, "a"), row(2, "a")}, 2});
  EXPECT_EQ(r.duplicate_rows, 1u);
  EXPECT_FALSE(r.ok());
}

TEST(CheckerTest, RedeliveryAfterAReconnectIsADuplicateNotAReorder) {
  auto r =
      check({acked("a", 1), acked("b", 2)},
            {got("HU/faults", 1, 1, "a"), got("HU/faults", 1, 2, "b"), got("HU/faults", 2, 2, "b")},
            hu, {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.duplicate_deliveries, 1u);
  EXPECT_EQ(r.reorders, 0u);
}

TEST(CheckerTest, SeqGoingBackwardsOnOneConnectionIsAReorder) {
  auto r = check({acked("a", 1), acked("b", 2)},
                 {got("HU/faults", 1, 2, "b"), got("HU/faults", 1, 1, "a")}, hu,
                 {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_EQ(r.reorders, 1u);
  EXPECT_FALSE(r.ok());
}

TEST(CheckerTest, ASkippedSeqDeliveredOnALaterConnectionIsAReorder) {
  auto r = check({acked("a", 1), acked("b", 2)},
                 {got("HU/faults", 1, 2, "b"), got("HU/faults", 2, 1, "a")}, hu,
                 {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_EQ(r.reorders, 1u);
}

TEST(CheckerTest, WithoutKnownConnectionsARedeliveryIsNoReorderButASkipIs) {
  auto r = check({acked("a", 1), acked("b", 2), acked("c", 3)},
                 {got("HU/cli", 0, 1, "a"), got("HU/cli", 0, 2, "b"), got("HU/cli", 0, 1, "a"),
                  got("HU/cli", 0, 2, "b"), got("HU/cli", 0, 3, "c")},
                 {{"HU/cli", "HU"}}, {{row(1, "a"), row(2, "b"), row(3, "c")}, 3});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.duplicate_deliveries, 2u);
  auto skip =
      check({acked("a", 1), acked("b", 2)}, {got("HU/cli", 0, 2, "b"), got("HU/cli", 0, 1, "a")},
            {{"HU/cli", "HU"}}, {{row(1, "a"), row(2, "b")}, 2});
  EXPECT_EQ(skip.reorders, 1u);
}

TEST(CheckerTest, IndeterminateThatWasCommittedIsRecoveredAndMustBeDelivered) {
  alert_record a{"a", "AT", {"HU"}, {{t0, t0, answer::timed_out, 0}}, 0, false};
  alert_record b{"b", "AT", {"HU"}, {{t0, t0, answer::connection_lost, 0}}, 0, false};
  auto r = check({a, b}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.indeterminate, 2u);
  EXPECT_EQ(r.indeterminate_stored, 1u);
  EXPECT_EQ(r.recovered, 1u);
  auto undelivered = check({a}, {}, hu, {{row(1, "a")}, 1});
  EXPECT_EQ(undelivered.stored_undelivered, 1u);
  EXPECT_FALSE(undelivered.ok());
}

TEST(CheckerTest, ARetryAnsweredDuplicateCountsAsRecovered) {
  alert_record a{"a", "AT", {"HU"}, {{t0, t0, answer::unavailable, 8}, ok_attempt()}, 1, true};
  auto r = check({a}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.acknowledged, 1u);
  EXPECT_EQ(r.recovered, 1u);
}

TEST(CheckerTest, ARefusalThatWasCommittedAnywayIsABrokenPromise) {
  alert_record a{"a", "AT", {"HU"}, {{t0, t0, answer::failed, 11}}, 0, false};
  auto r = check({a}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_EQ(r.failed_but_stored, 1u);
  EXPECT_FALSE(r.ok());
  // After an ambiguous attempt the refusal of a retry says nothing about the first.
  alert_record b{"a", "AT", {"HU"}, {{t0, t0, answer::timed_out, 0}, {t0, t0, answer::failed, 7}},
                 0,   false};
  auto rb = check({b}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_TRUE(rb.ok());
  EXPECT_EQ(rb.recovered, 1u);
}

TEST(CheckerTest, AcknowledgedSeqMustBeTheStoredSeq) {
  auto r = check({acked("a", 5)}, {got("HU/faults", 1, 1, "a")}, hu, {{row(1, "a")}, 1});
  EXPECT_EQ(r.ack_seq_mismatch, 1u);
}

TEST(CheckerTest, StoredRecipientsMustBeTheExpectedExpansion) {
  auto r = check({acked("a", 1, {"HU", "RS"})}, {}, {}, {{row(1, "a", {"HU"})}, 1});
  EXPECT_EQ(r.recipient_mismatch, 1u);
}

TEST(CheckerTest, HolesInTheLogAreSeqGaps) {
  auto r = check({acked("a", 1), acked("c", 3)}, {}, {}, {{row(1, "a"), row(3, "c")}, 3});
  EXPECT_EQ(r.seq_gaps, 1u);
  auto head = check({acked("a", 1)}, {}, {}, {{row(1, "a")}, 2});
  EXPECT_EQ(head.seq_gaps, 1u);
}

TEST(CheckerTest, SummaryHasTheReportsWording) {
  report r;
  r.acknowledged = 10;
  r.duplicate_deliveries = 2;
  r.recovered = 1;
  auto line = summary(r, 3, "kill -9");
  EXPECT_TRUE(
      line.starts_with("10 acknowledged alerts over 3 kill -9 cycles: 0 lost, 0 unexpected, "
                       "0 duplicate rows, 2 duplicate deliveries, 1 recovered"))
      << line;
}

// --- escalations ---

TEST(EscalationCheckTest, EveryOpenDeadlineEscalatesOncePerLevelWithinItsDowntime) {
  using namespace std::chrono_literals;
  const wall start = wall{} + 1000h;
  std::vector<deadline_row> deadlines{{1, "RS", 2, false}, {1, "HU", 0, true}, {2, "XK", 2, false}};
  std::vector<escalation_row> escalations{{1, "RS", 1, start, start + 200ms},
                                          {1, "RS", 2, start + 3s, start + 3s + 300ms},
                                          {2, "XK", 1, start, start + 5s},  // 4.5 s of it down
                                          {2, "XK", 2, start + 3s, start + 5s + 100ms}};
  std::vector<std::pair<wall, wall>> down{{start + 200ms, start + 4800ms}};
  auto r = check_escalations(deadlines, escalations, 2, down, 1000ms);
  EXPECT_TRUE(r.ok()) << r.examples.size();
  EXPECT_LT(r.max_late_ms, 1000);

  // A level missing, one twice, one late beyond its downtime: each counted.
  escalations.erase(escalations.begin() + 1);                           // RS level 2 lost
  escalations.push_back({2, "XK", 2, start + 3s, start + 5s + 200ms});  // XK level 2 twice
  escalations.push_back({3, "AL", 1, start, start + 9s});  // late, no downtime after start+4.8s
  deadlines.push_back({3, "AL", 1, true});
  r = check_escalations(deadlines, escalations, 2, down, 1000ms);
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_EQ(r.late, 1u);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.examples.empty());
}

}  // namespace
}  // namespace liaison::faults
