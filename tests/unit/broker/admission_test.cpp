#include "broker/admission.hpp"

#include "crypto/alert_signature.hpp"

#include <gtest/gtest.h>

namespace liaison::broker {
namespace {

using namespace std::chrono_literals;
const core::time_point now = core::time_point{} + std::chrono::hours(24 * 365 * 56);

struct world {
  crypto::ed25519_private_key at_key = crypto::ed25519_private_key::generate();
  crypto::ed25519_private_key hu_key = crypto::ed25519_private_key::generate();
  core::registry reg{[&] {
    core::registry_data d;
    for (const char* code : {"AT", "HU", "RS", "AL"}) d.members.push_back({code, code});
    d.groups.push_back({"WB6", {"RS", "AL"}});
    d.principals.push_back({"AT.desk", "AT", core::role::desk, core::tlp::red});
    d.principals.push_back({"HU.partner", "HU", core::role::partner, core::tlp::amber});
    d.keys.push_back({"AT-1", "AT", at_key.public_key(), false});
    d.keys.push_back({"HU-1", "HU", hu_key.public_key(), false});
    d.keys.push_back({"AT-0", "AT", at_key.public_key(), true});
    return d;
  }()};
  core::principal desk = *reg.find_principal("AT.desk");
};

core::alert alert_from(std::string origin, std::vector<std::string> to) {
  core::alert a;
  a.id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  a.origin = std::move(origin);
  a.recipients = std::move(to);
  a.kind = core::alert_kind::information;
  a.cat = core::category::vehicle;
  a.prio = core::priority::flash;
  a.disclosure = core::tlp::amber;
  a.usage = core::restriction::h2;
  a.source = core::source_reliability::a;
  a.information = core::information_reliability::one;
  a.subject = "subject";
  a.language = "en";
  a.created_at = now;
  return a;
}

core::envelope signed_by(const crypto::ed25519_private_key& key, std::string key_id,
                         std::string payload = "payload") {
  auto sig = crypto::sign_alert(key, payload);
  return {std::move(payload), std::move(sig), std::move(key_id)};
}

core::errc code(const core::result<core::publish_request>& r) {
  return r ? core::errc{} : r.error().code;
}

TEST(AdmissionTest, AdmitsAndExpandsAValidPublish) {
  world w;
  auto r = admit_publish(w.reg, w.desk, alert_from("AT", {"HU", "WB6"}),
                         signed_by(w.at_key, "AT-1"), {}, now);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->recipients.members, (std::vector<std::string>{"AL", "HU", "RS"}));
  EXPECT_EQ(r->recipients.named, (std::vector<std::string>{"HU"}));
  EXPECT_EQ(r->signed_bytes.payload, "payload");  // verbatim
  EXPECT_EQ(r->actor, "AT.desk");
  EXPECT_EQ(r->prio, core::priority::flash);
}

TEST(AdmissionTest, OnlyDesksPublish) {
  world w;
  auto partner = *w.reg.find_principal("HU.partner");
  EXPECT_EQ(code(admit_publish(w.reg, partner, alert_from("HU", {"AT"}),
                               signed_by(w.hu_key, "HU-1"), {}, now)),
            core::errc::permission_denied);
}

TEST(AdmissionTest, OriginMustBeThePrincipalsMember) {
  world w;
  auto r =
      admit_publish(w.reg, w.desk, alert_from("HU", {"AT"}), signed_by(w.at_key, "AT-1"), {}, now);
  EXPECT_EQ(code(r), core::errc::permission_denied);
}

TEST(AdmissionTest, KeyOfAnotherMemberIsRefused) {
  world w;
  auto r =
      admit_publish(w.reg, w.desk, alert_from("AT", {"HU"}), signed_by(w.hu_key, "HU-1"), {}, now);
  EXPECT_EQ(code(r), core::errc::permission_denied);
}

TEST(AdmissionTest, UnknownOrRevokedKeyOrBadSignatureIsBadSignature) {
  world w;
  auto a = alert_from("AT", {"HU"});
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, a, signed_by(w.at_key, "AT-9"), {}, now)),
            core::errc::bad_signature);
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, a, signed_by(w.at_key, "AT-0"), {}, now)),
            core::errc::bad_signature);
  auto tampered = signed_by(w.at_key, "AT-1");
  tampered.payload = "payloaD";
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, a, tampered, {}, now)), core::errc::bad_signature);
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, a, signed_by(w.hu_key, "AT-1"), {}, now)),
            core::errc::bad_signature);
}

TEST(AdmissionTest, InvalidFieldsAndRecipientsAreInvalidArgument) {
  world w;
  auto a = alert_from("AT", {"HU"});
  a.subject.clear();
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, a, signed_by(w.at_key, "AT-1"), {}, now)),
            core::errc::invalid_argument);
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, alert_from("AT", {"XX"}), signed_by(w.at_key, "AT-1"),
                               {}, now)),
            core::errc::invalid_argument);
  auto stale = alert_from("AT", {"HU"});
  stale.created_at = now - std::chrono::hours(24 * 30);
  EXPECT_EQ(code(admit_publish(w.reg, w.desk, stale, signed_by(w.at_key, "AT-1"), {}, now)),
            core::errc::invalid_argument);
}

}  // namespace
}  // namespace liaison::broker
