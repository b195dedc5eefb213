// Signed envelopes in JSON, the body of POST /v1/alerts:
// protocol::decode_envelope_json. Refusals are INVALID_ARGUMENT and their
// error reply is readable by the client; an accepted envelope's payload then
// goes through protocol::decode_alert without crashing.
//
// Input: JSON text.
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
  using namespace liaison;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto envelope = protocol::decode_envelope_json(text);
  if (!envelope) {
    LIAISON_FUZZ_CHECK(envelope.error().code == core::errc::invalid_argument,
                       "a refused envelope is INVALID_ARGUMENT");
    fuzz::check_reply_round_trip(0, envelope.error());
    return 0;
  }
  auto alert = protocol::decode_alert(envelope->payload);
  if (!alert) fuzz::check_reply_round_trip(0, alert.error());
  return 0;
}
