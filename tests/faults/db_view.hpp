// Reads what the checker compares with: the alerts table and the log head,
// and a consumer's stored cursor. libpqxx, as the superuser of the harness's
// own cluster.
#pragma once

#include "faults/history.hpp"

#include <optional>
#include <string>

namespace liaison::faults {

// Every stored alert, ordered by seq, and log_head.last_seq. Throws on a
// database error.
database_view read_database(const std::string& url);

// The stored cursor of consumer `name` of `principal`, or nullopt when the
// consumer does not exist.
std::optional<std::uint64_t> consumer_cursor(const std::string& url, const std::string& principal,
                                             const std::string& name);

}  // namespace liaison::faults
