#include "protocol/codec.hpp"

#include "core/names.hpp"
#include "core/utf8.hpp"
#include "liaison/v1/alert.pb.h"
#include "liaison/v1/frame.pb.h"
#include "protocol/frame_reader.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <limits>

namespace liaison::protocol {
namespace {

namespace pb = google::protobuf;
namespace v1 = liaison::v1;

// Our messages nest at most four levels; anything deeper is hostile.
constexpr int max_nesting = 16;

// Earliest and latest instants protobuf's Timestamp allows (years 1 to 9999).
constexpr std::int64_t min_timestamp_seconds = -62135596800;
constexpr std::int64_t max_timestamp_seconds = 253402300799;

core::error invalid(std::string message) {
  return core::make_error(core::errc::invalid_argument, std::move(message));
}

// Unknown fields are refused: a field this server does not understand could
// carry a handling instruction it would then fail to enforce.
bool has_unknown_fields(const pb::Message& m) {
  const auto* reflection = m.GetReflection();
  if (!reflection->GetUnknownFields(m).empty()) return true;
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(m, f); ++i)
        if (has_unknown_fields(reflection->GetRepeatedMessage(m, f, i))) return true;
    } else if (has_unknown_fields(reflection->GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

bool parse_binary(std::string_view bytes, pb::Message& out) {
  pb::io::ArrayInputStream input(bytes.data(), static_cast<int>(bytes.size()));
  pb::io::CodedInputStream coded(&input);
  coded.SetRecursionLimit(max_nesting);
  return out.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}

core::result<void> parse(std::string_view bytes, wire_format format, pb::Message& out,
                         std::string_view what) {
  if (format == wire_format::json) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status =
        pb::util::JsonStringToMessage(pb::StringPiece(bytes.data(), bytes.size()), &out, options);
    if (!status.ok())
      return invalid("not a valid JSON " + std::string(what) + ": " +
                     std::string(status.message().substr(0, 200)));
    return {};
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !parse_binary(bytes, out))
    return invalid("not a valid protobuf " + std::string(what));
  if (has_unknown_fields(out))
    return invalid(std::string(what) + " has fields this server does not know");
  return {};
}

core::time_point from_wire(const pb::Timestamp& t) {
  return core::time_point{std::chrono::microseconds(t.seconds() * 1'000'000 + t.nanos() / 1000)};
}

bool valid_timestamp(const pb::Timestamp& t) {
  return t.seconds() >= min_timestamp_seconds && t.seconds() <= max_timestamp_seconds &&
         t.nanos() >= 0 && t.nanos() <= 999'999'999;
}

void to_wire(core::time_point tp, pb::Timestamp* out) {
  auto us = tp.time_since_epoch().count();
  auto seconds = us / 1'000'000;
  auto rest = us % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<std::int32_t>(rest * 1000));
}

// Wire enum value -> domain enum: 0 is "unspecified" (nullopt); values beyond
// the known range are an error.
template <class Enum>
core::result<std::optional<Enum>> enum_from_wire(int value, int max, std::string_view field) {
  if (value == 0) return std::optional<Enum>{};
  if (value < 0 || value > max)
    return invalid("unknown " + std::string(field) + " value " + std::to_string(value));
  return std::optional<Enum>{static_cast<Enum>(value)};
}

std::string serialize(const v1::Frame& frame, wire_format format) {
  if (format == wire_format::json) {
    std::string out;
    pb::util::JsonPrintOptions options;
    options.always_print_primitive_fields = false;
    (void)pb::util::MessageToJsonString(frame, &out, options);
    return out;
  }
  auto size = frame.ByteSizeLong();
  std::string out;
  std::size_t offset = 0;
  if (format == wire_format::native) {
    out.reserve(frame_header_bytes + size);
    put_frame_header(out, static_cast<std::uint32_t>(size));
    offset = frame_header_bytes;
  }
  out.resize(offset + size);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + offset));
  return out;
}

