#include "audit/history_query.hpp"

#include "core/audit_event.hpp"

#include "audit/encoding.hpp"
#include "core/alert_rules.hpp"
#include "core/names.hpp"
#include "core/time_text.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>

namespace liaison::audit {
namespace {

using names = std::initializer_list<std::string_view>;

core::error invalid(std::string message) {
  return core::make_error(core::errc::invalid_argument, std::move(message));
}

// Untrusted text quoted in a message: short, and printable.
std::string quoted(std::string_view v) {
  std::string out = "'";
  out += core::to_valid_utf8(v.substr(0, 64));
  if (v.size() > 64) out += "...";
  return out + "'";
}

std::string list_of(names keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// Refuses unknown parameters and repeated single-valued ones. List
// parameters may repeat; their values add up.
std::optional<core::error> check_keys(const query_params& params, names single, names multi) {
  std::vector<std::string_view> seen;
  for (const auto& [key, value] : params) {
    if (key == justification_param) continue;
    const bool is_single = std::find(single.begin(), single.end(), key) != single.end();
    const bool is_multi = std::find(multi.begin(), multi.end(), key) != multi.end();
    if (!is_single && !is_multi) {
      std::string accepted = list_of(single);
      if (multi.size() > 0) accepted += (accepted.empty() ? "" : ", ") + list_of(multi);
      return invalid("unknown query parameter " + quoted(key) + "; this endpoint accepts " +
                     accepted + " and justification");
    }
    if (is_single && std::find(seen.begin(), seen.end(), key) != seen.end())
      return invalid("query parameter '" + key + "' is given more than once");
    seen.push_back(key);
  }
  return std::nullopt;
}

const std::string* one(const query_params& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

// Every comma-separated item of every `key` parameter; an empty item is an error.
core::result<std::vector<std::string>> items(const query_params& params, std::string_view key,
                                             std::size_t max) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k != key) continue;
    std::string_view rest = v;
    for (;;) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      if (item.empty()) return invalid(std::string(key) + ": empty value");
      out.emplace_back(item);
      if (out.size() > max)
        return invalid(std::string(key) + ": more than " + std::to_string(max) + " values");
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

core::result<std::uint64_t> number(std::string_view key, std::string_view text, std::uint64_t min,
                                   std::uint64_t max) {
  std::uint64_t v = 0;
  const bool digits =
      !text.empty() && text.size() <= 20 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!digits || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return invalid(std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", got " + quoted(text));
  return v;
}

// Letters, digits and - _ only: member codes.
bool member_code(std::string_view s) {
  return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// Principal ids, actions and subjects as the server writes them ("AT.desk",
// "tls:[::1]:5000", "consumer.deliver", an alert id, "/v1/alerts").
bool identifier(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("._:-@/+[]").find(c) != std::string_view::npos;
  });
}

// Free text for the full-text search and entity values: any printable UTF-8.
std::optional<core::error> check_text(std::string_view key, std::string_view v, std::size_t max) {
  if (v.empty() || std::all_of(v.begin(), v.end(), [](char c) { return c == ' '; }))
    return invalid(std::string(key) + ": empty value");
  if (v.size() > max)
    return invalid(std::string(key) + " is longer than " + std::to_string(max) + " bytes");
  if (!core::is_valid_utf8(v)) return invalid(std::string(key) + " is not valid UTF-8");
  return std::nullopt;
}

template <class Enum>
core::result<std::vector<Enum>> enums(const query_params& params, std::string_view key,
                                      const query_limits& limits) {
  auto values = items(params, key, limits.max_list);
  if (!values) return values.error();
  std::vector<Enum> out;
  for (const auto& v : *values) {
    auto e = core::parse_name<Enum>(v);
    if (!e)
      return invalid(std::string(key) + ": " + quoted(v) + " is not one of " +
                     core::accepted_names<Enum>());
    out.push_back(*e);
  }
  return out;
}

core::result<std::optional<core::time_point>> instant(const query_params& params,
                                                      std::string_view key) {
  const auto* v = one(params, key);
  if (!v) return std::optional<core::time_point>();
  auto t = core::parse_rfc3339(*v);
  if (!t)
    return invalid(std::string(key) +
                   " must be an RFC 3339 time such as 2026-03-01T12:00:00Z or a date such as "
                   "2026-03-01, got " +
                   quoted(*v));
  return std::optional<core::time_point>(*t);
}

std::optional<core::error> check_order(const std::optional<core::time_point>& from,
                                       const std::optional<core::time_point>& to) {
  if (from && to && *from >= *to) return invalid("from must be earlier than to");
  return std::nullopt;
}

core::result<std::vector<std::string>> identifiers(const query_params& params, std::string_view key,
                                                   const query_limits& limits) {
  auto values = items(params, key, limits.max_list);
  if (!values) return values.error();
  for (const auto& v : *values)
    if (!identifier(v, limits.max_text_bytes))
      return invalid(std::string(key) + ": " + quoted(v) +
                     " is not a valid value (letters, digits and . _ : - @ / + [ ]" + ", at most " +
                     std::to_string(limits.max_text_bytes) + " characters)");
  return values;
}

core::result<page_request> page(const query_params& params, const query_limits& limits,
                                cursor_kind kind) {
  page_request p;
  p.limit = limits.default_limit;
  if (const auto* f = one(params, "format")) {
    if (*f == "json")
      p.format = export_format::json;
    else if (*f == "ndjson")
      p.format = export_format::ndjson;
    else if (*f == "csv")
      p.format = export_format::csv;
    else
      return invalid("format must be json, ndjson or csv, got " + quoted(*f));
  }
  if (const auto* l = one(params, "limit")) {
    if (p.format != export_format::json)
      return invalid(
          "limit applies to JSON pages; an ndjson or csv export returns every matching row");
    auto n = number("limit", *l, 1, limits.max_limit);
    if (!n) return n.error();
    p.limit = static_cast<std::size_t>(*n);
  }
  if (const auto* c = one(params, "cursor")) {
    auto after = decode_cursor(kind, *c);
    if (!after) return after.error();
    p.after = *after;
  }
  return p;
}

// `from`, `to` (from < to) and the page: the same for both lists.
template <class Query>
std::optional<core::error> read_window_and_page(const query_params& params,
                                                const query_limits& limits, cursor_kind kind,
                                                Query& q) {
  auto from = instant(params, "from");
  if (!from) return from.error();
  auto to = instant(params, "to");
  if (!to) return to.error();
  if (auto e = check_order(*from, *to)) return *e;
  q.filter.from = *from;
  q.filter.to = *to;
  auto p = page(params, limits, kind);
  if (!p) return p.error();
  q.page = *p;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(export_format f) {
  switch (f) {
    case export_format::json:
      return "json";
    case export_format::ndjson:
      return "ndjson";
    case export_format::csv:
      return "csv";
  }
  return "json";
}

core::result<alert_query> parse_alert_query(const query_params& params,
                                            const query_limits& limits) {
  if (auto e =
          check_keys(params, {"from", "to", "q", "limit", "cursor", "format"},
                     {"origin", "recipient", "category", "priority", "kind", "handling", "entity"}))
    return *e;
  alert_query q;
  for (auto [key, out] :
       {std::pair{"origin", &q.filter.origins}, std::pair{"recipient", &q.filter.recipients}}) {
    auto codes = items(params, key, limits.max_list);
    if (!codes) return codes.error();
    for (auto& c : *codes) {
      if (!member_code(c))
        return invalid(std::string(key) + ": " + quoted(c) +
                       " is not a member code (letters, digits, '-' and '_', at most 16)");
      std::transform(c.begin(), c.end(), c.begin(),
                     [](char ch) { return ch >= 'a' && ch <= 'z' ? ch - 32 : ch; });
      out->push_back(c);
    }
  }
  auto cats = enums<core::category>(params, "category", limits);
  if (!cats) return cats.error();
  q.filter.categories = *cats;
  auto prios = enums<core::priority>(params, "priority", limits);
  if (!prios) return prios.error();
  q.filter.priorities = *prios;
  auto kinds = enums<core::alert_kind>(params, "kind", limits);
  if (!kinds) return kinds.error();
  q.filter.kinds = *kinds;
  // handling: TLP levels and usage restrictions in one list; "AMBER+STRICT"
  // is written as on the TLP card.
  auto handling = items(params, "handling", limits.max_list);
  if (!handling) return handling.error();
  for (auto v : *handling) {
    std::replace(v.begin(), v.end(), '+', '_');
    if (auto t = core::parse_name<core::tlp>(v))
      q.filter.tlps.push_back(*t);
    else if (auto r = core::parse_name<core::restriction>(v))
      q.filter.restrictions.push_back(*r);
    else
      return invalid("handling: " + quoted(v) + " is neither a TLP level (" +
                     core::accepted_names<core::tlp>() + ") nor a usage restriction (" +
                     core::accepted_names<core::restriction>() + ")");
  }
  for (const auto& [k, v] : params) {
    if (k != "entity") continue;
    auto colon = v.find(':');
    auto type = colon == std::string::npos
                    ? std::nullopt
                    : core::parse_name<core::entity_type>(v.substr(0, colon));
    if (!type)
      return invalid("entity must be TYPE:VALUE with TYPE one of " +
                     core::accepted_names<core::entity_type>() + ", got " + quoted(v));
    auto value = std::string_view(v).substr(colon + 1);
    if (auto e = check_text("entity value", value, limits.max_text_bytes)) return *e;
    if (q.filter.entities.size() == limits.max_list)
      return invalid("entity: more than " + std::to_string(limits.max_list) + " values");
    q.filter.entities.push_back(std::string(core::to_string(*type)) + ":" + std::string(value));
  }
  if (const auto* text = one(params, "q")) {
    if (auto e = check_text("q", *text, limits.max_text_bytes)) return *e;
    q.filter.text = *text;
  }
  if (auto e = read_window_and_page(params, limits, cursor_kind::alerts, q)) return *e;
  return q;
}

core::result<audit_query> parse_audit_query(const query_params& params,
                                            const query_limits& limits) {
  if (auto e = check_keys(params, {"from", "to", "limit", "cursor", "format"},
                          {"actor", "action", "subject"}))
    return *e;
  audit_query q;
  for (auto [key, out] :
       {std::pair{"actor", &q.filter.actors}, std::pair{"action", &q.filter.actions},
        std::pair{"subject", &q.filter.subjects}}) {
    auto values = identifiers(params, key, limits);
    if (!values) return values.error();
    *out = std::move(*values);
  }
  if (auto e = read_window_and_page(params, limits, cursor_kind::audit_log, q)) return *e;
  return q;
}

core::result<page_request> parse_tree_heads_query(const query_params& params,
                                                  const query_limits& limits) {
  if (auto e = check_keys(params, {"limit", "cursor"}, {})) return *e;
  return page(params, limits, cursor_kind::tree_heads);
}

core::result<id_range> parse_verify_query(const query_params& params) {
  if (auto e = check_keys(params, {"from", "to"}, {})) return *e;
  constexpr std::uint64_t max_id = std::uint64_t{1} << 62;
  id_range r;
  if (const auto* f = one(params, "from")) {
    auto n = number("from (an audit row id)", *f, 1, max_id);
    if (!n) return n.error();
    r.from = *n;
  }
  if (const auto* t = one(params, "to")) {
    auto n = number("to (an audit row id)", *t, 1, max_id);
    if (!n) return n.error();
    r.to = *n;
  }
  if (r.to && *r.to < r.from) return invalid("to must not be smaller than from");
  return r;
}

core::result<inclusion_query> parse_inclusion_query(const query_params& params) {
  if (auto e = check_keys(params, {"index", "tree_size"}, {})) return *e;
  constexpr std::uint64_t max_size = std::uint64_t{1} << 62;
  const auto* index = one(params, "index");
  const auto* size = one(params, "tree_size");
  if (!index || !size) return invalid("index and tree_size are required");
  auto i = number("index", *index, 0, max_size);
  if (!i) return i.error();
  auto n = number("tree_size", *size, 1, max_size);
  if (!n) return n.error();
  if (*i >= *n) return invalid("index must be smaller than tree_size");
  return inclusion_query{*i, *n};
}

core::result<consistency_query> parse_consistency_query(const query_params& params) {
  if (auto e = check_keys(params, {"first", "second"}, {})) return *e;
  constexpr std::uint64_t max_size = std::uint64_t{1} << 62;
  const auto* first = one(params, "first");
  const auto* second = one(params, "second");
  if (!first || !second) return invalid("first and second are required");
  auto m = number("first", *first, 1, max_size);
  if (!m) return m.error();
  auto n = number("second", *second, 1, max_size);
  if (!n) return n.error();
  if (*m > *n) return invalid("first must not be larger than second");
  return consistency_query{*m, *n};
}

core::result<std::pair<std::string, std::string>> parse_alert_id(std::string_view id,
                                                                 const query_params& params) {
  if (auto e = check_keys(params, {"origin"}, {})) return *e;
  if (!core::is_canonical_uuid(id))
    return invalid("the alert id must be a canonical (lower-case) UUID, got " + quoted(id));
  std::string origin;
  if (const auto* o = one(params, "origin")) {
    if (!member_code(*o)) return invalid("origin: " + quoted(*o) + " is not a member code");
    origin = *o;
    std::transform(origin.begin(), origin.end(), origin.begin(),
                   [](char ch) { return ch >= 'a' && ch <= 'z' ? ch - 32 : ch; });
  }
  return std::pair{std::string(id), origin};
}

std::string encode_cursor(cursor_kind kind, std::uint64_t position) {
  return to_base64url(std::string(1, static_cast<char>(kind)) + "." + std::to_string(position));
}

core::result<std::uint64_t> decode_cursor(cursor_kind kind, std::string_view cursor) {
  const auto bad = invalid("cursor " + quoted(cursor) +
                           " is malformed or belongs to another list: pass the next_cursor of a "
                           "previous page unchanged");
  if (cursor.size() > 64) return bad;
  auto raw = from_base64url(cursor);
  if (!raw || raw->size() < 3 || (*raw)[0] != static_cast<char>(kind) || (*raw)[1] != '.')
    return bad;
  std::string_view digits = std::string_view(*raw).substr(2);
  if (digits.size() > 19 || (digits.size() > 1 && digits[0] == '0')) return bad;
  auto n = number("cursor", digits, 0, std::uint64_t{1} << 62);
  if (!n) return bad;
  return *n;
}

std::optional<core::error> unknown_values(const alert_filter& filter,
                                          const core::registry& registry) {
  for (auto [name, list] :
       {std::pair{"origin", &filter.origins}, std::pair{"recipient", &filter.recipients}})
    for (const auto& code : *list)
      if (!registry.find_member(code))
        return core::make_error(
            core::errc::invalid_argument,
            std::string(name) + ": '" + code + "' is not a member of this exchange");
  return std::nullopt;
}

std::optional<core::error> unknown_values(const audit_filter& filter) {
  for (const auto& action : filter.actions) {
    bool known = false;
    for (auto a : core::audit_action::all) known = known || a == action;
    if (!known) {
      std::string all;
      for (auto a : core::audit_action::all) all += (all.empty() ? "" : ", ") + std::string(a);
      return core::make_error(
          core::errc::invalid_argument,
          "action: '" + action + "' is not an action the server writes (" + all + ")");
    }
  }
  return std::nullopt;
}

}  // namespace liaison::audit
