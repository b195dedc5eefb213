#include "client/alert_builder.hpp"

#include "crypto/alert_signature.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace liaison::client {

std::string new_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no randomness for a UUID");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0x0f]);
  }
  return out;
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
