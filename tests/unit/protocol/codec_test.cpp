#include "protocol/codec.hpp"

#include "liaison/v1/alert.pb.h"
#include "liaison/v1/frame.pb.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <limits>

namespace liaison::protocol {
namespace {

namespace v1 = liaison::v1;

std::string bytes_of(const google::protobuf::Message& m) {
  return m.SerializeAsString();
}

v1::Alert sample_alert() {
  v1::Alert a;
  a.set_id("3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  a.set_origin("AT");
  a.add_recipients("WB6");
  a.set_kind(v1::KIND_WARNING);
  a.set_category(v1::CATEGORY_SMUGGLING_ROUTE);
  a.set_priority(v1::PRIORITY_FLASH);
  a.set_tlp(v1::TLP_AMBER_STRICT);
  a.set_restriction(v1::RESTRICTION_H3);
  a.set_restriction_text("not for customs");
  a.mutable_evaluation()->set_source(v1::SOURCE_RELIABILITY_C);
  a.mutable_evaluation()->set_information(v1::INFORMATION_RELIABILITY_3);
  a.set_subject("Route change");
  a.set_language("de-AT");
  auto* e = a.add_entities();
  e->set_type(v1::ENTITY_TYPE_BORDER_CROSSING);
  e->set_value("Nickelsdorf");
  a.mutable_created_at()->set_seconds(1'780'000'000);
  a.mutable_created_at()->set_nanos(123'456'000);
  return a;
}

TEST(CodecTest, APublishCarriesItsDryRunFlagInBothFormats) {
  v1::Frame f;
  f.set_correlation_id(5);
  f.mutable_publish()->mutable_envelope()->set_payload("p");
  f.mutable_publish()->mutable_envelope()->set_key_id("AT-1");
  f.mutable_publish()->set_dry_run(true);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(f, &json).ok());
  for (const auto& [bytes, format] : {std::pair{f.SerializeAsString(), wire_format::native},
                                      std::pair{json, wire_format::json}}) {
    auto r = decode_request(bytes, format);
    ASSERT_TRUE(r) << r.error().message;
    const auto* p = std::get_if<publish>(&r->body);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->dry_run);
    EXPECT_EQ(p->signed_alert.key_id, "AT-1");
  }
  f.mutable_publish()->set_dry_run(false);
  auto plain = decode_request(f.SerializeAsString(), wire_format::native);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(std::get<publish>(plain->body).dry_run);
}

TEST(CodecTest, DecodesEveryAlertField) {
  auto decoded = decode_alert(bytes_of(sample_alert()));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->origin, "AT");
  EXPECT_EQ(decoded->recipients, std::vector<std::string>{"WB6"});
  EXPECT_EQ(decoded->kind, core::alert_kind::warning);
  EXPECT_EQ(decoded->cat, core::category::smuggling_route);
  EXPECT_EQ(decoded->prio, core::priority::flash);
  EXPECT_EQ(decoded->disclosure, core::tlp::amber_strict);
  EXPECT_EQ(decoded->usage, core::restriction::h3);
  EXPECT_EQ(decoded->source, core::source_reliability::c);
  EXPECT_EQ(decoded->information, core::information_reliability::three);
  ASSERT_EQ(decoded->entities.size(), 1u);
  EXPECT_EQ(decoded->entities[0].type, core::entity_type::border_crossing);
  EXPECT_EQ(decoded->created_at->time_since_epoch().count(), 1'780'000'000'123'456);
  EXPECT_FALSE(decoded->expires_at.has_value());
}

TEST(CodecTest, UnspecifiedEnumsAreMissingAndUnknownValuesAreInvalid) {
  auto a = sample_alert();
  a.set_priority(v1::PRIORITY_UNSPECIFIED);
  auto decoded = decode_alert(bytes_of(a));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_FALSE(decoded->prio.has_value());
  a.set_priority(static_cast<v1::Priority>(42));  // proto3 keeps unknown enum values
  auto bad = decode_alert(bytes_of(a));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("priority"), std::string::npos);
}

TEST(CodecTest, RejectsGarbageUnknownFieldsAndOutOfRangeTimes) {
  EXPECT_FALSE(decode_alert("\xff\xff\xff\xff").has_value());
  auto with_unknown =
      bytes_of(sample_alert()) + std::string("\xf8\x07\x01", 3);  // field 127, varint 1
  auto r = decode_alert(with_unknown);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::errc::invalid_argument);
  auto a = sample_alert();
  a.mutable_created_at()->set_nanos(-1);
  EXPECT_FALSE(decode_alert(bytes_of(a)).has_value());
}

std::string varint(std::uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}

