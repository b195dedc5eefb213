// Instants as RFC 3339 text in UTC ("2026-11-29T05:18:56.549799Z"), for JSON,
// CSV and query parameters. Pure.
#pragma once

#include "core/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace liaison::core {

// Always UTC with microseconds: "YYYY-MM-DDTHH:MM:SS.ffffffZ".
std::string to_rfc3339(time_point t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" and a bare date
// "YYYY-MM-DD" (midnight UTC). nullopt for anything else, including impossible
// dates such as February 30th.
std::optional<time_point> parse_rfc3339(std::string_view text);

}  // namespace liaison::core
