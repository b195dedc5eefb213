// Lower-case hexadecimal encoding of bytes, for hashes in logs, JSON and SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace liaison::core {

std::string to_hex(std::string_view bytes);
// nullopt when `hex` has odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace liaison::core
