// Private to store/: the auditors' reads of the alert history and the audit
// log. Every value reaches SQL as a bound parameter; filters only choose
// which fixed conditions appear.
#pragma once

#include "audit/history_query.hpp"
#include "store/audit_records.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string_view>

namespace liaison::store::detail {

// One snapshot for every statement of a read.
using snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The select list decode_audit_row reads, for audit_log aliased as `l`.
inline constexpr std::string_view audit_row_columns =
    "l.id, (extract(epoch from l.at) * 1000000)::bigint, l.actor, l.actor_member, l.action, "
    "l.subject, "
    "l.outcome, l.detail, l.prev_hash, l.row_hash";
inline constexpr std::size_t audit_row_column_count = 10;
audit::stored_row decode_audit_row(const pqxx::row& row, std::size_t first = 0);

// A 32-byte hash from a bytea field. A field of another length (a tampered
// row) becomes a hash no chain or tree can produce, so it never verifies.
audit::digest digest_from(const pqxx::field& f);

// Alerts matching `filter` with after < seq (<= up_to when given), in seq
// order, at most `limit`.
alert_page read_alert_page(pqxx::connection& c, const audit::alert_filter& filter,
                           std::uint64_t after, std::size_t limit,
                           std::optional<std::uint64_t> up_to);

// The alert (origin may be empty: then the id must be unambiguous), its
// envelope, its timeline (at most `max_events` rows) and its replies.
// NOT_FOUND, or FAILED_PRECONDITION when several origins used the id.
core::result<alert_detail> read_alert_detail(pqxx::connection& c, const std::string& alert_id,
                                             const std::string& origin, std::size_t max_events);

// Audit rows matching `filter` with after < id (<= up_to when given).
audit_page read_audit_page(pqxx::connection& c, const audit::audit_filter& filter,
                           std::uint64_t after, std::size_t limit,
                           std::optional<std::uint64_t> up_to);

}  // namespace liaison::store::detail
