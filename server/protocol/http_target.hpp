// The request target of an HTTP request ("/v1/alerts?origin=AT&limit=50")
// split into its decoded path and query parameters. Pure; untrusted input.
#pragma once

#include "core/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liaison::protocol {

struct http_target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;  // in order; keys may repeat

  // The value of the first parameter named `key`.
  std::optional<std::string> param(std::string_view key) const;
};

struct http_target_limits {
  std::size_t max_params = 64;
  std::size_t max_component_bytes = 4096;  // one key or value, decoded
};

// INVALID_ARGUMENT when the path does not start with '/', a percent escape is
// malformed, a decoded key or value holds a control character or exceeds the
// limit, or there are too many parameters. '+' in the query means a space.
core::result<http_target> parse_http_target(std::string_view target,
                                            const http_target_limits& limits = {});

}  // namespace liaison::protocol
