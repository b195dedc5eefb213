#include "crypto/alert_signature.hpp"

namespace liaison::crypto {
namespace {

std::string signing_input(std::string_view payload) {
  std::string input;
  input.reserve(alert_signature_context.size() + payload.size());
  input.append(alert_signature_context);
  input.append(payload);
  return input;
}

}  // namespace

std::string sign_alert(const ed25519_private_key& key, std::string_view payload) {
  return key.sign(signing_input(payload));
}

bool verify_alert(std::string_view public_key, std::string_view payload,
                  std::string_view signature) {
  return ed25519_verify(public_key, signing_input(payload), signature);
}

}  // namespace liaison::crypto
