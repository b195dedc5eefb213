// GET /v1/audit, /v1/audit/verify, /v1/audit/tree-heads and the proofs.
#include "auditors/audit_api.hpp"
#include "audit/event.hpp"

#include "audit/encoding.hpp"
#include "audit/tree_head.hpp"
#include "auditors/audit_consult.hpp"
#include "auditors/audit_render.hpp"
#include "core/hex.hpp"
#include "net/await_callback.hpp"

namespace liaison::auditors {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

template <class T, class Start>
awaitable<core::result<T>> ask(Start start) {
  co_return co_await await_callback<core::result<T>>(std::move(start));
}

awaitable<core::result<rendered_page>> export_page(audit_api api, audit::audit_filter filter,
                                                   audit::export_format format, std::uint64_t after,
                                                   std::optional<std::uint64_t> up_to) {
  auto start = [&](store::answer<store::audit_page> done) {
    api->store.list_audit(filter, after, api->limits.max_limit, up_to, std::move(done));
  };
  auto page = co_await ask<store::audit_page>(std::move(start));
  if (!page) co_return page.error();
  rendered_page out;
  for (const auto& r : page->rows)
    out.text += format == audit::export_format::csv ? audit_csv(r)
                                                    : audit::dump_json(audit_row_json(r)) + "\n";
  out.rows = page->rows.size();
  out.last = out.rows > 0 ? page->rows.back().id : after;
  out.head = page->head_id;
  out.full = out.rows == api->limits.max_limit;
  co_return out;
}

awaitable<http_reply> list_audit(request_context& ctx, consultation_ptr record, audit_api api) {
  auto q = audit::parse_audit_query(ctx.request.target.params, api->limits);
  if (!q) co_return refused(record, q.error());
  if (auto unknown = audit::unknown_values(q->filter)) co_return refused(record, *unknown);
  if (q->page.format != audit::export_format::json) {
    const auto format = q->page.format;
    page_fetch fetch = [api, filter = q->filter, format](std::uint64_t after,
                                                         std::optional<std::uint64_t> up_to) {
      return export_page(api, filter, format, after, up_to);
    };
    auto header = format == audit::export_format::csv ? audit_csv_header() : std::string();
    co_return co_await export_reply(format, std::move(header), std::move(fetch), q->page.after,
                                    record);
  }
  auto start = [&](store::answer<store::audit_page> done) {
    api->store.list_audit(q->filter, q->page.after, q->page.limit, std::nullopt, std::move(done));
  };
  auto page = co_await ask<store::audit_page>(std::move(start));
  if (!page) co_return refused(record, page.error());
  record->add_rows(page->rows.size());
  json entries = json::array();
  for (const auto& r : page->rows) entries.push_back(audit_row_json(r));
  const auto last = page->rows.empty() ? q->page.after : page->rows.back().id;
  co_return json_reply(
      200, audit::dump_json(
               json{{"entries", entries},
                    {"next_cursor", audit::encode_cursor(audit::cursor_kind::audit_log, last)},
                    {"has_more", page->rows.size() == q->page.limit},
                    {"head_id", page->head_id}}));
}

// The chain is recomputed on a store thread; this coroutine only waits.
awaitable<http_reply> verify(request_context& ctx, consultation_ptr record, audit_api api) {
  auto range = audit::parse_verify_query(ctx.request.target.params);
  if (!range) co_return refused(record, range.error());
  auto start = [&](store::answer<store::chain_report> done) {
    api->store.verify_chain(range->from, range->to, std::move(done));
  };
  auto report = co_await ask<store::chain_report>(std::move(start));
  if (!report) co_return refused(record, report.error());
  const auto& failure = report->failure;
  record->add_rows(report->rows_checked);
  record->set("holds", !failure);
  const auto hex = [](const audit::digest& d) { return core::to_hex(crypto::as_bytes(d)); };
  json body{{"holds", !failure},
            {"from", report->from},
            {"to", report->to},
            {"rows_checked", report->rows_checked},
            {"leaves_checked", report->leaves_checked},
            {"head_hash", report->rows_checked > 0 ? json(hex(report->last_hash)) : json()},
            {"recorded_head", {{"id", report->head_id}, {"hash", hex(report->head_hash)}}},
            {"tree_size", report->tree_size},
            {"break", failure ? json{{"id", failure->id},
                                     {"reason", audit::to_string(failure->kind)},
                                     {"message", failure->message}}
                              : json()}};
  co_return json_reply(200, audit::dump_json(body));
}

awaitable<http_reply> tree_heads(request_context& ctx, consultation_ptr record, audit_api api) {
  auto p = audit::parse_tree_heads_query(ctx.request.target.params, api->limits);
  if (!p) co_return refused(record, p.error());
  auto start = [&](store::answer<store::tree_heads_page> done) {
    api->store.tree_heads(p->after, p->limit, std::move(done));
  };
  auto page = co_await ask<store::tree_heads_page>(std::move(start));
  if (!page) co_return refused(record, page.error());
  record->add_rows(page->heads.size());
  json heads = json::array();
  for (const auto& h : page->heads) heads.push_back(tree_head_json(h));
  const auto last = page->heads.empty() ? p->after : page->heads.back().id;
  const bool signing = !api->signing_public_key.empty();
  co_return json_reply(
      200, audit::dump_json(json{
               {"latest", page->latest ? tree_head_json(*page->latest) : json()},
               {"heads", heads},
               {"next_cursor", audit::encode_cursor(audit::cursor_kind::tree_heads, last)},
               {"has_more", page->heads.size() == p->limit},
               {"tree_size", page->tree_size},
               {"public_key", signing ? json(audit::to_base64(api->signing_public_key)) : json()},
               {"key_id", signing ? json(audit::key_id_of(api->signing_public_key)) : json()}}));
}

json hashes(const std::vector<audit::digest>& path) {
  json out = json::array();
  for (const auto& h : path) out.push_back(audit::to_base64(h));
  return out;
}

awaitable<http_reply> inclusion(request_context& ctx, consultation_ptr record, audit_api api) {
  auto q = audit::parse_inclusion_query(ctx.request.target.params);
  if (!q) co_return refused(record, q.error());
  auto start = [&](store::answer<store::inclusion_answer> done) {
    api->store.inclusion(q->index, q->tree_size, std::move(done));
  };
  auto a = co_await ask<store::inclusion_answer>(std::move(start));
  if (!a) co_return refused(record, a.error());
  record->add_rows(a->entry ? 1 : 0);
  co_return json_reply(
      200, audit::dump_json(json{{"leaf_index", a->index},
                                 {"tree_size", a->tree_size},
                                 {"leaf_hash", audit::to_base64(a->leaf_hash)},
                                 {"audit_path", hashes(a->path)},
                                 {"entry", a->entry ? audit_row_json(*a->entry) : json()}}));
}

awaitable<http_reply> consistency(request_context& ctx, consultation_ptr record, audit_api api) {
  auto q = audit::parse_consistency_query(ctx.request.target.params);
  if (!q) co_return refused(record, q.error());
  auto start = [&](store::answer<store::consistency_answer> done) {
    api->store.consistency(q->first, q->second, std::move(done));
  };
  auto a = co_await ask<store::consistency_answer>(std::move(start));
  if (!a) co_return refused(record, a.error());
  co_return json_reply(
      200, audit::dump_json(
               json{{"first", a->first}, {"second", a->second}, {"consistency", hashes(a->path)}}));
}

using route_fn = awaitable<http_reply> (*)(request_context&, consultation_ptr, audit_api);

}  // namespace

void add_audit_routes(http_router& router, store::audit_store& store,
                      const audit::query_limits& limits, std::string signing_public_key) {
  auto api = std::make_shared<const audit_api_state>(
      audit_api_state{store, limits, std::move(signing_public_key)});
  add_history_routes(router, api);
  const std::pair<const char*, route_fn> routes[] = {
      {"/v1/audit", list_audit},
      {"/v1/audit/verify", verify},
      {"/v1/audit/tree-heads", tree_heads},
      {"/v1/audit/proof/inclusion", inclusion},
      {"/v1/audit/proof/consistency", consistency},
  };
  for (const auto& [path, fn] : routes)
    router.add("GET", path, {core::role::auditor},
               audited([api, fn](request_context& ctx, consultation_ptr record) {
                 return fn(ctx, record, api);
               }));
}

}  // namespace liaison::auditors
