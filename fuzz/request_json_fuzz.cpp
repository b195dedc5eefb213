// Frame decoding, JSON: protocol::decode_request on a WebSocket text message
// (a Frame in protobuf's JSON mapping). Every answer the session would give
// must be readable by the client.
//
// Input: JSON text.
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
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  liaison::fuzz::check_replies_to(
      liaison::protocol::decode_request(text, liaison::protocol::wire_format::json));
  return 0;
}
