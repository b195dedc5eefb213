// The rapid-response rules without I/O: receipt admission (signer, key,
// fields), the order of receipt states, read windows, what a passed deadline
// sets off, fallback at once for members without a desk on duty, and the
// duty state of members.
#include "crypto/alert_signature.hpp"
#include "crypto/sha256.hpp"
#include "rapid/deadlines.hpp"
#include "rapid/notice_text.hpp"
#include "rapid/presence.hpp"
#include "rapid/receipts.hpp"

#include <gtest/gtest.h>

namespace liaison::rapid {
namespace {

using namespace std::chrono_literals;
using core::receipt_state;
const core::time_point now = core::time_point{} + std::chrono::hours(24 * 365 * 56);

struct world {
  crypto::ed25519_private_key hu_key = crypto::ed25519_private_key::generate();
  crypto::ed25519_private_key rs_key = crypto::ed25519_private_key::generate();
  core::registry reg{[&] {
    core::registry_data d;
    d.members.push_back({"AT", "Austria", {}});
    d.members.push_back({"HU", "Hungary", {"TF.coordination"}});
    d.members.push_back({"RS", "Serbia", {"HU", "TF.coordination"}});
    d.members.push_back({"XK", "Kosovo", {}});
    d.principals.push_back({"HU.desk", "HU", core::role::desk, core::tlp::red});
    d.principals.push_back({"HU.partner", "HU", core::role::partner, core::tlp::amber});
    d.principals.push_back({"TF.coordination", "", core::role::coordinator, core::tlp::clear});
    d.keys.push_back({"HU-1", "HU", hu_key.public_key(), false});
    d.keys.push_back({"RS-1", "RS", rs_key.public_key(), false});
    d.keys.push_back({"HU-0", "HU", hu_key.public_key(), true});
    return d;
  }()};
  core::principal desk = *reg.find_principal("HU.desk");
};

core::receipt receipt_of(receipt_state s, std::string member = "HU") {
  core::receipt r;
  r.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  r.origin = "AT";
  r.alert_sha256 = std::string(32, '\x11');
  r.state = s;
  r.at = now;
  r.member = std::move(member);
  return r;
}

core::signed_receipt sign(const crypto::ed25519_private_key& key, std::string key_id,
                          std::string payload = "receipt bytes") {
  auto sig = crypto::sign_receipt(key, payload);
  return {std::move(payload), std::move(sig), std::move(key_id)};
}

core::errc code(const core::result<core::receipt_request>& r) {
  return r ? core::errc{} : r.error().code;
}

TEST(ReceiptAdmissionTest, AdmitsARecipientDesksSignedReceipt) {
  world w;
  auto signed_bytes = sign(w.hu_key, "HU-1");
  auto r = admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read), signed_bytes, now);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->actor, "HU.desk");
  EXPECT_EQ(r->payload_sha256, std::string(crypto::as_bytes(crypto::sha256(signed_bytes.payload))));
}

TEST(ReceiptAdmissionTest, RefusesWhatIsNotTheDesksToSign) {
  world w;
  const auto good = sign(w.hu_key, "HU-1");
  // Another member's receipt, sent by HU's desk.
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read, "RS"),
                               sign(w.rs_key, "RS-1"), now)),
            core::errc::permission_denied);
  // HU's receipt signed with RS's key.
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read),
                               sign(w.rs_key, "RS-1"), now)),
            core::errc::permission_denied);
  // A partner system does not answer for its member.
  EXPECT_EQ(code(admit_receipt(w.reg, *w.reg.find_principal("HU.partner"),
                               receipt_of(receipt_state::read), good, now)),
            core::errc::permission_denied);
  // A signature by the right key over other bytes, an unknown or revoked key.
  auto forged = good;
  forged.payload = "other bytes";
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read), forged, now)),
            core::errc::bad_signature);
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read),
                               sign(w.hu_key, "HU-9"), now)),
            core::errc::bad_signature);
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read),
                               sign(w.hu_key, "HU-0"), now)),
            core::errc::bad_signature);
  // An alert signature is not a receipt signature (domain separation).
  core::signed_receipt as_alert{"receipt bytes", crypto::sign_alert(w.hu_key, "receipt bytes"),
                                "HU-1"};
  EXPECT_EQ(code(admit_receipt(w.reg, w.desk, receipt_of(receipt_state::read), as_alert, now)),
            core::errc::bad_signature);
}