void receipt_to_wire(const core::signed_receipt& r, v1::SignedReceipt* out) {
  out->set_payload(r.payload);
  out->set_signature(r.signature);
  out->set_key_id(r.key_id);
}

void notice_to_wire(const core::notice& n, v1::Notice* out) {
  out->set_id(n.id);
  out->set_kind(static_cast<v1::NoticeKind>(n.kind));
  to_wire(n.at, out->mutable_at());
  out->set_alert_id(n.alert_id);
  out->set_origin(n.origin);
  out->set_alert_seq(n.alert_seq);
  if (n.prio) out->set_priority(static_cast<v1::Priority>(*n.prio));
  for (const auto& m : n.members) out->add_members(m);
  out->set_level(n.level);
  if (n.deadline) to_wire(*n.deadline, out->mutable_deadline());
  if (n.receipt) receipt_to_wire(*n.receipt, out->mutable_receipt());
  if (n.duty) out->set_duty(static_cast<v1::DutyState>(*n.duty));
  out->set_text(core::to_valid_utf8(n.text));
}

struct reply_writer {
  v1::Frame& frame;
  void operator()(const welcome& w) const {
    auto* out = frame.mutable_welcome();
    out->set_principal(w.who.id);
    out->set_member(w.who.member);
    out->set_role(std::string(core::to_string(w.who.role)));
    out->set_server(w.server);
    out->set_max_frame_bytes(w.max_frame_bytes);
    out->set_max_in_flight_publishes(w.max_in_flight_publishes);
  }
  void operator()(const publish_result& r) const {
    auto* out = frame.mutable_publish_result();
    out->set_alert_id(r.alert_id);
    out->set_seq(r.seq);
    to_wire(r.received_at, out->mutable_received_at());
    out->set_duplicate(r.duplicate);
    for (const auto& l : r.left_out) {
      auto* entry = out->add_left_out();
      entry->set_member(l.member);
      entry->set_reason(l.reason);
    }
  }
  void operator()(const subscribed& s) const {
    auto* out = frame.mutable_subscribed();
    out->set_consumer(s.consumer);
    out->set_cursor(s.cursor);
    out->set_resume_after(s.resume_after);
    for (const auto& l : s.lanes) {
      auto* lane = out->add_lanes();
      lane->set_lane(static_cast<v1::Priority>(l.lane));
      lane->set_cursor(l.cursor);
      lane->set_resume_after(l.resume_after);
    }
  }
  void operator()(const pong& p) const { frame.mutable_pong()->set_nonce(p.nonce); }
  void operator()(const server_ping& p) const { frame.mutable_ping()->set_nonce(p.nonce); }
  void operator()(const duty_set& d) const {
    auto* out = frame.mutable_duty_set();
    out->set_on_duty(d.on_duty);
    out->set_counted(d.counted);
  }
  void operator()(const receipt_result& r) const {
    auto* out = frame.mutable_receipt_result();
    out->set_alert_id(r.alert_id);
    out->set_state(static_cast<v1::ReceiptState>(r.outcome.state));
    out->set_id(r.outcome.id);
    out->set_duplicate(r.outcome.duplicate);
    to_wire(r.outcome.recorded_at, out->mutable_recorded_at());
  }
  void operator()(const core::notice& n) const { notice_to_wire(n, frame.mutable_notice()); }
  void operator()(const notices& n) const {
    auto* out = frame.mutable_notices();
    for (const auto& item : n.items) notice_to_wire(item, out->add_notices());
    out->set_more(n.more);
  }
  void operator()(const core::alert_status& s) const {
    auto* out = frame.mutable_alert_status();
    out->set_alert_id(s.alert_id);
    out->set_origin(s.origin);
    out->set_seq(s.seq);
    out->set_priority(static_cast<v1::Priority>(s.prio));
    to_wire(s.committed_at, out->mutable_committed_at());
    out->set_withdrawn(s.withdrawn);
    out->set_withdrawn_by(s.withdrawn_by);
    if (s.withdrawn_at) to_wire(*s.withdrawn_at, out->mutable_withdrawn_at());
    for (const auto& c : s.corrections) {
      auto* row = out->add_corrections();
      row->set_alert_id(c.alert_id);
      to_wire(c.committed_at, row->mutable_committed_at());
    }
    out->set_alert_sha256(s.alert_sha256);
    for (const auto& row : s.rows) {
      auto* r = out->add_recipients();
      r->set_member(row.member);
      if (row.state) r->set_state(static_cast<v1::ReceiptState>(*row.state));
      for (const auto& receipt : row.receipts) receipt_to_wire(receipt, r->add_receipts());
      if (row.deadline) to_wire(*row.deadline, r->mutable_deadline());
      r->set_escalations(row.escalations);
      r->set_closed_by(row.closed_by);
    }
  }
  void operator()(const presence& p) const {
    auto* out = frame.mutable_presence();
    to_wire(p.at, out->mutable_at());
    for (const auto& m : p.members) {
      auto* row = out->add_members();
      row->set_member(m.member);
      row->set_state(static_cast<v1::DutyState>(m.state));
      if (m.since) to_wire(*m.since, row->mutable_since());
      row->set_desks_connected(m.desks_connected);
      row->set_desks_on_duty(m.desks_on_duty);
    }
  }
  void operator()(const core::recipient_preview& p) const {
    auto* out = frame.mutable_recipient_preview();
    out->set_alert_id(p.alert_id);
    for (const auto& r : p.recipients) {
      auto* row = out->add_recipients();
      row->set_member(r.member);
      row->set_duty(static_cast<v1::DutyState>(r.duty));
      row->set_desks_on_duty(r.desks_on_duty);
      for (const auto& id : r.principals) row->add_principals(id);
      for (const auto& w : r.withheld) {
        auto* entry = row->add_withheld();
        entry->set_member(w.member);
        entry->set_reason(w.reason);
      }
      for (const auto& f : r.fallback) row->add_fallback(f);
    }
    for (const auto& l : p.left_out) {
      auto* entry = out->add_left_out();
      entry->set_member(l.member);
      entry->set_reason(l.reason);
    }
    if (p.read_window)
      out->set_read_within_seconds(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::seconds>(*p.read_window).count()));
  }
  void operator()(const core::error& e) const {
    auto* out = frame.mutable_error();
    out->set_code(static_cast<v1::ErrorCode>(e.code));
    // Messages may quote untrusted bytes or cut a character in two; a client
    // refuses a whole Frame whose string field is not UTF-8.
    out->set_message(core::to_valid_utf8(e.message));
  }
};

}  // namespace