// `depth` unknown groups (field 1000) inside each other.
std::string nested_groups(std::size_t depth) {
  const auto start = varint((1000 << 3) | 3);  // wire type 3: start group
  const auto end = varint((1000 << 3) | 4);    // wire type 4: end group
  std::string out;
  out.reserve(depth * (start.size() + end.size()));
  for (std::size_t i = 0; i < depth; ++i) out += start;
  for (std::size_t i = 0; i < depth; ++i) out += end;
  return out;
}

// Field `number` of `message` holding `body` as a length-delimited value.
std::string embedded(const google::protobuf::Descriptor* message, const char* field,
                     const std::string& body) {
  auto number = static_cast<std::uint64_t>(message->FindFieldByName(field)->number());
  return varint((number << 3) | 2) + varint(body.size()) + body;
}

// Unknown groups are the one way to nest a client's protobuf arbitrarily
// deep (our messages are not recursive, and unknown length-delimited fields
// stay unparsed bytes). A shallow one parses and is refused as unknown; past
// the recursion limit parsing stops, so a deep one cannot exhaust the stack.
TEST(CodecTest, NestingBeyondTheLimitIsInvalidWithoutRecursingIntoIt) {
  v1::Frame ping;
  ping.set_correlation_id(1);
  ping.mutable_ping()->set_nonce(7);
  const auto frame = bytes_of(ping);
  const auto alert = bytes_of(sample_alert());

  auto shallow = decode_request(frame + nested_groups(8), wire_format::native);
  ASSERT_FALSE(shallow.has_value());
  EXPECT_EQ(shallow.error().code, core::errc::invalid_argument);
  EXPECT_NE(shallow.error().message.find("fields this server does not know"), std::string::npos)
      << shallow.error().message;

  for (std::size_t depth : {std::size_t{64}, std::size_t{1'000'000}}) {
    auto deep = decode_request(frame + nested_groups(depth), wire_format::native);
    ASSERT_FALSE(deep.has_value()) << depth;
    EXPECT_EQ(deep.error().code, core::errc::invalid_argument);
    EXPECT_EQ(deep.error().message, "not a valid protobuf Frame") << depth;
    auto deep_alert = decode_alert(alert + nested_groups(depth));
    ASSERT_FALSE(deep_alert.has_value()) << depth;
    EXPECT_EQ(deep_alert.error().message, "not a valid protobuf Alert") << depth;
  }

  // Below known fields too: Frame.publish.envelope holding the groups.
  auto envelope = embedded(v1::Publish::descriptor(), "envelope", nested_groups(100'000));
  auto in_known =
      decode_request(embedded(v1::Frame::descriptor(), "publish", envelope), wire_format::native);
  ASSERT_FALSE(in_known.has_value());
  EXPECT_EQ(in_known.error().message, "not a valid protobuf Frame");
}

// Protobuf's JSON parser has its own depth limit: deep JSON is refused too.
TEST(CodecTest, DeeplyNestedJsonIsInvalid) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto frame =
      decode_request(R"({"correlationId":"1","ping":{"nonce":)" + deep + "}}", wire_format::json);
  ASSERT_FALSE(frame.has_value());
  EXPECT_EQ(frame.error().code, core::errc::invalid_argument);
  auto envelope = decode_envelope_json(R"({"keyId":)" + deep + "}");
  ASSERT_FALSE(envelope.has_value());
  EXPECT_EQ(envelope.error().code, core::errc::invalid_argument);
}

TEST(CodecTest, DecodesClientRequests) {
  v1::Frame f;
  f.set_correlation_id(9);
  f.mutable_subscribe()->set_consumer("c");
  f.mutable_subscribe()->set_from_seq(17);
  auto r = decode_request(bytes_of(f), wire_format::native);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->correlation_id, 9u);
  auto* sub = std::get_if<subscribe>(&r->body);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->start, start_from::seq);
  EXPECT_EQ(sub->from_seq, 17u);
}

