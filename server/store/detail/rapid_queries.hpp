// Private to store/: the read side of rapid response, shared by the reader
// pool and the notice feed: notices, an alert's status, members' presence,
// and the deadlines that have passed.
#pragma once

#include "core/error.hpp"
#include "core/rapid.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <vector>

namespace liaison::store::detail {

void prepare_rapid_queries(pqxx::connection& c);

// The highest notice id (0 when none).
std::uint64_t read_last_notice_id(pqxx::connection& c);
// Notices after `after_id`, oldest first, at most `limit`.
std::vector<core::notice> read_notices_after(pqxx::connection& c, std::uint64_t after_id,
                                             std::size_t limit);
// The notices addressed to `principal` or to the desks of `member` (empty:
// none) after `after_id`, at most `limit` (+1 to tell whether more follow).
std::vector<core::notice> read_notices_for(pqxx::connection& c, const std::string& principal,
                                           const std::string& member, std::uint64_t after_id,
                                           std::size_t limit);

// By (alert id, origin), or without an origin the alert with that id that
// `member` sent or received. NOT_FOUND when no such alert was committed.
core::result<core::alert_status> read_alert_status(pqxx::connection& c, const std::string& alert_id,
                                                   const std::string& origin,
                                                   const std::string& member);

// Every member's combined state as last written (members never seen are absent).
std::vector<core::member_presence> read_member_presence(pqxx::connection& c);

// Open deadlines due at or before `now`, earliest first, at most `limit`.
std::vector<core::due_deadline> read_due_deadlines(pqxx::connection& c, core::time_point now,
                                                   std::size_t limit);

}  // namespace liaison::store::detail
