// Well-formed UTF-8 for text that leaves the server in protobuf `string`
// fields: a client refuses a whole message whose string holds invalid UTF-8,
// and error messages may quote (or cut through) untrusted bytes. Pure.
#pragma once

#include <string>
#include <string_view>

namespace liaison::core {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with each maximal ill-formed subsequence replaced by U+FFFD; well-
// formed text is returned unchanged.
std::string to_valid_utf8(std::string_view text);

}  // namespace liaison::core