TEST(CodecTest, DecodesTheRapidResponseRequests) {
  v1::Frame f;
  f.mutable_hello()->set_protocol_version(1);
  f.mutable_hello()->set_on_duty(true);
  auto r = decode_request(bytes_of(f), wire_format::binary);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<hello>(r->body).on_duty);

  f.Clear();
  f.mutable_subscribe()->set_consumer("c");
  f.mutable_subscribe()->set_lanes(true);
  r = decode_request(bytes_of(f), wire_format::binary);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<subscribe>(r->body).lanes);

  f.Clear();
  f.mutable_ack()->set_consumer("c");
  f.mutable_ack()->set_up_to_seq(4);
  f.mutable_ack()->set_lane(v1::PRIORITY_URGENT);
  r = decode_request(bytes_of(f), wire_format::binary);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<ack>(r->body).lane, core::priority::urgent);
  // A lane outside the enum is invalid; none means "no lane".
  f.mutable_ack()->set_lane(static_cast<v1::Priority>(7));
  EXPECT_FALSE(decode_request(bytes_of(f), wire_format::binary).has_value());
  f.mutable_ack()->set_lane(v1::PRIORITY_UNSPECIFIED);
  EXPECT_EQ(std::get<ack>(decode_request(bytes_of(f), wire_format::binary)->body).lane,
            std::nullopt);

  f.Clear();
  f.set_correlation_id(3);
  f.mutable_send_receipt()->mutable_receipt()->set_payload("p");
  f.mutable_send_receipt()->mutable_receipt()->set_signature("s");
  f.mutable_send_receipt()->mutable_receipt()->set_key_id("HU-1");
  r = decode_request(bytes_of(f), wire_format::binary);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<send_receipt>(r->body).receipt, (core::signed_receipt{"p", "s", "HU-1"}));

  // JSON, as a browser or a script would send them.
  r = decode_request(R"({"correlationId":"8","queryStatus":{"alertId":"x"}})", wire_format::json);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(std::get<query_status>(r->body).alert_id, "x");
  r = decode_request(R"({"queryPresence":{}})", wire_format::json);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::holds_alternative<query_presence>(r->body));
  r = decode_request(R"({"setDuty":{"onDuty":true}})", wire_format::json);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::get<set_duty>(r->body).on_duty);
  r = decode_request(R"({"fetchNotices":{"afterId":"5","limit":10}})", wire_format::json);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<fetch_notices>(r->body).after_id, 5u);
  r = decode_request(R"({"pong":{"nonce":"2"}})", wire_format::json);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<client_pong>(r->body).nonce, 2u);
  // Server-only rapid frames from a client are refused.
  for (const char* server_only : {R"({"notice":{"id":"1"}})", R"({"presence":{}})",
                                  R"({"receiptResult":{}})", R"({"dutySet":{}})"})
    EXPECT_FALSE(decode_request(server_only, wire_format::json).has_value()) << server_only;
}

TEST(CodecTest, ReceiptsDecodeStrictly) {
  v1::Receipt r;
  r.set_alert_id("a");
  r.set_origin("AT");
  r.set_alert_sha256(std::string(32, 'x'));
  r.set_state(v1::RECEIPT_STATE_ACTIONED);
  r.mutable_at()->set_seconds(1'780'000'000);
  r.set_member("HU");
  r.set_note("stopped");
  auto d = decode_receipt(r.SerializeAsString());
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->state, core::receipt_state::actioned);
  EXPECT_EQ(d->note, "stopped");
  EXPECT_EQ(encode_receipt(*d), r.SerializeAsString());
  // An unknown state, a time out of range, garbage, an unknown field.
  auto bad = r;
  bad.set_state(static_cast<v1::ReceiptState>(9));
  EXPECT_FALSE(decode_receipt(bad.SerializeAsString()).has_value());
  bad = r;
  bad.mutable_at()->set_seconds(std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(decode_receipt(bad.SerializeAsString()).has_value());
  EXPECT_FALSE(decode_receipt("\xff\xff\xff").has_value());
  EXPECT_FALSE(decode_receipt(r.SerializeAsString() + std::string("\xf8\x07\x01", 3)).has_value());
  // No state: decodes, and admission names it.
  bad = r;
  bad.clear_state();
  EXPECT_EQ(decode_receipt(bad.SerializeAsString())->state, std::nullopt);
}

TEST(CodecTest, EncodesNoticesStatusAndPresence) {
  core::notice n;
  n.id = 12;
  n.kind = core::notice_kind::escalation;
  n.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  n.origin = "AT";
  n.prio = core::priority::flash;
  n.members = {"RS"};
  n.level = 2;
  n.text = "Escalation (2)";
  v1::Frame f;
  ASSERT_TRUE(f.ParseFromString(encode_notice(n, wire_format::binary)));
  EXPECT_EQ(f.correlation_id(), 0u);
  EXPECT_EQ(f.notice().kind(), v1::NOTICE_KIND_ESCALATION);
  EXPECT_EQ(f.notice().priority(), v1::PRIORITY_FLASH);
  EXPECT_EQ(f.notice().level(), 2u);
  EXPECT_EQ(f.notice().members(0), "RS");
  auto json = encode_notice(n, wire_format::json);
  EXPECT_NE(json.find(R"("kind":"NOTICE_KIND_ESCALATION")"), std::string::npos) << json;

  core::alert_status s;
  s.alert_id = n.alert_id;
  s.origin = "AT";
  s.rows.push_back({"RS", core::receipt_state::delivered, {{"p", "s", "RS-1"}}, {}, 2, ""});
  ASSERT_TRUE(f.ParseFromString(encode_reply(4, s, wire_format::binary)));
  EXPECT_EQ(f.alert_status().recipients(0).state(), v1::RECEIPT_STATE_DELIVERED);
  EXPECT_EQ(f.alert_status().recipients(0).receipts(0).key_id(), "RS-1");
  EXPECT_EQ(f.alert_status().recipients(0).escalations(), 2u);

  presence p;
  p.members.push_back({"XK", core::duty_state::unreachable, std::nullopt, 0, 0});
  ASSERT_TRUE(f.ParseFromString(encode_reply(5, p, wire_format::binary)));
  EXPECT_EQ(f.presence().members(0).state(), v1::DUTY_STATE_UNREACHABLE);
  EXPECT_FALSE(f.presence().members(0).has_since());
}

TEST(CodecTest, ServerOnlyOrEmptyFramesFromAClientAreInvalid) {
  v1::Frame f;
  f.mutable_welcome()->set_principal("me");
  auto r = decode_request(bytes_of(f), wire_format::native);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("welcome"), std::string::npos);
  EXPECT_FALSE(decode_request("", wire_format::native).has_value());
}

