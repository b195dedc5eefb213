// The signature schemes of the things members sign: Ed25519 over a fixed
// domain-separation prefix followed by the exact serialised bytes, one prefix
// per kind of object, so that a signature made for one kind (an alert, a
// receipt) can never be taken for another, nor replayed as a signature over
// anything else.
#pragma once

#include "crypto/ed25519.hpp"

#include <string>
#include <string_view>

namespace liaison::crypto {

// "liaison.v1.alert" followed by one NUL byte.
inline constexpr std::string_view alert_signature_context{"liaison.v1.alert\0", 17};
// "liaison.v1.receipt" followed by one NUL byte: a recipient's receipt.
inline constexpr std::string_view receipt_signature_context{"liaison.v1.receipt\0", 19};

// Ed25519 over `context` || `bytes`.
std::string sign_in_context(std::string_view context, const ed25519_private_key& key,
                            std::string_view bytes);
bool verify_in_context(std::string_view context, std::string_view public_key,
                       std::string_view bytes, std::string_view signature);

inline std::string sign_alert(const ed25519_private_key& key, std::string_view payload) {
  return sign_in_context(alert_signature_context, key, payload);
}
inline bool verify_alert(std::string_view public_key, std::string_view payload,
                         std::string_view signature) {
  return verify_in_context(alert_signature_context, public_key, payload, signature);
}

inline std::string sign_receipt(const ed25519_private_key& key, std::string_view receipt) {
  return sign_in_context(receipt_signature_context, key, receipt);
}
inline bool verify_receipt(std::string_view public_key, std::string_view receipt,
                           std::string_view signature) {
  return verify_in_context(receipt_signature_context, public_key, receipt, signature);
}

}  // namespace liaison::crypto
