// SHA-256 (OpenSSL) for audit chaining and payload fingerprints.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace liaison::crypto {

using digest = std::array<std::uint8_t, 32>;

digest sha256(std::string_view data);
// Hash of the concatenation of `parts`, without building it.
digest sha256(std::initializer_list<std::string_view> parts);

inline std::string_view as_bytes(const digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace liaison::crypto