TEST(CodecTest, JsonFramesUseTheCanonicalMapping) {
  auto r = decode_request(R"({"correlationId":"5","ack":{"consumer":"c","upToSeq":"12"}})",
                          wire_format::json);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  auto* a = std::get_if<ack>(&r->body);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->up_to_seq, 12u);
  EXPECT_FALSE(
      decode_request(R"({"ack":{"consumer":"c","bogus":1}})", wire_format::json).has_value());
  EXPECT_FALSE(decode_request(R"({"ack":)", wire_format::json).has_value());
  auto text = encode_reply(5, pong{3}, wire_format::json);
  EXPECT_NE(text.find("\"pong\""), std::string::npos);
}

TEST(CodecTest, DeliverCarriesTheSignedBytesVerbatim) {
  core::stored_alert a;
  a.seq = 42;
  a.signed_bytes = {std::string("\x00\x01payload\xff", 10), std::string(64, 's'), "AT-1"};
  a.recipients.members = {"HU"};
  auto native = encode_deliver(a, "console", wire_format::native);
  v1::Frame f;
  ASSERT_TRUE(f.ParseFromString(native.substr(4)));
  EXPECT_EQ(f.deliver().seq(), 42u);
  EXPECT_EQ(f.deliver().envelope().payload(), a.signed_bytes.payload);
  EXPECT_EQ(f.deliver().envelope().signature(), a.signed_bytes.signature);
  EXPECT_EQ(f.deliver().consumer(), "console");
}

// A committed alert as the log holds it. Fresh for each encoding: an alert
// is immutable once committed, and its shared encoding is memoised.
std::shared_ptr<core::stored_alert> alert_for_deliver(std::uint64_t seq, std::int64_t us) {
  auto a = std::make_shared<core::stored_alert>();
  a->seq = seq;
  a->received_at = core::time_point{std::chrono::microseconds(us)};
  a->signed_bytes = {std::string(70000, '\x01'), std::string(64, 's'), "HU-12"};
  a->recipients.members = {"AT", "HU", "RS"};
  return a;
}

// The hand-written Deliver encoding must be exactly what protobuf writes.
TEST(CodecTest, DeliverEncodingIsByteForByteProtobufs) {
  for (std::int64_t us : {std::int64_t{1'780'000'000'123'456}, std::int64_t{0},
                          std::int64_t{-1'500'000}, std::int64_t{1'000'000}}) {
    for (std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{300}, std::uint64_t{1} << 40}) {
      auto a = alert_for_deliver(seq, us);
      v1::Frame expected;
      auto* d = expected.mutable_deliver();
      d->set_consumer("console");
      d->set_seq(seq);
      d->mutable_envelope()->set_payload(a->signed_bytes.payload);
      d->mutable_envelope()->set_signature(a->signed_bytes.signature);
      d->mutable_envelope()->set_key_id(a->signed_bytes.key_id);
      auto seconds = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
      d->mutable_received_at()->set_seconds(seconds);
      d->mutable_received_at()->set_nanos(
          static_cast<std::int32_t>((us - seconds * 1'000'000) * 1000));
      for (const auto& m : a->recipients.members) d->add_recipients(m);
      d->set_lane(static_cast<v1::Priority>(a->prio));
      EXPECT_EQ(encode_deliver(*a, "console", wire_format::binary), expected.SerializeAsString())
          << us << " " << seq;
      auto native = encode_deliver(*a, "console", wire_format::native);
      EXPECT_EQ(native.substr(4), expected.SerializeAsString());
    }
  }
  auto a = alert_for_deliver(7, 0);
  a->signed_bytes.key_id.clear();
  a->recipients.members.clear();
  v1::Frame sparse;
  ASSERT_TRUE(sparse.ParseFromString(encode_deliver(*a, "", wire_format::binary)));
  EXPECT_TRUE(sparse.has_deliver());
  EXPECT_EQ(sparse.deliver().seq(), a->seq);
}

