// Editing liaison.toml text for a test: one key of one section.
#pragma once

#include <string>

namespace liaison::testing {

// Sets `key = value` (value as TOML text, e.g. "\"127.0.0.1:0\"" or "5")
// inside [section] of `text`, for dotted = "section.key"; adds the key, or
// the section, when absent.
std::string set_toml(std::string text, const std::string& dotted, const std::string& value);

}  // namespace liaison::testing
