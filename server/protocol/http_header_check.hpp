// The rules a request's header block must meet before its body is read:
// bounded field count and field size (431), and no way for a proxy and
// liaisond to disagree on where the body ends (400): Transfer-Encoding, if
// present, is exactly "chunked", once, and never together with
// Content-Length; at most one Content-Length. Pure; untrusted input.
#pragma once

#include "core/error.hpp"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace liaison::protocol {

struct http_header_limits {
  std::size_t max_fields = 100;
  std::size_t max_field_bytes = 8192;  // name and value of one field
};

struct http_header_refusal {
  unsigned status;  // 400 or 431; the connection is closed after it
  core::error error;
};

// `fields` as received, names in any case.
std::optional<http_header_refusal> check_http_header(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields,
    const http_header_limits& limits);

}  // namespace liaison::protocol