core::result<request> decode_request(std::string_view bytes, wire_format format) {
  v1::Frame frame;
  if (auto parsed = parse(bytes, format, frame, "Frame"); !parsed) return parsed.error();
  request out;
  out.correlation_id = frame.correlation_id();
  switch (frame.body_case()) {
    case v1::Frame::kHello:
      out.body =
          hello{frame.hello().client(), frame.hello().protocol_version(), frame.hello().on_duty()};
      break;
    case v1::Frame::kPublish: {
      const auto& e = frame.publish().envelope();
      out.body = publish{core::envelope{e.payload(), e.signature(), e.key_id()},
                         frame.publish().dry_run()};
      break;
    }
    case v1::Frame::kSubscribe: {
      const auto& s = frame.subscribe();
      subscribe sub;
      sub.consumer = s.consumer();
      if (s.start_case() == v1::Subscribe::kFromSeq) {
        sub.start = start_from::seq;
        sub.from_seq = s.from_seq();
      } else if (s.start_case() == v1::Subscribe::kOnlyNew) {
        sub.start = start_from::only_new;
      }
      sub.take_over = s.take_over();
      sub.client_instance = s.client_instance();
      sub.lanes = s.lanes();
      out.body = std::move(sub);
      break;
    }
    case v1::Frame::kAck: {
      auto lane = enum_from_wire<core::priority>(frame.ack().lane(), 3, "lane");
      if (!lane) return lane.error();
      out.body = ack{frame.ack().consumer(), frame.ack().up_to_seq(), *lane};
      break;
    }
    case v1::Frame::kPing:
      out.body = ping{frame.ping().nonce()};
      break;
    case v1::Frame::kPong:
      out.body = client_pong{frame.pong().nonce()};
      break;
    case v1::Frame::kSetDuty:
      out.body = set_duty{frame.set_duty().on_duty()};
      break;
    case v1::Frame::kSendReceipt: {
      const auto& r = frame.send_receipt().receipt();
      out.body = send_receipt{core::signed_receipt{r.payload(), r.signature(), r.key_id()}};
      break;
    }
    case v1::Frame::kFetchNotices:
      out.body = fetch_notices{frame.fetch_notices().after_id(), frame.fetch_notices().limit()};
      break;
    case v1::Frame::kQueryStatus:
      out.body = query_status{frame.query_status().alert_id(), frame.query_status().origin()};
      break;
    case v1::Frame::kQueryPresence:
      out.body = query_presence{};
      break;
    case v1::Frame::BODY_NOT_SET:
      return invalid("the Frame has no body");
    default:
      return invalid(
          "a client may not send a " +
          std::string(frame.GetDescriptor()->FindFieldByNumber(frame.body_case())->name()) +
          " frame");
  }
  return out;
}

