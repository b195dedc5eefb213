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
  };
  std::visit(replies{id}, decoded->body);
}

}  // namespace liaison::fuzz