// An alert fanned out to many consumers is encoded once per wire format:
// each consumer adds only its own few bytes to the shared rest, and the
// result is the frame protobuf itself would write, in every format.
TEST(CodecTest, DeliverSharesOneEncodingPerAlertAcrossConsumers) {
  auto a = alert_for_deliver(300, 1'780'000'000'123'456);
  for (auto format : {wire_format::native, wire_format::binary, wire_format::json}) {
    auto hu = encode_deliver_parts(*a, "hu-console", format);
    auto rs = encode_deliver_parts(*a, "rs.partner_2", format);
    // The same bytes, not merely equal ones: encoded once.
    EXPECT_EQ(hu.shared, rs.shared);
    EXPECT_LT(hu.head.size(), 64u);  // of a frame over 90 KB
    for (auto [name, parts] : {std::pair{"hu-console", &hu}, std::pair{"rs.partner_2", &rs}}) {
      v1::Frame expected;
      auto* d = expected.mutable_deliver();
      d->set_consumer(name);
      d->set_seq(a->seq);
      d->mutable_envelope()->set_payload(a->signed_bytes.payload);
      d->mutable_envelope()->set_signature(a->signed_bytes.signature);
      d->mutable_envelope()->set_key_id(a->signed_bytes.key_id);
      d->mutable_received_at()->set_seconds(1'780'000'000);
      d->mutable_received_at()->set_nanos(123'456'000);
      for (const auto& m : a->recipients.members) d->add_recipients(m);
      d->set_lane(static_cast<v1::Priority>(a->prio));
      auto frame = parts->head + *parts->shared;
      if (format == wire_format::json) {
        std::string text;
        ASSERT_TRUE(google::protobuf::util::MessageToJsonString(expected, &text).ok());
        EXPECT_EQ(frame, text);
      } else {
        auto body = format == wire_format::native ? frame.substr(4) : frame;
        EXPECT_EQ(body, expected.SerializeAsString()) << name;
      }
    }
  }
}

TEST(CodecTest, ErrorRepliesCarryTheStableCode) {
  auto bytes =
      encode_reply(3, core::make_error(core::errc::bad_signature, "no"), wire_format::binary);
  v1::Frame f;
  ASSERT_TRUE(f.ParseFromString(bytes));
  EXPECT_EQ(f.correlation_id(), 3u);
  EXPECT_EQ(f.error().code(), v1::BAD_SIGNATURE);
  EXPECT_EQ(f.error().message(), "no");
}

// Regression (found by fuzz/request_json_fuzz.cpp): protobuf's JSON parser
// quotes the offending input in its message, and validation cuts ids to 64
// bytes, so an error message may hold invalid UTF-8. Protobuf serialises it
// anyway, and the client then refuses the whole Error frame.
TEST(CodecTest, ErrorRepliesAreReadableWhenTheMessageIsNotUtf8) {
  const auto text = std::string("{\"\0\0\0\x80", 6) + "correlationId\":\"9\"}";
  auto decoded = decode_request(text, wire_format::json);
  ASSERT_FALSE(decoded.has_value());
  auto cut =
      core::make_error(core::errc::invalid_argument, "id '" + std::string(63, 'a') + "\xc3'");
  for (const auto& e : {decoded.error(), cut}) {
    v1::Frame binary;
    ASSERT_TRUE(binary.ParseFromString(encode_reply(1, e, wire_format::binary)));
    EXPECT_EQ(binary.error().code(), v1::INVALID_ARGUMENT);
    EXPECT_FALSE(binary.error().message().empty());
    v1::Frame native;
    ASSERT_TRUE(native.ParseFromString(encode_reply(1, e, wire_format::native).substr(4)));
    v1::Frame json;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(encode_reply(1, e, wire_format::json), &json)
            .ok());
    EXPECT_EQ(json.error().message(), binary.error().message());
  }
}

}  // namespace
}  // namespace liaison::protocol