std::string encode_reply(std::uint64_t correlation_id, const reply_body& reply,
                         wire_format format) {
  v1::Frame frame;
  frame.set_correlation_id(correlation_id);
  std::visit(reply_writer{frame}, reply);
  return serialize(frame, format);
}

// Deliver is the hot path of fan-out (one per alert and consumer), so its
// binary form is written directly rather than through a protobuf message:
// the same bytes protobuf would produce (fields in number order, defaults
// omitted), without the copies and allocations. A unit test holds the two
// byte for byte.
namespace {
namespace wire {

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A length-delimited field with a one-byte tag; empty ones are omitted.
std::size_t bytes_field_size(std::size_t n) {
  return n == 0 ? 0 : 1 + varint_size(n) + n;
}
void put_bytes_field(std::string& out, char tag, std::string_view bytes) {
  if (bytes.empty()) return;
  out.push_back(tag);
  put_varint(out, bytes.size());
  out.append(bytes);
}
std::size_t message_field_size(std::size_t n) {
  return 1 + varint_size(n) + n;
}
void put_message_header(std::string& out, char tag, std::size_t n) {
  out.push_back(tag);
  put_varint(out, n);
}
std::size_t varint_field_size(std::uint64_t v) {
  return v == 0 ? 0 : 1 + varint_size(v);
}
void put_varint_field(std::string& out, char tag, std::uint64_t v) {
  if (v == 0) return;
  out.push_back(tag);
  put_varint(out, v);
}

}  // namespace wire
}  // namespace

