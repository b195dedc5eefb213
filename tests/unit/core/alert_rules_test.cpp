#include "core/alert_rules.hpp"

#include <gtest/gtest.h>

namespace liaison::core {
namespace {

using namespace std::chrono_literals;

const time_point now = time_point{} + std::chrono::hours(24 * 365 * 56);

alert valid_alert() {
  alert a;
  a.id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  a.origin = "AT";
  a.recipients = {"HU"};
  a.kind = alert_kind::information;
  a.cat = category::vehicle;
  a.prio = priority::urgent;
  a.disclosure = tlp::amber;
  a.usage = restriction::h1;
  a.source = source_reliability::b;
  a.information = information_reliability::two;
  a.subject = "White van on the A4";
  a.body = "Seen at Nickelsdorf heading east.";
  a.language = "en";
  a.entities = {{entity_type::vehicle_plate, "W-12345X"}};
  a.created_at = now - 10s;
  return a;
}

errc code_of(const alert& a, const alert_limits& l = {}) {
  auto r = validate_alert(a, l, now);
  return r.has_value() ? errc{} : r.error().code;
}

TEST(AlertRulesTest, AcceptsAValidAlert) {
  EXPECT_TRUE(validate_alert(valid_alert(), {}, now).has_value());
}

TEST(AlertRulesTest, RejectsNonCanonicalIds) {
  auto a = valid_alert();
  a.id = "3F2B6C1E-8A4D-4F6B-9C2E-1D5A7B9E0F12";  // upper case would make a second key for the same
                                                  // UUID
  EXPECT_EQ(code_of(a), errc::invalid_argument);
  a.id = "not-a-uuid";
  EXPECT_EQ(code_of(a), errc::invalid_argument);
  a.id = "";
  EXPECT_EQ(code_of(a), errc::invalid_argument);
}

TEST(AlertRulesTest, NamesTheMissingField) {
  auto a = valid_alert();
  a.disclosure.reset();
  auto r = validate_alert(a, {}, now);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("tlp"), std::string::npos);
}

TEST(AlertRulesTest, H3NeedsItsText) {
  auto a = valid_alert();
  a.usage = restriction::h3;
  EXPECT_EQ(code_of(a), errc::invalid_argument);
  a.restriction_text = "Not to be shared with customs.";
  EXPECT_EQ(code_of(a), errc{});
}

TEST(AlertRulesTest, OversizedFieldsAreTooLarge) {
  alert_limits limits;
  limits.max_body_bytes = 16;
  auto a = valid_alert();
  a.body = std::string(17, 'x');
  EXPECT_EQ(code_of(a, limits), errc::too_large);
  a = valid_alert();
  a.recipients.assign(limits.max_recipients + 1, "HU");
  EXPECT_EQ(code_of(a, limits), errc::too_large);
  a = valid_alert();
  a.entities.assign(limits.max_entities + 1, {entity_type::phone, "+43 1"});
  EXPECT_EQ(code_of(a, limits), errc::too_large);
}

TEST(AlertRulesTest, CreatedAtWithinSkewAndAge) {
  alert_limits limits;
  auto a = valid_alert();
  a.created_at = now + limits.max_clock_skew;  // at the edge: accepted
  EXPECT_EQ(code_of(a, limits), errc{});
  a.created_at = now + limits.max_clock_skew + 1us;
  EXPECT_EQ(code_of(a, limits), errc::invalid_argument);
  a.created_at = now - limits.max_age;  // a desk back from an outage
  EXPECT_EQ(code_of(a, limits), errc{});
  a.created_at = now - limits.max_age - 1us;
  EXPECT_EQ(code_of(a, limits), errc::invalid_argument);
  a.created_at.reset();
  EXPECT_EQ(code_of(a, limits), errc::invalid_argument);
}

TEST(AlertRulesTest, RepliesMustReferToAnAlert) {
  auto a = valid_alert();
  a.kind = alert_kind::reply;
  EXPECT_EQ(code_of(a), errc::invalid_argument);
  a.in_reply_to = "0b6f4a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  EXPECT_EQ(code_of(a), errc{});
  a.in_reply_to = a.id;
  EXPECT_EQ(code_of(a), errc::invalid_argument);
}

TEST(AlertRulesTest, LanguageTagShape) {
  auto a = valid_alert();
  for (const char* ok : {"en", "de-AT", "sr-Latn-RS"}) {
    a.language = ok;
    EXPECT_EQ(code_of(a), errc{}) << ok;
  }
  for (const char* bad : {"", "e", "english", "en_GB", "en-", "de-ATATATATAT"}) {
    a.language = bad;
    EXPECT_EQ(code_of(a), errc::invalid_argument) << bad;
  }
}

TEST(AlertRulesTest, ControlCharactersInSubjectAreRejected) {
  auto a = valid_alert();
  a.subject = "line\nbreak";
  EXPECT_EQ(code_of(a), errc::invalid_argument);
}

TEST(AlertRulesTest, ExpiryMustFollowCreation) {
  auto a = valid_alert();
  a.expires_at = *a.created_at;
  EXPECT_EQ(code_of(a), errc::invalid_argument);
  a.expires_at = *a.created_at + 1h;
  EXPECT_EQ(code_of(a), errc{});
}

}  // namespace
}  // namespace liaison::core
