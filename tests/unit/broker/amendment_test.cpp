// The rules of withdrawals and corrections, pure.
#include "broker/amendment.hpp"

#include <gtest/gtest.h>

namespace liaison::broker {
namespace {

core::publish_request withdrawal_by(const std::string& origin, std::vector<std::string> to) {
  core::publish_request r;
  r.alert_id = "5a1b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  r.origin = origin;
  r.kind = core::alert_kind::withdrawal;
  r.in_reply_to = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  r.recipients.members = to;
  r.recipients.named = to;
  r.recipients.left_out = {{"HU", "the sender's group"}};
  return r;
}

core::amendment_target sent_by(const std::string& origin, std::vector<std::string> to) {
  core::amendment_target t;
  t.seq = 7;
  t.origin = origin;
  t.kind = core::alert_kind::warning;
  t.recipients = std::move(to);
  return t;
}

TEST(AmendmentTest, TheOriginsAmendmentReachesEveryoneWhoReceivedTheOriginal) {
  auto r = withdrawal_by("AT", {"RS"});
  ASSERT_TRUE(apply_amendment_rules(r, {sent_by("AT", {"DE", "HU"})}, true));
  EXPECT_EQ(r.recipients.members, (std::vector<std::string>{"DE", "HU", "RS"}));
  // Named, so that a TLP:RED original's recipients get it even through a group.
  EXPECT_EQ(r.recipients.named, (std::vector<std::string>{"DE", "HU", "RS"}));
  EXPECT_TRUE(r.recipients.left_out.empty());  // HU receives it after all
}

TEST(AmendmentTest, EachRefusalIsTypedAndChangesNothing) {
  auto r = withdrawal_by("RS", {"AT"});
  const auto before = r.recipients.members;
  auto other = apply_amendment_rules(r, {sent_by("AT", {"RS"})}, true);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, core::errc::permission_denied);
  EXPECT_NE(other.error().message.find("sent by AT"), std::string::npos);
  auto none = apply_amendment_rules(r, {}, true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, core::errc::not_found);
  auto of_amendment = sent_by("RS", {"AT"});
  of_amendment.kind = core::alert_kind::correction;
  auto amended = apply_amendment_rules(r, {of_amendment}, true);
  ASSERT_FALSE(amended);
  EXPECT_EQ(amended.error().code, core::errc::failed_precondition);
  auto withdrawn = sent_by("RS", {"AT"});
  withdrawn.withdrawn_by = "6a1b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  auto twice = apply_amendment_rules(r, {withdrawn}, /*refuse_withdrawn=*/true);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, core::errc::failed_precondition);
  EXPECT_EQ(r.recipients.members, before);
  // A publish leaves "already withdrawn" to the writer, which tells a retry
  // of the committed withdrawal from a second one.
  EXPECT_TRUE(apply_amendment_rules(r, {withdrawn}, /*refuse_withdrawn=*/false));
}

}  // namespace
}  // namespace liaison::broker
