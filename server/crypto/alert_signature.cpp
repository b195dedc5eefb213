#include "crypto/alert_signature.hpp"

namespace liaison::crypto {
namespace {

std::string signing_input(std::string_view context, std::string_view bytes) {
  std::string input;
  input.reserve(context.size() + bytes.size());
  input.append(context);
  input.append(bytes);
  return input;
}

}  // namespace

std::string sign_in_context(std::string_view context, const ed25519_private_key& key,
                            std::string_view bytes) {
  return key.sign(signing_input(context, bytes));
}

bool verify_in_context(std::string_view context, std::string_view public_key,
                       std::string_view bytes, std::string_view signature) {
  return ed25519_verify(public_key, signing_input(context, bytes), signature);
}

}  // namespace liaison::crypto