TEST(ReceiptAdmissionTest, RefusesMalformedReceipts) {
  world w;
  const auto good = sign(w.hu_key, "HU-1");
  auto with = [&](auto change) {
    auto r = receipt_of(receipt_state::actioned);
    change(r);
    return code(admit_receipt(w.reg, w.desk, r, good, now));
  };
  EXPECT_EQ(with([](core::receipt& r) { r.alert_id = "not-a-uuid"; }),
            core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.origin = "ZZ"; }), core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.alert_sha256 = "short"; }), core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.state.reset(); }), core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.at.reset(); }), core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.at = now + 10min; }), core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.note = std::string(281, 'x'); }), core::errc::too_large);
  EXPECT_EQ(with([](core::receipt& r) {
              r.state = receipt_state::read;
              r.note = "a note on READ";
            }),
            core::errc::invalid_argument);
  EXPECT_EQ(with([](core::receipt& r) { r.note = "vehicle stopped at Horgos"; }), core::errc{});
}

TEST(ReceiptRulesTest, StatesOnlyMoveForward) {
  using V = receipt_verdict;
  EXPECT_EQ(judge_receipt({}, receipt_state::delivered), V::record);
  EXPECT_EQ(judge_receipt({receipt_state::delivered}, receipt_state::delivered), V::duplicate);
  EXPECT_EQ(judge_receipt({receipt_state::delivered}, receipt_state::read), V::record);
  EXPECT_EQ(judge_receipt({receipt_state::read}, receipt_state::read), V::duplicate);
  EXPECT_EQ(judge_receipt({receipt_state::read}, receipt_state::delivered), V::backwards);
  EXPECT_EQ(judge_receipt({receipt_state::actioned}, receipt_state::delivered), V::backwards);
  // READ after ACTIONED is a late record, not a step back.
  EXPECT_EQ(judge_receipt({receipt_state::actioned}, receipt_state::read), V::record);
  // Follow-up action is recorded each time.
  EXPECT_EQ(judge_receipt({receipt_state::actioned}, receipt_state::actioned), V::record);
  EXPECT_EQ(furthest({receipt_state::read, receipt_state::delivered}), receipt_state::read);
  EXPECT_EQ(furthest({}), std::nullopt);
  auto e = backwards_error(receipt_of(receipt_state::delivered), receipt_state::read);
  EXPECT_EQ(e.code, core::errc::failed_precondition);
  EXPECT_NE(e.message.find("already sent READ"), std::string::npos);
}

TEST(DeadlineTest, WindowIsThePrioritysShortenedByTheAlert) {
  deadline_policy p;  // FLASH 15m, URGENT 2h, ROUTINE none
  EXPECT_EQ(read_window(p, core::priority::flash, 0), core::duration(15min));
  EXPECT_EQ(read_window(p, core::priority::urgent, 0), core::duration(2h));
  EXPECT_EQ(read_window(p, core::priority::routine, 0), std::nullopt);
  EXPECT_EQ(read_window(p, core::priority::flash, 60), core::duration(60s));
  EXPECT_EQ(read_window(p, core::priority::flash, 3600), core::duration(15min));  // never longer
  EXPECT_EQ(read_window(p, core::priority::routine, 600), core::duration(10min));
}

core::due_deadline due(std::string member, std::uint32_t level) {
  return {42,   std::move(member),    level, now, 15min, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12",
          "AT", core::priority::flash};
}

