#include "reply_check.hpp"

#include "fuzz_check.hpp"
#include "liaison/v1/frame.pb.h"
#include "protocol/frame_reader.hpp"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

namespace liaison::fuzz {
namespace {

namespace v1 = liaison::v1;

// What a client holds after reading `encoded`.
v1::Frame read_as_client(const std::string& encoded, protocol::wire_format format) {
  v1::Frame frame;
  switch (format) {
    case protocol::wire_format::native: {
      protocol::frame_reader reader(static_cast<std::uint32_t>(encoded.size()));
      reader.append(encoded);
      auto item = reader.next();
      LIAISON_FUZZ_CHECK(item.state == protocol::frame_reader::status::frame,
                         "a native reply is one complete frame");
      LIAISON_FUZZ_CHECK(reader.buffered() == 0, "a native reply has nothing after its frame");
      LIAISON_FUZZ_CHECK(frame.ParseFromArray(item.body.data(), static_cast<int>(item.body.size())),
                         "a client parses the native reply");
      break;
    }
    case protocol::wire_format::binary:
      LIAISON_FUZZ_CHECK(frame.ParseFromString(encoded), "a client parses the binary reply");
      break;
    case protocol::wire_format::json: {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      auto status = google::protobuf::util::JsonStringToMessage(encoded, &frame, options);
      LIAISON_FUZZ_CHECK(status.ok(), "a client parses the JSON reply");
      break;
    }
  }
  LIAISON_FUZZ_CHECK(frame.GetReflection()->GetUnknownFields(frame).empty(),
                     "a reply holds only known fields");
  return frame;
}

}  // namespace

void quiet_protobuf_logs() {
  google::protobuf::SetLogHandler(nullptr);
}

void check_reply_round_trip(std::uint64_t correlation_id, const protocol::reply_body& reply) {
  for (auto format : {protocol::wire_format::native, protocol::wire_format::binary,
                      protocol::wire_format::json}) {
    auto frame = read_as_client(protocol::encode_reply(correlation_id, reply, format), format);
    LIAISON_FUZZ_CHECK(frame.correlation_id() == correlation_id,
                       "the reply echoes the correlation id");
    LIAISON_FUZZ_CHECK(frame.body_case() != v1::Frame::BODY_NOT_SET, "the reply has a body");
    if (const auto* e = std::get_if<core::error>(&reply)) {
      LIAISON_FUZZ_CHECK(frame.has_error(), "an error reply is an Error frame");
      LIAISON_FUZZ_CHECK(frame.error().code() == static_cast<int>(e->code),
                         "the error code survives");
      LIAISON_FUZZ_CHECK(!frame.error().message().empty() || e->message.empty(),
                         "the error message survives");
    }
  }
}

void check_replies_to(const core::result<protocol::request>& decoded) {
  if (!decoded) {
    LIAISON_FUZZ_CHECK(decoded.error().code == core::errc::invalid_argument,
                       "undecodable input is INVALID_ARGUMENT");
    check_reply_round_trip(0, decoded.error());
    return;
  }
  const auto id = decoded->correlation_id;
  struct replies {
    std::uint64_t id;
    void operator()(const protocol::hello& h) const {
      protocol::welcome w;
      w.who = core::principal{"AT.desk", "AT", core::role::desk, core::tlp::red};
      w.server = "liaisond";
      w.max_frame_bytes = 1 << 20;
      check_reply_round_trip(id, w);
      if (h.version != protocol::protocol_version)
        check_reply_round_trip(
            id, core::make_error(
                    core::errc::failed_precondition,
                    "protocol version " + std::to_string(h.version) + " is not supported"));
    }
    void operator()(const protocol::publish& p) const {
      protocol::publish_result r;
      r.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
      r.seq = p.signed_alert.payload.size();
      check_reply_round_trip(id, r);
    }
    void operator()(const protocol::subscribe& s) const {
      check_reply_round_trip(id, protocol::subscribed{s.consumer, s.from_seq, s.from_seq});
      check_reply_round_trip(
          id, core::make_error(core::errc::invalid_argument,
                               "consumer '" + s.consumer.substr(0, 64) + "' is unknown"));
    }
    void operator()(const protocol::ack& a) const {
      check_reply_round_trip(id, core::make_error(core::errc::failed_precondition,
                                                  "consumer '" + a.consumer.substr(0, 64) +
                                                      "' is not subscribed on this connection"));
    }
    void operator()(const protocol::ping& p) const {
      check_reply_round_trip(id, protocol::pong{p.nonce});
    }
    void operator()(const protocol::client_pong&) const {
      // Answers the server's Ping; the server sends nothing back.
    }
    void operator()(const protocol::set_duty& d) const {
      check_reply_round_trip(id, protocol::duty_set{d.on_duty, d.on_duty});
    }
    void operator()(const protocol::send_receipt& r) const {
      // The signed bytes travel back to the sender unchanged, inside a notice.
      core::notice n;
      n.id = 1;
      n.kind = core::notice_kind::receipt;
      n.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
      n.origin = "AT";
      n.members = {"HU"};
      n.receipt = r.receipt;
      n.text = "HU has read your alert.";
      check_reply_round_trip(0, n);
      protocol::receipt_result result;
      result.alert_id = n.alert_id;
      result.outcome.id = r.receipt.payload.size();
      check_reply_round_trip(id, result);
    }
    void operator()(const protocol::fetch_notices& f) const {
      protocol::notices page;
      page.items.resize(f.limit % 3);
      for (auto& n : page.items) n.id = f.after_id;
      page.more = f.limit > 2;
      check_reply_round_trip(id, page);
    }
    void operator()(const protocol::query_status& q) const {
      core::alert_status status;
      status.alert_id = q.alert_id;
      status.origin = q.origin;
      status.alert_sha256 = std::string(32, '\x01');
      status.rows.push_back(core::recipient_status{q.origin, {}, {}, {}, 0, ""});
      check_reply_round_trip(id, status);
      check_reply_round_trip(id, core::make_error(core::errc::not_found, "no such alert"));
    }
    void operator()(const protocol::query_presence&) const {
      protocol::presence p;
      p.members.push_back(core::member_presence{"HU", core::duty_state::on_duty, {}, 1, 1});
      check_reply_round_trip(id, p);
    }
  };
  std::visit(replies{id}, decoded->body);
}

}  // namespace liaison::fuzz
