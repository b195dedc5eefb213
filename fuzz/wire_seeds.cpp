// Seeds of the wire targets: alerts, Frames (binary and JSON), native streams.
#include "alert_world.hpp"
#include "liaison/v1/alert.pb.h"
#include "liaison/v1/frame.pb.h"
#include "protocol/frame_reader.hpp"
#include "seeds.hpp"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace liaison::fuzz {

namespace v1 = liaison::v1;
using namespace std::string_literals;

namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             liaison::fuzz::alert_now.time_since_epoch())
      .count();
}

// A valid alert from AT, admitted by the alert target as it is.
v1::Alert valid_alert() {
  v1::Alert a;
  a.set_id("3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  a.set_origin("AT");
  a.add_recipients("HU");
  a.set_kind(v1::KIND_INFORMATION);
  a.set_category(v1::CATEGORY_VEHICLE);
  a.set_priority(v1::PRIORITY_URGENT);
  a.set_tlp(v1::TLP_AMBER);
  a.set_restriction(v1::RESTRICTION_H1);
  a.mutable_evaluation()->set_source(v1::SOURCE_RELIABILITY_B);
  a.mutable_evaluation()->set_information(v1::INFORMATION_RELIABILITY_2);
  a.set_subject("White van, plate W-12345X");
  a.set_body("Seen at Nickelsdorf heading east");
  a.set_language("en");
  auto* e = a.add_entities();
  e->set_type(v1::ENTITY_TYPE_VEHICLE_PLATE);
  e->set_value("W-12345X");
  a.mutable_created_at()->set_seconds(now_seconds() - 60);
  return a;
}

}  // namespace

seeds alert_seeds() {
  seeds out;
  auto add = [&](const std::string& name, const v1::Alert& a) {
    out[name] = a.SerializeAsString();
  };
  add("valid-information", valid_alert());
  {
    auto a = valid_alert();
    a.clear_recipients();
    a.add_recipients("WB6");
    a.add_recipients("EU");
    a.add_recipients("AT");
    a.set_kind(v1::KIND_WARNING);
    a.set_category(v1::CATEGORY_SMUGGLING_ROUTE);
    a.set_priority(v1::PRIORITY_FLASH);
    a.set_tlp(v1::TLP_RED);
    a.set_restriction(v1::RESTRICTION_H3);
    a.set_restriction_text("not for customs");
    a.set_language("sr-Latn-RS");
    a.mutable_expires_at()->set_seconds(now_seconds() + 86400);
    a.set_case_reference("JOT-2026/17");
    a.clear_entities();
    for (int t = 1; t <= 9; ++t) {
      auto* e = a.add_entities();
      e->set_type(static_cast<v1::EntityType>(t));
      e->set_value("entity " + std::to_string(t) + " \xc3\xa9");  // non-ASCII text
    }
    add("valid-groups-red-h3-all-entities", a);
  }
  for (auto [name, kind] : {std::pair{"valid-reply", v1::KIND_REPLY},
                            {"valid-withdrawal", v1::KIND_WITHDRAWAL},
                            {"valid-correction", v1::KIND_CORRECTION}}) {
    auto a = valid_alert();
    a.set_kind(kind);
    a.set_in_reply_to("0e6f9a34-5b1c-4d2e-8f70-a1b2c3d4e5f6");
    add(name, a);
  }
  {
    auto a = valid_alert();
    a.set_kind(v1::KIND_REQUEST_FOR_ASSISTANCE);
    a.set_restriction(v1::RESTRICTION_H2);
    a.set_tlp(v1::TLP_AMBER_STRICT);
    a.set_body(std::string(2000, 'b'));
    add("valid-request-long-body", a);
  }
  // Refused by validation or admission, one reason each.
  auto variant = [&](const std::string& name, auto change) {
    auto a = valid_alert();
    change(a);
    add(name, a);
  };
  variant("invalid-id-upper-case",
          [](v1::Alert& a) { a.set_id("3F2B6C1E-8A4D-4F6B-9C2E-1D5A7B9E0F12"); });
  variant("invalid-id-long-non-ascii",
          [](v1::Alert& a) { a.set_id(std::string(63, 'a') + "\xc3\xa9" + "tail"); });
  variant("invalid-no-recipients", [](v1::Alert& a) { a.clear_recipients(); });
  variant("invalid-unknown-recipient", [](v1::Alert& a) { a.add_recipients("XX"); });
  variant("invalid-group-only-sender", [](v1::Alert& a) {
    a.clear_recipients();
    a.add_recipients("EU");
    a.set_origin("DE");
  });
  variant("invalid-origin-other-member", [](v1::Alert& a) { a.set_origin("HU"); });
  variant("invalid-no-kind", [](v1::Alert& a) { a.clear_kind(); });
  variant("invalid-unknown-priority",
          [](v1::Alert& a) { a.set_priority(static_cast<v1::Priority>(42)); });
  variant("invalid-h3-without-text", [](v1::Alert& a) { a.set_restriction(v1::RESTRICTION_H3); });
  variant("invalid-no-evaluation", [](v1::Alert& a) { a.clear_evaluation(); });
  variant("invalid-control-in-subject", [](v1::Alert& a) { a.set_subject("line\nbreak"); });
  variant("invalid-language",
          [](v1::Alert& a) { a.set_language("english-language-tag-" + std::string(20, 'x')); });
  variant("invalid-entity-without-type", [](v1::Alert& a) { a.mutable_entities(0)->clear_type(); });
  variant("invalid-created-in-future",
          [](v1::Alert& a) { a.mutable_created_at()->set_seconds(now_seconds() + 3600); });
  variant("invalid-created-too-old",
          [](v1::Alert& a) { a.mutable_created_at()->set_seconds(now_seconds() - 30 * 86400); });
  variant("invalid-timestamp-range",
          [](v1::Alert& a) { a.mutable_created_at()->set_seconds(INT64_MIN); });
  variant("invalid-expires-before-created",
          [](v1::Alert& a) { a.mutable_expires_at()->set_seconds(now_seconds() - 3600); });
  variant("invalid-reply-without-reference", [](v1::Alert& a) { a.set_kind(v1::KIND_REPLY); });
  variant("invalid-refers-to-itself", [](v1::Alert& a) {
    a.set_kind(v1::KIND_CORRECTION);
    a.set_in_reply_to(a.id());
  });
  variant("invalid-subject-too-large", [](v1::Alert& a) { a.set_subject(std::string(300, 's')); });
  out["invalid-unknown-field"] = valid_alert().SerializeAsString() + "\xf8\x07\x01"s;  // field 127
  out["invalid-truncated"] = valid_alert().SerializeAsString().substr(0, 40);
  out["empty"] = "";
  return out;
}