namespace {

// Deliver's fields 2 to 5 (seq, envelope, received_at, recipients), the same
// for every consumer. Binary: the fields as they follow Deliver.consumer.
// JSON: the text after {"deliver":{"consumer":"NAME", up to the end.
std::string shared_deliver_fields(const core::stored_alert& alert, wire_format format) {
  if (format == wire_format::json) {
    v1::Frame frame;
    auto* d = frame.mutable_deliver();
    d->set_seq(alert.seq);
    auto* e = d->mutable_envelope();
    e->set_payload(alert.signed_bytes.payload);
    e->set_signature(alert.signed_bytes.signature);
    e->set_key_id(alert.signed_bytes.key_id);
    to_wire(alert.received_at, d->mutable_received_at());
    for (const auto& m : alert.recipients.members) d->add_recipients(m);
    d->set_lane(static_cast<v1::Priority>(alert.prio));
    // {"deliver":{"seq":...}} -> "seq":...}}
    auto text = serialize(frame, format);
    constexpr std::string_view open = R"({"deliver":{)";
    return text.substr(open.size());
  }
  using namespace wire;
  const auto& env = alert.signed_bytes;
  pb::Timestamp ts;
  to_wire(alert.received_at, &ts);
  // int64 and int32 varints are the two's complement as uint64.
  auto seconds = static_cast<std::uint64_t>(ts.seconds());
  auto nanos = static_cast<std::uint64_t>(static_cast<std::int64_t>(ts.nanos()));
  std::size_t envelope_len = bytes_field_size(env.payload.size()) +
                             bytes_field_size(env.signature.size()) +
                             bytes_field_size(env.key_id.size());
  std::size_t ts_len = varint_field_size(seconds) + varint_field_size(nanos);
  std::size_t len =
      varint_field_size(alert.seq) + message_field_size(envelope_len) + message_field_size(ts_len);
  for (const auto& m : alert.recipients.members) len += 1 + varint_size(m.size()) + m.size();
  const auto lane = static_cast<std::uint64_t>(alert.prio);
  len += varint_field_size(lane);
  std::string out;
  out.reserve(len);
  put_varint_field(out, 0x10, alert.seq);       // Deliver.seq = 2
  put_message_header(out, 0x1a, envelope_len);  // Deliver.envelope = 3
  put_bytes_field(out, 0x0a, env.payload);
  put_bytes_field(out, 0x12, env.signature);
  put_bytes_field(out, 0x1a, env.key_id);
  put_message_header(out, 0x22, ts_len);  // Deliver.received_at = 4
  put_varint_field(out, 0x08, seconds);
  put_varint_field(out, 0x10, nanos);
  // Deliver.recipients = 5 (repeated: empty ones kept)
  for (const auto& m : alert.recipients.members) {
    out.push_back(0x2a);
    put_varint(out, m.size());
    out.append(m);
  }
  put_varint_field(out, 0x30, lane);  // Deliver.lane = 6
  return out;
}

const std::string& shared_of(const core::stored_alert& alert, wire_format format) {
  const auto i = static_cast<std::size_t>(format);
  std::call_once(alert.wire.once[i],
                 [&] { alert.wire.bytes[i] = shared_deliver_fields(alert, format); });
  return alert.wire.bytes[i];
}

}  // namespace

deliver_parts encode_deliver_parts(const core::stored_alert& alert, std::string_view consumer,
                                   wire_format format) {
  const std::string& shared = shared_of(alert, format);
  deliver_parts out{{}, &shared};
  if (format == wire_format::json) {
    if (consumer.empty()) {
      out.head = R"({"deliver":{)";
      return out;
    }
    // {"deliver":{"consumer":"NAME"}} -> {"deliver":{"consumer":"NAME",
    v1::Frame frame;
    frame.mutable_deliver()->set_consumer(std::string(consumer));
    out.head = serialize(frame, format);
    out.head.resize(out.head.size() - 2);
    out.head += ',';
    return out;
  }
  using namespace wire;
  const std::size_t deliver_len = bytes_field_size(consumer.size()) + shared.size();
  const std::size_t frame_len = message_field_size(deliver_len);
  out.head.reserve(frame_header_bytes + 12 + consumer.size());
  if (format == wire_format::native)
    put_frame_header(out.head, static_cast<std::uint32_t>(frame_len));
  put_message_header(out.head, 0x42, deliver_len);  // Frame.deliver = 8
  put_bytes_field(out.head, 0x0a, consumer);        // Deliver.consumer = 1
  return out;
}

std::string encode_deliver(const core::stored_alert& alert, std::string_view consumer,
                           wire_format format) {
  auto parts = encode_deliver_parts(alert, consumer, format);
  return parts.head + *parts.shared;
}

