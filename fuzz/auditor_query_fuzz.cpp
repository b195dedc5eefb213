// The auditors' query parameters: a request target as the HTTPS listener
// parses it (protocol::parse_http_target), then every parser of
// audit/history_query.hpp on its parameters, as the auditors' API does before
// anything reaches the database. Refusals are INVALID_ARGUMENT with a
// message; an accepted query respects the page limits, from < to, and its
// cursor round-trips; values of closed vocabularies carry no SQL
// metacharacters.
//
// Input: the request target as sent ("/v1/alerts?origin=AT&limit=5").
#include "audit/history_query.hpp"
#include "fuzz_check.hpp"
#include "protocol/http_target.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace liaison;

template <typename T>
bool refused_cleanly(const core::result<T>& r) {
  return r || (r.error().code == core::errc::invalid_argument && !r.error().message.empty());
}

// Member codes, actors, actions and subjects are identifiers: quotes,
// semicolons, backslashes and whitespace never pass.
bool has_sql_metacharacter(std::string_view s) {
  for (char c : s)
    if (c == '\'' || c == '"' || c == ';' || c == '\\' || c == ' ' || c == '\0') return true;
  return false;
}

void check_page(const audit::page_request& page, const audit::query_limits& limits) {
  if (page.format == audit::export_format::json)
    LIAISON_FUZZ_CHECK(page.limit >= 1 && page.limit <= limits.max_limit,
                       "a JSON page's limit is within 1..max_limit");
}

template <typename Filter>
void check_times(const Filter& f) {
  if (f.from && f.to) LIAISON_FUZZ_CHECK(*f.from < *f.to, "from is before to");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto target = protocol::parse_http_target(text, protocol::http_target_limits{16, 512});
  if (!target) return 0;
  const auto& params = target->params;
  const audit::query_limits limits{10, 50, 64, 8};  // small, so that inputs reach them

  auto alerts = audit::parse_alert_query(params, limits);
  LIAISON_FUZZ_CHECK(refused_cleanly(alerts), "alert query: INVALID_ARGUMENT with a message");
  if (alerts) {
    check_page(alerts->page, limits);
    check_times(alerts->filter);
    for (const auto& list : {alerts->filter.origins, alerts->filter.recipients}) {
      LIAISON_FUZZ_CHECK(list.size() <= limits.max_list, "a list filter is within max_list");
      for (const auto& code : list)
        LIAISON_FUZZ_CHECK(!code.empty() && !has_sql_metacharacter(code),
                           "member codes are identifiers");
    }
    LIAISON_FUZZ_CHECK(alerts->filter.text.size() <= limits.max_text_bytes,
                       "q is within the limit");
    auto cursor = audit::encode_cursor(audit::cursor_kind::alerts, alerts->page.after);
    auto back = audit::decode_cursor(audit::cursor_kind::alerts, cursor);
    LIAISON_FUZZ_CHECK(back && *back == alerts->page.after, "an alerts cursor round-trips");
    LIAISON_FUZZ_CHECK(!audit::decode_cursor(audit::cursor_kind::audit_log, cursor),
                       "an alerts cursor is refused by the audit log");
  }

  auto log = audit::parse_audit_query(params, limits);
  LIAISON_FUZZ_CHECK(refused_cleanly(log), "audit query: INVALID_ARGUMENT with a message");
  if (log) {
    check_page(log->page, limits);
    check_times(log->filter);
    for (const auto& list : {log->filter.actors, log->filter.actions, log->filter.subjects}) {
      LIAISON_FUZZ_CHECK(list.size() <= limits.max_list, "a list filter is within max_list");
      for (const auto& value : list)
        LIAISON_FUZZ_CHECK(!value.empty() && value.size() <= limits.max_text_bytes &&
                               !has_sql_metacharacter(value),
                           "audit filters are bounded identifiers");
    }
  }

  auto heads = audit::parse_tree_heads_query(params, limits);
  LIAISON_FUZZ_CHECK(refused_cleanly(heads), "tree heads query: INVALID_ARGUMENT with a message");
  if (heads) check_page(*heads, limits);

  auto verify = audit::parse_verify_query(params);
  LIAISON_FUZZ_CHECK(refused_cleanly(verify), "verify query: INVALID_ARGUMENT with a message");
  if (verify && verify->to) LIAISON_FUZZ_CHECK(verify->from <= *verify->to, "from <= to");

  auto inclusion = audit::parse_inclusion_query(params);
  LIAISON_FUZZ_CHECK(refused_cleanly(inclusion),
                     "inclusion query: INVALID_ARGUMENT with a message");
  if (inclusion) LIAISON_FUZZ_CHECK(inclusion->index < inclusion->tree_size, "index < tree_size");

  auto consistency = audit::parse_consistency_query(params);
  LIAISON_FUZZ_CHECK(refused_cleanly(consistency),
                     "consistency query: INVALID_ARGUMENT with a message");
  if (consistency)
    LIAISON_FUZZ_CHECK(consistency->first > 0 && consistency->first <= consistency->second,
                       "0 < first <= second");

  auto id = audit::parse_alert_id(target->path, params);
  LIAISON_FUZZ_CHECK(refused_cleanly(id), "alert id: INVALID_ARGUMENT with a message");
  return 0;
}
