// Private to store/: the read queries on the ordered log shared by the reader
// pool and the log follower.
#pragma once

#include "core/records.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <vector>

namespace liaison::store::detail {

// Declares the statements below on a new connection.
void prepare_log_queries(pqxx::connection& c);

// The highest committed seq (0 for an empty log).
std::uint64_t read_log_head(pqxx::connection& c);

// Alerts with after_seq < seq <= up_to in seq order, read in chunks.
std::vector<core::stored_alert_ptr> read_range(pqxx::connection& c, std::uint64_t after_seq,
                                               std::uint64_t up_to);

// One page of a member's backlog (in one lane, or all) and the head, from
// one snapshot.
core::backlog_page read_backlog(pqxx::connection& c, const std::string& member,
                                std::uint64_t after_seq, std::size_t limit,
                                std::optional<core::priority> lane = std::nullopt);

// Creates the consumer if missing; FAILED_PRECONDITION if it belongs to
// another member.
core::result<core::consumer_state> open_consumer(pqxx::connection& c,
                                                 const core::consumer_key& consumer,
                                                 const std::string& member);

// The committed alerts with this id (one per origin that used it), each
// with its withdrawal if there is one.
std::vector<core::amendment_target> read_amendment_targets(pqxx::connection& c,
                                                           const std::string& alert_id);

// Every durable consumer (at most `limit`, ordered by member, principal,
// name) with its pending alerts counted up to `pending_cap`.
std::vector<core::consumer_overview> read_consumer_overview(pqxx::connection& c, std::size_t limit,
                                                            std::uint64_t pending_cap);

}  // namespace liaison::store::detail