core::result<core::envelope> decode_envelope_json(std::string_view json) {
  v1::Envelope e;
  if (auto parsed = parse(json, wire_format::json, e, "Envelope"); !parsed) return parsed.error();
  return core::envelope{e.payload(), e.signature(), e.key_id()};
}

core::result<core::alert> decode_alert(std::string_view payload) {
  v1::Alert a;
  if (auto parsed = parse(payload, wire_format::binary, a, "Alert"); !parsed) return parsed.error();
  core::alert out;
  out.id = a.id();
  out.origin = a.origin();
  out.recipients.assign(a.recipients().begin(), a.recipients().end());
  auto kind = enum_from_wire<core::alert_kind>(a.kind(), 6, "kind");
  auto cat = enum_from_wire<core::category>(a.category(), 8, "category");
  auto prio = enum_from_wire<core::priority>(a.priority(), 3, "priority");
  auto tlp = enum_from_wire<core::tlp>(a.tlp(), 5, "tlp");
  auto usage = enum_from_wire<core::restriction>(a.restriction(), 4, "restriction");
  auto source =
      enum_from_wire<core::source_reliability>(a.evaluation().source(), 4, "evaluation.source");
  auto info = enum_from_wire<core::information_reliability>(a.evaluation().information(), 4,
                                                            "evaluation.information");
  if (!kind) return kind.error();
  if (!cat) return cat.error();
  if (!prio) return prio.error();
  if (!tlp) return tlp.error();
  if (!usage) return usage.error();
  if (!source) return source.error();
  if (!info) return info.error();
  out.kind = *kind;
  out.cat = *cat;
  out.prio = *prio;
  out.disclosure = *tlp;
  out.usage = *usage;
  out.source = *source;
  out.information = *info;
  out.restriction_text = a.restriction_text();
  out.subject = a.subject();
  out.body = a.body();
  out.language = a.language();
  for (const auto& e : a.entities()) {
    auto type = enum_from_wire<core::entity_type>(e.type(), 9, "entity type");
    if (!type) return type.error();
    if (!*type) return invalid("an entity has no type");
    out.entities.push_back({**type, e.value()});
  }
  if (a.has_created_at()) {
    if (!valid_timestamp(a.created_at())) return invalid("created_at is out of range");
    out.created_at = from_wire(a.created_at());
  }
  if (a.has_expires_at()) {
    if (!valid_timestamp(a.expires_at())) return invalid("expires_at is out of range");
    out.expires_at = from_wire(a.expires_at());
  }
  out.in_reply_to = a.in_reply_to();
  out.case_reference = a.case_reference();
  out.read_within_seconds = a.read_within_seconds();
  return out;
}

core::result<core::receipt> decode_receipt(std::string_view payload) {
  v1::Receipt r;
  if (auto parsed = parse(payload, wire_format::binary, r, "Receipt"); !parsed)
    return parsed.error();
  core::receipt out;
  out.alert_id = r.alert_id();
  out.origin = r.origin();
  out.alert_sha256 = r.alert_sha256();
  auto state = enum_from_wire<core::receipt_state>(r.state(), 3, "receipt state");
  if (!state) return state.error();
  out.state = *state;
  if (r.has_at()) {
    if (!valid_timestamp(r.at())) return invalid("the receipt's time is out of range");
    out.at = from_wire(r.at());
  }
  out.member = r.member();
  out.note = r.note();
  return out;
}

std::string encode_receipt(const core::receipt& r) {
  v1::Receipt out;
  out.set_alert_id(r.alert_id);
  out.set_origin(r.origin);
  out.set_alert_sha256(r.alert_sha256);
  if (r.state) out.set_state(static_cast<v1::ReceiptState>(*r.state));
  if (r.at) to_wire(*r.at, out.mutable_at());
  out.set_member(r.member);
  out.set_note(r.note);
  return out.SerializeAsString();
}

std::string encode_notice(const core::notice& n, wire_format format) {
  return encode_reply(0, n, format);
}

}  // namespace liaison::protocol
