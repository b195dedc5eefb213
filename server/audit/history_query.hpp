// The auditors' query parameters, checked strictly before anything reaches
// the database: filters of the alert history and of the audit log, keyset
// cursors, page limits, export formats and proof coordinates. Every value is
// either a closed vocabulary, a bounded number or time, or a bounded text
// that the store passes as a bound parameter. Pure.
#pragma once

#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liaison::audit {

using query_params = std::vector<std::pair<std::string, std::string>>;

// Every auditor route takes it (or the Liaison-Justification header).
inline constexpr std::string_view justification_param = "justification";

enum class export_format { json, ndjson, csv };
std::string_view to_string(export_format f);

struct query_limits {
  std::size_t default_limit = 100;
  std::size_t max_limit = 1000;      // of one JSON page
  std::size_t max_text_bytes = 256;  // q, an entity value, an actor, ...
  std::size_t max_list = 64;         // values of one list filter
};

// Keyset pagination: rows after `after` (a seq or id), at most `limit`.
// Exports (ndjson, csv) take every row after `after` and no limit.
struct page_request {
  std::uint64_t after = 0;
  std::size_t limit = 100;
  export_format format = export_format::json;
};

// GET /v1/alerts. List filters match any of their values; different filters
// must all match. `from` <= received_at < `to`. Each entity ("TYPE:VALUE",
// canonical type name) must be among the alert's entities. `text` is a
// PostgreSQL websearch query over subject, body and entity values.
struct alert_filter {
  std::vector<std::string> origins;
  std::vector<std::string> recipients;
  std::vector<core::category> categories;
  std::vector<core::priority> priorities;
  std::vector<core::alert_kind> kinds;
  std::vector<core::tlp> tlps;                  // from `handling`
  std::vector<core::restriction> restrictions;  // from `handling`
  std::optional<core::time_point> from;
  std::optional<core::time_point> to;
  std::vector<std::string> entities;
  std::string text;
};

// GET /v1/audit: the same rules; `from` <= at < `to`.
struct audit_filter {
  std::vector<std::string> actors;
  std::vector<std::string> actions;
  std::vector<std::string> subjects;
  std::optional<core::time_point> from;
  std::optional<core::time_point> to;
};

struct alert_query {
  alert_filter filter;
  page_request page;
};

struct audit_query {
  audit_filter filter;
  page_request page;
};

// Values that are well formed but name nothing that exists: a member code
// of `origin` or `recipient` that is not a member of `registry`, an action
// that the server never writes. INVALID_ARGUMENT naming the value and the
// parameter; nullopt when every value is known. An empty answer to a typo
// would read as "nothing happened".
std::optional<core::error> unknown_values(const alert_filter& filter,
                                          const core::registry& registry);
std::optional<core::error> unknown_values(const audit_filter& filter);

// GET /v1/audit/verify: audit row ids, both inclusive; `to` defaults to the
// chain's head.
struct id_range {
  std::uint64_t from = 1;
  std::optional<std::uint64_t> to;
};

struct inclusion_query {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
};

struct consistency_query {
  std::uint64_t first = 0;
  std::uint64_t second = 0;
};

// Each returns INVALID_ARGUMENT naming the parameter and what was expected:
// for an unknown or repeated parameter, a value outside its vocabulary or
// character set, a limit outside 1..max_limit, a malformed cursor or time,
// from >= to. The justification parameter is accepted and ignored here.
core::result<alert_query> parse_alert_query(const query_params& params, const query_limits& limits);
core::result<audit_query> parse_audit_query(const query_params& params, const query_limits& limits);
core::result<page_request> parse_tree_heads_query(const query_params& params,
                                                  const query_limits& limits);
core::result<id_range> parse_verify_query(const query_params& params);
core::result<inclusion_query> parse_inclusion_query(const query_params& params);
core::result<consistency_query> parse_consistency_query(const query_params& params);
// GET /v1/alerts/{id}: the id must be a canonical UUID; `origin` is optional.
core::result<std::pair<std::string, std::string>> parse_alert_id(std::string_view id,
                                                                 const query_params& params);

// Opaque cursors: base64url of "<kind>.<position>". A cursor of one list is
// refused by another.
enum class cursor_kind : char { alerts = 'a', audit_log = 'l', tree_heads = 'h' };
std::string encode_cursor(cursor_kind kind, std::uint64_t position);
core::result<std::uint64_t> decode_cursor(cursor_kind kind, std::string_view cursor);

}  // namespace liaison::audit
