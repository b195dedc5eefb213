#include "client/alert_builder.hpp"

#include "crypto/alert_signature.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <stdexcept>

namespace liaison::client {

std::string new_uuid() {
  // Version 4 from the operating system's random source; to_string gives
  // the canonical lower-case form the server requires.
  thread_local boost::uuids::random_generator generate;
  return boost::uuids::to_string(generate());
}

liaison::v1::Envelope sign_alert(const liaison::v1::Alert& alert,
                                 const crypto::ed25519_private_key& key,
                                 const std::string& key_id) {
  liaison::v1::Envelope envelope;
  std::string payload;
  if (!alert.SerializeToString(&payload)) throw std::runtime_error("cannot serialise the alert");
  envelope.set_signature(crypto::sign_alert(key, payload));
  envelope.set_payload(std::move(payload));
  envelope.set_key_id(key_id);
  return envelope;
}

void set_created_now(liaison::v1::Alert& alert, std::chrono::system_clock::time_point when) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  alert.mutable_created_at()->set_seconds(us / 1'000'000);
  alert.mutable_created_at()->set_nanos(static_cast<std::int32_t>((us % 1'000'000) * 1000));
}

}  // namespace liaison::client
