// Frame decoding, binary: protocol::decode_request on one Frame body as it
// arrives in a native frame (after the length prefix) or in a WebSocket
// binary message. Both formats must agree, and every answer the session would
// give must be readable by the client.
//
// Input: a serialised liaison.v1.Frame (no length prefix).
#include "fuzz_check.hpp"
#include "protocol/codec.hpp"
#include "reply_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  liaison::fuzz::quiet_protobuf_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using liaison::protocol::wire_format;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto native = liaison::protocol::decode_request(bytes, wire_format::native);
  auto binary = liaison::protocol::decode_request(bytes, wire_format::binary);
  LIAISON_FUZZ_CHECK(native.has_value() == binary.has_value(), "native and binary agree");
  if (native) {
    LIAISON_FUZZ_CHECK(native->correlation_id == binary->correlation_id, "same correlation id");
    LIAISON_FUZZ_CHECK(native->body.index() == binary->body.index(), "same request type");
  }
  liaison::fuzz::check_replies_to(native);
  return 0;
}
