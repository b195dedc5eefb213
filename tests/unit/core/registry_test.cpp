#include "core/registry.hpp"

#include <gtest/gtest.h>

namespace liaison::core {
namespace {

registry_data sample() {
  registry_data d;
  for (const char* code : {"AL", "AT", "BA", "HU", "ME", "MK", "RS", "XK"})
    d.members.push_back({code, code});
  d.groups.push_back({"WB6", {"AL", "BA", "ME", "MK", "RS", "XK"}});
  d.groups.push_back({"ALL", {"AL", "AT", "BA", "HU", "ME", "MK", "RS", "XK"}});
  d.principals.push_back({"AT.desk", "AT", role::desk, tlp::red});
  d.keys.push_back({"AT-1", "AT", std::string(32, 'k'), false});
  return d;
}

TEST(RegistryTest, ExpandsGroupsAndKeepsExplicitNames) {
  registry r(sample());
  auto out = r.expand({"HU", "WB6"}, "AT");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->members, (std::vector<std::string>{"AL", "BA", "HU", "ME", "MK", "RS", "XK"}));
  EXPECT_EQ(out->named, (std::vector<std::string>{"HU"}));
}

TEST(RegistryTest, GroupNeverSendsBackToItsSender) {
  registry r(sample());
  // RS is in WB6 and sends to WB6: RS is left out.
  auto out = r.expand({"WB6"}, "RS");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->members, (std::vector<std::string>{"AL", "BA", "ME", "MK", "XK"}));
}

TEST(RegistryTest, NamingOwnMemberExplicitlyIncludesIt) {
  registry r(sample());
  auto out = r.expand({"WB6", "RS"}, "RS");
  ASSERT_TRUE(out.has_value());
  EXPECT_NE(std::find(out->members.begin(), out->members.end(), "RS"), out->members.end());
  EXPECT_EQ(out->named, (std::vector<std::string>{"RS"}));
}

TEST(RegistryTest, DuplicatesCollapse) {
  registry r(sample());
  auto out = r.expand({"HU", "HU", "ALL"}, "AT");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->members.size(), 7u);  // everyone but AT
}

TEST(RegistryTest, UnknownRecipientIsInvalid) {
  registry r(sample());
  auto out = r.expand({"HU", "ZZ"}, "AT");
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, errc::invalid_argument);
  EXPECT_NE(out.error().message.find("'ZZ'"), std::string::npos);
}

TEST(RegistryTest, GroupOfOnlyTheSenderExpandsToNothing) {
  auto d = sample();
  d.groups.push_back({"SOLO", {"AT"}});
  registry r(d);
  auto out = r.expand({"SOLO"}, "AT");
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, errc::invalid_argument);
}

TEST(RegistryTest, CheckReportsEveryProblemAtOnce) {
  auto d = sample();
  d.members.push_back({"AT", "Austria again"});
  d.groups.push_back({"HU", {"AT"}});
  d.groups.push_back({"BAD", {"QQ"}});
  d.principals.push_back({"QQ.desk", "QQ", role::desk, tlp::red});
  d.keys.push_back({"AT-2", "AT", "short", false});
  d.keys.push_back({"AT-1", "AT", std::string(32, 'x'), false});
  auto problems = registry::check(d);
  EXPECT_EQ(problems.size(), 6u);
}

TEST(RegistryTest, LookupsFindWhatIsRegisteredOnly) {
  registry r(sample());
  ASSERT_NE(r.find_principal("AT.desk"), nullptr);
  EXPECT_EQ(r.find_principal("AT.desk")->member, "AT");
  EXPECT_EQ(r.find_principal("HU.desk"), nullptr);
  ASSERT_NE(r.find_key("AT-1"), nullptr);
  EXPECT_EQ(r.find_key("AT-2"), nullptr);
  EXPECT_NE(r.find_group("WB6"), nullptr);
  EXPECT_EQ(r.find_member("WB6"), nullptr);
}

}  // namespace
}  // namespace liaison::core
