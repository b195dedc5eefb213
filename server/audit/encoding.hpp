// Base64 (RFC 4648) for hashes, signatures and proofs in JSON, and its
// URL-safe form without padding for opaque cursors, on OpenSSL's encoder
// with a strict decoder (one canonical spelling per value). Pure.
#pragma once

#include "crypto/sha256.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace liaison::audit {

// Standard alphabet with '=' padding.
std::string to_base64(std::string_view bytes);
// Strict: the standard alphabet, correct padding, no whitespace; nullopt otherwise.
std::optional<std::string> from_base64(std::string_view text);

// URL-safe alphabet ('-', '_'), no padding.
std::string to_base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);

// A 32-byte hash from base64; nullopt for anything else.
std::optional<crypto::digest> digest_from_base64(std::string_view text);
inline std::string to_base64(const crypto::digest& d) {
  return to_base64(crypto::as_bytes(d));
}

}  // namespace liaison::audit