TEST(DeadlineTest, APassedDeadlineRemindsTellsTheSenderAndEscalates) {
  world w;
  auto plan = plan_escalation(due("RS", 0), w.reg.fallback_of("RS"), 2, now + 1s);
  EXPECT_EQ(plan.level, 1u);
  ASSERT_TRUE(plan.next_due);
  EXPECT_EQ(*plan.next_due, now + 15min);  // one window after the first deadline
  ASSERT_EQ(plan.notices.size(), 3u);
  EXPECT_EQ(plan.notices[0].kind, core::notice_kind::reminder);
  EXPECT_EQ(plan.notices[0].to.members, std::vector<std::string>{"RS"});
  EXPECT_EQ(plan.notices[1].kind, core::notice_kind::overdue);
  EXPECT_EQ(plan.notices[1].to.members, std::vector<std::string>{"AT"});
  EXPECT_EQ(plan.notices[2].kind, core::notice_kind::escalation);
  EXPECT_EQ(plan.notices[2].to.members, std::vector<std::string>{"HU"});
  EXPECT_EQ(plan.notices[2].to.principals, std::vector<std::string>{"TF.coordination"});
  for (const auto& n : plan.notices) {
    EXPECT_EQ(n.alert_seq, 42u);
    EXPECT_EQ(n.members, std::vector<std::string>{"RS"});
    EXPECT_NE(n.text.find("RS"), std::string::npos);
  }
  EXPECT_EQ(plan.audit.action, core::audit_action::deadline_escalate);
  EXPECT_EQ(plan.audit.subject, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");

  // The last deadline leaves none after it; a member without fallback gets
  // no escalation notice.
  auto last = plan_escalation(due("XK", 1), w.reg.fallback_of("XK"), 2, now);
  EXPECT_EQ(last.level, 2u);
  EXPECT_FALSE(last.next_due);
  EXPECT_EQ(last.notices.size(), 2u);
}

TEST(DeadlineTest, FlashToMembersWithoutADeskOnDutyGoesToTheirFallbackAtOnce) {
  world w;
  alert_brief a{"3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12", "AT", core::priority::flash, "AT.desk"};
  auto plan = plan_unstaffed(a, {"RS", "XK"}, w.reg, now);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->notices.size(), 2u);  // the sender, RS's fallback (XK has none)
  EXPECT_EQ(plan->notices[0].to.members, std::vector<std::string>{"AT"});
  EXPECT_EQ(plan->notices[0].members, (std::vector<std::string>{"RS", "XK"}));
  EXPECT_EQ(plan->notices[1].to.principals, std::vector<std::string>{"TF.coordination"});
  EXPECT_EQ(plan->notices[1].members, std::vector<std::string>{"RS"});
  EXPECT_EQ(plan->audit.action, core::audit_action::no_desk_on_duty);
  // ROUTINE waits for the desk; nobody missing, nothing to say.
  a.prio = core::priority::routine;
  EXPECT_FALSE(plan_unstaffed(a, {"RS"}, w.reg, now));
  a.prio = core::priority::urgent;
  EXPECT_FALSE(plan_unstaffed(a, {}, w.reg, now));
}

TEST(PresenceTest, AMemberIsOnDutyWhileOneOfItsDesksIs) {
  presence_board b;
  EXPECT_EQ(state_of(b.counts("HU")), core::duty_state::unreachable);
  auto c = b.update(1, "HU", true, false);
  ASSERT_TRUE(c);
  EXPECT_EQ(state_of(*c), core::duty_state::off_duty);
  c = b.update(2, "HU", true, true);
  EXPECT_EQ(state_of(*c), core::duty_state::on_duty);
  EXPECT_FALSE(b.update(2, "HU", true, true));  // no change, nothing to write
  c = b.update(2, "HU", true, false);           // stalled or declared off duty
  EXPECT_EQ(state_of(*c), core::duty_state::off_duty);
  c = b.update(1, "HU", false, false);
  c = b.update(2, "HU", false, false);
  EXPECT_EQ(state_of(*c), core::duty_state::unreachable);
  EXPECT_TRUE(b.all().empty());
  EXPECT_EQ(combined_state({{1, 0}, {0, 0}}), core::duty_state::off_duty);
  EXPECT_EQ(combined_state({{1, 0}, {2, 1}}), core::duty_state::on_duty);
  EXPECT_EQ(combined_state({}), core::duty_state::unreachable);
}

TEST(PresenceTest, OnlyGainingOrLosingTheLastDeskOnDutyIsNotified) {
  using core::duty_state;
  EXPECT_TRUE(notify_duty_change(duty_state::unreachable, duty_state::on_duty));
  EXPECT_TRUE(notify_duty_change(duty_state::off_duty, duty_state::on_duty));
  EXPECT_TRUE(notify_duty_change(duty_state::on_duty, duty_state::off_duty));
  EXPECT_TRUE(notify_duty_change(duty_state::on_duty, duty_state::unreachable));
  // A desk that only publishes (never on duty) connecting and leaving.
  EXPECT_FALSE(notify_duty_change(duty_state::unreachable, duty_state::off_duty));
  EXPECT_FALSE(notify_duty_change(duty_state::off_duty, duty_state::unreachable));
}

TEST(NoticeTextTest, NamesTheAlertAndMembersNeverTheContent) {
  core::notice n;
  n.kind = core::notice_kind::receipt;
  n.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  n.origin = "AT";
  n.prio = core::priority::flash;
  n.members = {"HU"};
  EXPECT_EQ(notice_text(n, receipt_state::actioned, "vehicle stopped"),
            "HU sent ACTIONED for FLASH alert 3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12 from AT: "
            "vehicle stopped");
  n.kind = core::notice_kind::presence;
  n.duty = core::duty_state::off_duty;
  EXPECT_EQ(notice_text(n), "HU is now off duty");
}

}  // namespace
}  // namespace liaison::rapid
