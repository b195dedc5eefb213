// Encoding and decoding of Frames and Alerts between the wire (protobuf
// binary, or protobuf's canonical JSON mapping for WebSocket text messages)
// and the domain structs. The only place where server code meets protobuf.
#pragma once

#include "core/error.hpp"
#include "core/types.hpp"
#include "protocol/messages.hpp"

#include <string>
#include <string_view>

namespace liaison::protocol {

enum class wire_format {
  native,  // 4-byte big-endian length + protobuf Frame (TCP stream)
  binary,  // protobuf Frame, no length prefix (WebSocket binary message)
  json,    // Frame in protobuf's JSON mapping (WebSocket text message)
};

// A client's Frame. INVALID_ARGUMENT when the bytes are not a Frame, carry a
// server-only body (Welcome, Deliver, ...), have no body, or have unknown
// fields. `bytes` excludes the native length prefix.
core::result<request> decode_request(std::string_view bytes, wire_format format);

// Encoded answers. For wire_format::native the result includes the prefix.
std::string encode_reply(std::uint64_t correlation_id, const reply_body& reply, wire_format format);
std::string encode_deliver(const core::stored_alert& alert, std::string_view consumer,
                           wire_format format);

// The same frame in two parts, so that an alert delivered to many consumers
// is encoded once: `head` is this consumer's (the native length prefix, the
// frame and Deliver headers, the consumer name); `shared` is the rest, the
// same for every consumer, encoded on first use and kept with the alert.
// The frame is head followed by shared. Thread-safe.
struct deliver_parts {
  std::string head;
  const std::string* shared = nullptr;  // lives as long as the alert
};
deliver_parts encode_deliver_parts(const core::stored_alert& alert, std::string_view consumer,
                                   wire_format format);

// A signed envelope in protobuf's JSON mapping, as POST /v1/alerts takes it:
// {"payload": BASE64, "signature": BASE64, "keyId": "AT-1"} ("key_id" is
// accepted too). INVALID_ARGUMENT on malformed JSON, bad base64 or unknown fields.
core::result<core::envelope> decode_envelope_json(std::string_view json);

// A notice pushed to a connection (correlation_id 0).
std::string encode_notice(const core::notice& n, wire_format format);

// The receipt inside a signed payload: INVALID_ARGUMENT as for decode_alert.
core::result<core::receipt> decode_receipt(std::string_view payload);
// A receipt's payload as a desk signs it (clients, tests).
std::string encode_receipt(const core::receipt& r);

// The alert inside a signed payload. INVALID_ARGUMENT when the bytes are not
// an Alert, hold unknown fields, or an enum value outside the known range.
core::result<core::alert> decode_alert(std::string_view payload);

}  // namespace liaison::protocol
