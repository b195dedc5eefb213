// The store's pure helpers (no database needed): SQL parameter encodings and
// the batch decisions.
#include "store/detail/batch_plan.hpp"
#include "store/detail/sql_codec.hpp"
#include "support/publish_requests.hpp"

#include <gtest/gtest.h>

namespace liaison::store::detail {
namespace {

using namespace std::chrono_literals;

core::time_point micros(std::int64_t us) {
  return core::time_point{core::duration{us}};
}

TEST(SqlCodecTest, TimestampsAreExactToTheMicrosecond) {
  EXPECT_EQ(sql_timestamp(micros(0)), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(sql_timestamp(micros(1'700'000'000'123'457)), "2023-11-14 22:13:20.123457+00");
  EXPECT_EQ(sql_timestamp(micros(-1)), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(sql_timestamp(micros(951'782'400'000'001)), "2000-02-29 00:00:00.000001+00");
}

TEST(SqlCodecTest, ArraysQuoteEveryElement) {
  EXPECT_EQ(sql_text_array({}), "{}");
  EXPECT_EQ(sql_text_array({"AT", "a\"b", "c\\d", "NULL"}), R"({"AT","a\"b","c\\d","NULL"})");
  EXPECT_EQ(sql_bytea(std::string("\0\xff", 2)), "\\x00ff");
}

TEST(SqlCodecTest, ArrayParametersQuoteElementsAndHexEncodeBytea) {
  // Given one element of each kind
  sql_array a;
  a.add("AT");
  a.add("a\"b\\c");
  a.add(std::uint64_t{42});
  a.add_null();
  a.add_bytea(std::string("\0\xff", 2));
  a.add_timestamp(micros(1'700'000'000'123'457));
  // Then the array text has them in order, bytea in hex input form
  EXPECT_EQ(a.take(), R"({"AT","a\"b\\c",42,NULL,"\\x00ff","2023-11-14 22:13:20.123457+00"})");
  // And the builder starts afresh
  EXPECT_EQ(a.take(), "{}");
}

TEST(SqlCodecTest, BinaryByteaArraysHaveArrayRecvsLayout) {
  // Given two elements
  sql_binary_bytea_array a;
  a.add(std::string("\x01\x02", 2));
  a.add("");
  // Then: 1 dimension, no NULLs, element type bytea (17), 2 elements from 1,
  // each a 4-byte big-endian length and its bytes
  const std::string expected(
      "\0\0\0\x01"
      "\0\0\0\0"
      "\0\0\0\x11"
      "\0\0\0\x02"
      "\0\0\0\x01"
      "\0\0\0\x02\x01\x02"
      "\0\0\0\0",
      30);
  EXPECT_EQ(a.take(), expected);
}

TEST(SqlCodecTest, PlaceholdersNumberRowsAndColumns) {
  EXPECT_EQ(placeholders(2, {"bigint", "text"}), "($1::bigint,$2::text),($3::bigint,$4::text)");
  EXPECT_EQ(placeholders(1, {"uuid"}, 7), "($7::uuid)");
}

TEST(SqlCodecTest, StorableTextKeepsValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(storable_text("Grenzübergang 証明書 🚐"), "Grenzübergang 証明書 🚐");
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(storable_text(std::string("a\0b", 3)), "a" + replacement + "b");
  EXPECT_EQ(storable_text("\xff"), replacement);
  EXPECT_EQ(storable_text("\xc0\xaf"), replacement + replacement);  // overlong '/'
  EXPECT_EQ(storable_text("\xed\xa0\x80"), replacement + replacement + replacement);  // surrogate
  EXPECT_EQ(storable_text("\xe2\x82"), replacement + replacement);                    // truncated
}

TEST(BatchPlanTest, NewDuplicateAndConflictInOneBatch) {
  auto a = testing::make_publish_request("AT");
  auto a_retry = a;
  auto a_edit = a;
  a_edit.signed_bytes.payload += "!";
  auto b = testing::make_publish_request("DE");
  auto old = testing::make_publish_request("FR");
  std::map<alert_key, existing_alert> existing;
  existing[{old.origin, old.alert_id}] = existing_alert{7, micros(5), old.signed_bytes};

  const auto now = micros(1000);
  auto plan = plan_publishes({&a, &a_retry, &old, &b, &a_edit}, existing, {}, 10, now);

  ASSERT_EQ(plan.outcomes.size(), 5u);
  EXPECT_EQ(plan.outcomes[0]->seq, 11u);
  EXPECT_FALSE(plan.outcomes[0]->duplicate);
  EXPECT_EQ(plan.outcomes[1]->seq, 11u);
  EXPECT_TRUE(plan.outcomes[1]->duplicate);
  EXPECT_EQ(plan.outcomes[2]->seq, 7u);
  EXPECT_EQ(plan.outcomes[2]->received_at, micros(5));
  EXPECT_TRUE(plan.outcomes[2]->duplicate);
  EXPECT_EQ(plan.outcomes[3]->seq, 12u);
  ASSERT_FALSE(plan.outcomes[4].has_value());
  EXPECT_EQ(plan.outcomes[4].error().code, core::errc::duplicate_conflict);
  EXPECT_EQ(plan.last_seq, 12u);
  ASSERT_EQ(plan.created.size(), 2u);
  EXPECT_EQ(plan.created[0].first, 0u);
  EXPECT_EQ(plan.created[1].first, 3u);
  EXPECT_EQ(plan.created[1].second->received_at, now);

  ASSERT_EQ(plan.audit.size(), 5u);
  EXPECT_EQ(plan.audit[4].outcome, "DUPLICATE_CONFLICT");
  EXPECT_EQ(plan.audit[0].at, now);
  EXPECT_EQ(plan.audit[0].subject, a.alert_id);
  EXPECT_EQ(plan.audit[0].actor, "AT.desk");
}

TEST(BatchPlanTest, AWithdrawnAlertIsNeitherWithdrawnAgainNorCorrected) {
  auto original = testing::make_publish_request("AT");
  auto other = testing::make_publish_request("AT");
  auto amend = [&](const core::publish_request& of, core::alert_kind kind) {
    auto r = testing::make_publish_request("AT");
    r.kind = kind;
    r.in_reply_to = of.alert_id;
    return r;
  };
  // `other` was withdrawn before the batch.
  std::set<alert_key> withdrawn{{"AT", other.alert_id}};
  auto correct_other = amend(other, core::alert_kind::correction);
  auto withdraw = amend(original, core::alert_kind::withdrawal);
  auto withdraw_again = amend(original, core::alert_kind::withdrawal);  // same batch
  auto withdraw_retry = withdraw;  // the same bytes again: a duplicate, not a refusal
  auto correct = amend(original, core::alert_kind::correction);
  auto plan =
      plan_publishes({&correct_other, &withdraw, &withdraw_again, &withdraw_retry, &correct}, {},
                     withdrawn, 10, micros(1000));
  ASSERT_EQ(plan.outcomes.size(), 5u);
  ASSERT_FALSE(plan.outcomes[0]);
  EXPECT_EQ(plan.outcomes[0].error().code, core::errc::failed_precondition);
  EXPECT_NE(plan.outcomes[0].error().message.find("is withdrawn"), std::string::npos);
  ASSERT_TRUE(plan.outcomes[1]);
  EXPECT_EQ(plan.outcomes[1]->seq, 11u);
  ASSERT_FALSE(plan.outcomes[2]);
  EXPECT_EQ(plan.outcomes[2].error().code, core::errc::failed_precondition);
  ASSERT_TRUE(plan.outcomes[3]);
  EXPECT_TRUE(plan.outcomes[3]->duplicate);
  ASSERT_FALSE(plan.outcomes[4]);
  EXPECT_EQ(plan.created.size(), 1u);
  EXPECT_EQ(plan.audit[0].outcome, "FAILED_PRECONDITION");
  EXPECT_NE(plan.audit[0].detail.find("\"reason\""), std::string::npos) << plan.audit[0].detail;
}

}  // namespace
}  // namespace liaison::store::detail
