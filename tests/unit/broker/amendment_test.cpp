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

TEST(AmendmentTest, AReplyAnswersWhatItsMemberReceivedAndReachesTheRequester) {
  auto reply = withdrawal_by("HU", {"RS"});
  reply.kind = core::alert_kind::reply;
  reply.recipients.left_out.clear();
  // HU received AT's request: the reply goes to AT too.
  ASSERT_TRUE(apply_reply_rules(reply, {sent_by("AT", {"DE", "HU"})}));
  EXPECT_EQ(reply.recipients.members, (std::vector<std::string>{"AT", "RS"}));
  EXPECT_EQ(reply.recipients.named, (std::vector<std::string>{"AT", "RS"}));
  // A member that neither sent nor received it cannot answer it, and is not
  // told whether it exists.
  auto stranger = withdrawal_by("SI", {"AT"});
  stranger.kind = core::alert_kind::reply;
  auto refused = apply_reply_rules(stranger, {sent_by("AT", {"DE", "HU"})});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::errc::not_found);
  EXPECT_EQ(refused.error().message,
            apply_reply_rules(stranger, {}).error().message);  // the same words either way
  // The sender may reply to its own alert (a follow-up in the thread).
  auto own = withdrawal_by("AT", {"HU"});
  own.kind = core::alert_kind::reply;
  ASSERT_TRUE(apply_reply_rules(own, {sent_by("AT", {"HU"})}));
  EXPECT_EQ(own.recipients.members, (std::vector<std::string>{"HU"}));
}

}  // namespace
}  // namespace liaison::broker
