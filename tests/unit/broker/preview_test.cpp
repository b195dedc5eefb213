// "Who would receive this", pure: duty states, clearances, TLP:RED through
// a group, and fallback contacts for members with no desk on duty.
#include "broker/preview.hpp"

#include <gtest/gtest.h>

namespace liaison::broker {
namespace {

core::registry registry() {
  core::registry_data d;
  d.members.push_back({"AT", "Austria", {}});
  d.members.push_back({"HU", "Hungary", {"TF.coordination"}});
  d.members.push_back({"RS", "Serbia", {"HU", "TF.coordination"}});
  d.principals.push_back({"AT.desk", "AT", core::role::desk, core::tlp::red});
  d.principals.push_back({"HU.desk", "HU", core::role::desk, core::tlp::red});
  d.principals.push_back({"HU.partner", "HU", core::role::partner, core::tlp::amber});
  d.principals.push_back({"HU.auditor", "HU", core::role::auditor, core::tlp::red});
  d.principals.push_back({"RS.desk", "RS", core::role::desk, core::tlp::red});
  d.principals.push_back({"TF.coordination", "", core::role::coordinator, core::tlp::red});
  return core::registry(std::move(d));
}

core::publish_request request(core::tlp tlp, core::priority prio) {
  core::publish_request r;
  r.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  r.disclosure = tlp;
  r.prio = prio;
  r.recipients.members = {"HU", "RS"};
  r.recipients.named = {"HU"};  // RS through a group
  r.recipients.left_out = {{"AT", "the sender"}};
  return r;
}

member_duty hu_on_duty(const std::string& m) {
  if (m == "HU") return {core::duty_state::on_duty, 2};
  return {core::duty_state::unreachable, 0};
}

TEST(PreviewTest, EachMemberWithItsDutyItsPrincipalsAndItsFallback) {
  const auto reg = registry();
  auto p = preview_recipients(request(core::tlp::amber, core::priority::urgent), reg, hu_on_duty);
  EXPECT_EQ(p.alert_id, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  ASSERT_EQ(p.recipients.size(), 2u);
  const auto& hu = p.recipients[0];
  EXPECT_EQ(hu.member, "HU");
  EXPECT_EQ(hu.duty, core::duty_state::on_duty);
  EXPECT_EQ(hu.desks_on_duty, 2u);
  // Desks and partner systems receive deliveries; an auditor does not.
  EXPECT_EQ(hu.principals, (std::vector<std::string>{"HU.desk", "HU.partner"}));
  EXPECT_TRUE(hu.withheld.empty());
  EXPECT_TRUE(hu.fallback.empty());  // on duty
  const auto& rs = p.recipients[1];
  EXPECT_EQ(rs.duty, core::duty_state::unreachable);
  EXPECT_EQ(rs.fallback, (std::vector<std::string>{"HU", "TF.coordination"}));
  EXPECT_EQ(p.left_out.size(), 1u);
}

TEST(PreviewTest, ClearanceAndRedThroughAGroupWithholdWithTheirReasons) {
  const auto reg = registry();
  auto p = preview_recipients(request(core::tlp::red, core::priority::routine), reg, hu_on_duty);
  const auto& hu = p.recipients[0];
  EXPECT_EQ(hu.principals, (std::vector<std::string>{"HU.desk"}));
  ASSERT_EQ(hu.withheld.size(), 1u);
  EXPECT_EQ(hu.withheld[0].member, "HU.partner");
  EXPECT_NE(hu.withheld[0].reason.find("clearance"), std::string::npos);
  const auto& rs = p.recipients[1];
  EXPECT_TRUE(rs.principals.empty());
  ASSERT_EQ(rs.withheld.size(), 1u);
  EXPECT_NE(rs.withheld[0].reason.find("through a group"), std::string::npos);
  // ROUTINE never engages fallback contacts, whoever is on duty.
  EXPECT_TRUE(rs.fallback.empty());
}

}  // namespace
}  // namespace liaison::broker
