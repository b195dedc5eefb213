// The alert signature scheme: Ed25519 over a fixed domain-separation prefix
// followed by the exact serialised Alert bytes, so that a signature made for
// Liaison can never be replayed as a signature over anything else.
#pragma once

#include "crypto/ed25519.hpp"

#include <string>
#include <string_view>

namespace liaison::crypto {

// "liaison.v1.alert" followed by one NUL byte.
inline constexpr std::string_view alert_signature_context{"liaison.v1.alert\0", 17};

std::string sign_alert(const ed25519_private_key& key, std::string_view payload);
bool verify_alert(std::string_view public_key, std::string_view payload,
                  std::string_view signature);

}  // namespace liaison::crypto
