// Alert decoding, validation and admission: protocol::decode_alert on a
// signed payload, core::validate_alert with a fixed `now` and the default
// limits, then broker::admit_publish for the desk AT.desk of a small registry
// (see alert_world.hpp), signed as a well-behaved desk would.
//
// Input: a serialised liaison.v1.Alert (the Envelope payload).
#include "alert_world.hpp"
#include "broker/admission.hpp"
#include "crypto/alert_signature.hpp"
#include "fuzz_check.hpp"
#include "protocol/codec.hpp"
#include "reply_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace liaison;

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void check_admitted(const core::publish_request& r, const core::alert& a, const core::envelope& e) {
  const auto& w = fuzz::world();
  LIAISON_FUZZ_CHECK(r.signed_bytes.payload == e.payload, "the payload is stored byte for byte");
  LIAISON_FUZZ_CHECK(r.signed_bytes.signature == e.signature && r.signed_bytes.key_id == e.key_id,
                     "the signature and key id are stored as received");
  LIAISON_FUZZ_CHECK(r.alert_id == a.id && r.origin == w.desk.member,
                     "id and origin are the alert's");
  LIAISON_FUZZ_CHECK(r.actor == w.desk.id, "the actor is the principal");
  const auto& members = r.recipients.members;
  LIAISON_FUZZ_CHECK(!members.empty(), "an admitted alert has recipients");
  LIAISON_FUZZ_CHECK(std::is_sorted(members.begin(), members.end()) &&
                         std::adjacent_find(members.begin(), members.end()) == members.end(),
                     "recipients are sorted and unique");
  for (const auto& m : members)
    LIAISON_FUZZ_CHECK(w.registry.find_member(m) != nullptr, "every recipient is a member");
  for (const auto& n : r.recipients.named) {
    LIAISON_FUZZ_CHECK(contains(members, n), "a named recipient is a recipient");
    LIAISON_FUZZ_CHECK(contains(a.recipients, n), "a named recipient was named by the sender");
  }
  if (contains(members, w.desk.member))
    LIAISON_FUZZ_CHECK(contains(r.recipients.named, w.desk.member),
                       "a group never sends an alert back to its sender");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  liaison::fuzz::quiet_protobuf_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  const std::string payload(reinterpret_cast<const char*>(data), size);
  auto decoded = protocol::decode_alert(payload);
  if (!decoded) {
    LIAISON_FUZZ_CHECK(decoded.error().code == core::errc::invalid_argument,
                       "an undecodable alert is INVALID_ARGUMENT");
    fuzz::check_reply_round_trip(0, decoded.error());
    return 0;
  }
  const core::alert_limits limits;
  auto valid = core::validate_alert(*decoded, limits, fuzz::alert_now);
  if (!valid) {
    const auto code = valid.error().code;
    LIAISON_FUZZ_CHECK(code == core::errc::invalid_argument || code == core::errc::too_large,
                       "an invalid alert is INVALID_ARGUMENT or TOO_LARGE");
    fuzz::check_reply_round_trip(0, valid.error());
    // Admission validates first and reports the same problem.
    auto admitted = broker::admit_publish(w.registry, w.desk, *decoded, {payload, {}, "AT-1"},
                                          limits, fuzz::alert_now);
    LIAISON_FUZZ_CHECK(!admitted && admitted.error() == valid.error(),
                       "admission refuses what validation refuses, for the same reason");
    return 0;
  }

  const core::envelope signed_alert{payload, crypto::sign_alert(w.at_key, payload), "AT-1"};
  auto admitted =
      broker::admit_publish(w.registry, w.desk, *decoded, signed_alert, limits, fuzz::alert_now);
  if (!admitted) {
    const auto code = admitted.error().code;
    LIAISON_FUZZ_CHECK(
        code == core::errc::permission_denied || code == core::errc::invalid_argument,
        "a valid, correctly signed alert is refused only for its origin or recipients");
    fuzz::check_reply_round_trip(0, admitted.error());
    return 0;
  }
  check_admitted(*admitted, *decoded, signed_alert);

  // No admission without a valid, unrevoked key of the origin.
  auto tampered = signed_alert;
  tampered.signature[size % tampered.signature.size()] ^= 0x01;
  auto refused =
      broker::admit_publish(w.registry, w.desk, *decoded, tampered, limits, fuzz::alert_now);
  LIAISON_FUZZ_CHECK(!refused && refused.error().code == core::errc::bad_signature,
                     "a wrong signature is BAD_SIGNATURE");
  auto revoked = signed_alert;
  revoked.key_id = "AT-0";
  refused = broker::admit_publish(w.registry, w.desk, *decoded, revoked, limits, fuzz::alert_now);
  LIAISON_FUZZ_CHECK(!refused && refused.error().code == core::errc::bad_signature,
                     "a revoked key is BAD_SIGNATURE");
  return 0;
}