namespace {

// One Frame of each kind a client sends, and some that it may not send.
std::map<std::string, v1::Frame> client_frames() {
  std::map<std::string, v1::Frame> f;
  f["hello"].set_correlation_id(1);
  f["hello"].mutable_hello()->set_client("liaison-cli/0.1");
  f["hello"].mutable_hello()->set_protocol_version(1);
  auto& p = f["publish"];
  p.set_correlation_id(2);
  auto* e = p.mutable_publish()->mutable_envelope();
  e->set_payload(valid_alert().SerializeAsString());
  e->set_signature(std::string(64, '\x5a'));
  e->set_key_id("AT-1");
  f["publish-dry-run"] = p;
  f["publish-dry-run"].mutable_publish()->set_dry_run(true);
  f["subscribe-stored-cursor"].set_correlation_id(3);
  f["subscribe-stored-cursor"].mutable_subscribe()->set_consumer("hu-console");
  f["subscribe-stored-cursor"].mutable_subscribe()->mutable_stored_cursor();
  f["subscribe-from-seq"].set_correlation_id(4);
  f["subscribe-from-seq"].mutable_subscribe()->set_consumer("hu-replay");
  f["subscribe-from-seq"].mutable_subscribe()->set_from_seq(17);
  f["subscribe-only-new"].set_correlation_id(5);
  f["subscribe-only-new"].mutable_subscribe()->set_consumer("hu-live");
  f["subscribe-only-new"].mutable_subscribe()->mutable_only_new();
  f["ack"].set_correlation_id(6);
  f["ack"].mutable_ack()->set_consumer("hu-console");
  f["ack"].mutable_ack()->set_up_to_seq(42);
  f["ping"].set_correlation_id(UINT64_MAX);
  f["ping"].mutable_ping()->set_nonce(0x0123456789abcdef);
  // Rapid response (#12).
  f["hello-on-duty"].mutable_hello()->set_protocol_version(1);
  f["hello-on-duty"].mutable_hello()->set_on_duty(true);
  f["subscribe-lanes"].mutable_subscribe()->set_consumer("hu-console");
  f["subscribe-lanes"].mutable_subscribe()->set_lanes(true);
  f["ack-lane"].mutable_ack()->set_consumer("hu-console");
  f["ack-lane"].mutable_ack()->set_up_to_seq(42);
  f["ack-lane"].mutable_ack()->set_lane(liaison::v1::PRIORITY_FLASH);
  f["pong"].mutable_pong()->set_nonce(7);
  f["set-duty"].mutable_set_duty()->set_on_duty(true);
  {
    liaison::v1::Receipt r;
    r.set_alert_id("3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
    r.set_origin("AT");
    r.set_alert_sha256(std::string(32, '\x11'));
    r.set_state(liaison::v1::RECEIPT_STATE_ACTIONED);
    r.mutable_at()->set_seconds(1'780'000'000);
    r.set_member("HU");
    r.set_note("vehicle stopped at Horgos");
    auto* sr = f["send-receipt"].mutable_send_receipt()->mutable_receipt();
    sr->set_payload(r.SerializeAsString());
    sr->set_signature(std::string(64, '\x5a'));
    sr->set_key_id("HU-1");
  }
  f["fetch-notices"].mutable_fetch_notices()->set_after_id(10);
  f["fetch-notices"].mutable_fetch_notices()->set_limit(50);
  f["query-status"].mutable_query_status()->set_alert_id("3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  f["query-presence"].mutable_query_presence();
  // Refused: server-only bodies and no body.
  f["server-only-welcome"].mutable_welcome()->set_principal("AT.desk");
  f["server-only-deliver"].mutable_deliver()->set_seq(1);
  f["server-only-error"].mutable_error()->set_message("no");
  f["no-body"].set_correlation_id(9);
  return f;
}

std::string framed(const std::string& body) {
  std::string out;
  liaison::protocol::put_frame_header(out, static_cast<std::uint32_t>(body.size()));
  return out + body;
}

}  // namespace

seeds request_binary_seeds() {
  seeds out;
  for (const auto& [name, frame] : client_frames()) out[name] = frame.SerializeAsString();
  out["unknown-field"] = client_frames()["ping"].SerializeAsString() + "\xf8\x07\x01"s;
  out["truncated"] = client_frames()["publish"].SerializeAsString().substr(0, 20);
  out["empty"] = "";
  return out;
}

seeds request_json_seeds() {
  seeds out;
  for (const auto& [name, frame] : client_frames()) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(frame, &json);
    out[name + ".json"] = json;
  }
  out["snake-case-names.json"] =
      R"({"correlation_id":"7","subscribe":{"consumer":"x","from_seq":"3"}})";
  out["numbers-as-numbers.json"] = R"({"correlationId":8,"ping":{"nonce":18446744073709551615}})";
  out["unknown-field.json"] = R"({"correlationId":"1","ping":{"nonce":"1"},"extra":true})";
  out["two-bodies.json"] = R"({"ping":{},"hello":{"client":"x"}})";
  out["wrong-type.json"] = R"({"correlationId":"one","ping":[]})";
  out["bad-base64.json"] = R"({"publish":{"envelope":{"payload":"***","keyId":"AT-1"}}})";
  out["escapes.json"] = R"({"hello":{"client":"\u00e9\ud83d\ude00\u0000"}})";
  out["deep.json"] = std::string(200, '[') + std::string(200, ']');
  out["empty.json"] = "";
  return out;
}

seeds envelope_json_seeds() {
  seeds out;
  v1::Envelope e;
  e.set_payload(valid_alert().SerializeAsString());
  e.set_signature(std::string(64, '\x5a'));
  e.set_key_id("AT-1");
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(e, &json);
  out["valid.json"] = json;
  out["snake-case-key-id.json"] = R"({"payload":"CgE=","signature":"AAAA","key_id":"AT-1"})";
  out["payload-not-an-alert.json"] = R"({"payload":"/////w==","signature":"","keyId":"AT-1"})";
  out["bad-base64.json"] = R"({"payload":"***","keyId":"AT-1"})";
  out["unknown-field.json"] = R"({"payload":"","keyId":"AT-1","origin":"AT"})";
  out["wrong-types.json"] = R"({"payload":1,"signature":[],"keyId":{}})";
  out["not-an-object.json"] = R"(["payload"])";
  out["invalid-utf8.json"] = "{\"keyId\":\"\xff\xfe\"}";
  out["empty.json"] = "";
  return out;
}

seeds frame_reader_seeds() {
  // Header of the target's input: maximum frame size (2 bytes), cut seed.
  auto input = [](std::uint16_t max, std::uint8_t cut, const std::string& stream) {
    return std::string{static_cast<char>(max >> 8), static_cast<char>(max & 0xff),
                       static_cast<char>(cut)} +
           stream;
  };
  seeds out;
  std::string all;
  std::uint8_t cut = 0;
  for (const auto& [name, frame] : client_frames()) {
    auto one = framed(frame.SerializeAsString());
    out[name] = input(4096, cut++, one);
    all += one;
  }
  out["all-frames"] = input(4096, 7, all);
  out["all-frames-small-cuts"] = input(4096, 200, all);
  out["empty-frames"] = input(16, 1, framed("") + framed("") + framed("x"));
  out["too-large"] = input(64, 2, framed(std::string(65, 'x')));
  out["exactly-the-limit"] = input(64, 3, framed(std::string(64, 'x')) + framed("y"));
  out["huge-declared-size"] = input(4096, 4, "\xff\xff\xff\xff"s + "abc");
  out["truncated-frame"] = input(4096, 5, all.substr(0, all.size() / 2));
  out["zero-limit"] = input(0, 6, framed("") + framed("a"));
  return out;
}

}  // namespace liaison::fuzz
