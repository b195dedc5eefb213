// Reads what the checker compares with: the alerts table and the log head,
// and a consumer's stored cursor. libpqxx, as the superuser of the harness's
// own cluster.
#pragma once

#include "faults/checker.hpp"
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

// Read deadlines as stored, and the deadline.escalate audit rows.
std::vector<deadline_row> read_deadline_rows(const std::string& url);
std::vector<escalation_row> read_escalation_rows(const std::string& url);
// Deadlines still to pass (not closed, not exhausted).
long open_deadlines(const std::string& url);

}  // namespace liaison::faults
