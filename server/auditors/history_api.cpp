// GET /v1/alerts and GET /v1/alerts/{id}: the alert history for auditors.
#include "audit/event.hpp"
#include "auditors/audit_api.hpp"
#include "auditors/audit_consult.hpp"
#include "auditors/audit_render.hpp"
#include "crypto/alert_signature.hpp"
#include "net/await_callback.hpp"
#include "protocol/codec.hpp"

#include "audit/encoding.hpp"
#include "core/time_text.hpp"

// GCC 12 reports a false -Wmismatched-new-delete when it inlines Asio's
// recycling coroutine-frame allocator (aligned_alloc, and its matching free)
// into the ramp of a coroutine here; the pairing is Asio's own and correct.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace liaison::auditors {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

awaitable<core::result<store::alert_page>> fetch_alerts(audit_api api, audit::alert_filter filter,
                                                        std::uint64_t after, std::size_t limit,
                                                        std::optional<std::uint64_t> up_to) {
  auto start = [&](store::answer<store::alert_page> done) {
    api->store.list_alerts(filter, after, limit, up_to, std::move(done));
  };
  co_return co_await await_callback<core::result<store::alert_page>>(std::move(start));
}

awaitable<core::result<rendered_page>> export_page(audit_api api, audit::alert_filter filter,
                                                   audit::export_format format, std::uint64_t after,
                                                   std::optional<std::uint64_t> up_to) {
  auto page = co_await fetch_alerts(api, filter, after, api->limits.max_limit, up_to);
  if (!page) co_return page.error();
  rendered_page out;
  for (const auto& a : page->alerts)
    out.text +=
        format == audit::export_format::csv ? alert_csv(a) : audit::dump_json(alert_json(a)) + "\n";
  out.rows = page->alerts.size();
  out.last = out.rows > 0 ? page->alerts.back().seq : after;
  out.head = page->log_head;
  out.full = out.rows == api->limits.max_limit;
  co_return out;
}

awaitable<http_reply> list_alerts(request_context& ctx, consultation_ptr record, audit_api api) {
  auto q = audit::parse_alert_query(ctx.request.target.params, api->limits);
  if (!q) co_return refused(record, q.error());
  if (auto unknown = audit::unknown_values(q->filter, *ctx.exchange.registry()))
    co_return refused(record, *unknown);
  const bool searching = !q->filter.text.empty() || !q->filter.entities.empty();
  if (q->page.format != audit::export_format::json) {
    const auto format = q->page.format;
    page_fetch fetch = [api, filter = q->filter, format](std::uint64_t after,
                                                         std::optional<std::uint64_t> up_to) {
      return export_page(api, filter, format, after, up_to);
    };
    auto header = format == audit::export_format::csv ? alert_csv_header() : std::string();
    co_return co_await export_reply(format, std::move(header), std::move(fetch), q->page.after,
                                    record);
  }
  auto page = co_await fetch_alerts(api, q->filter, q->page.after, q->page.limit, std::nullopt);
  if (!page) co_return refused(record, page.error());
  record->add_rows(page->alerts.size());
  json alerts = json::array();
  for (const auto& a : page->alerts) alerts.push_back(alert_json(a));
  const auto last = page->alerts.empty() ? q->page.after : page->alerts.back().seq;
  json body{{"alerts", alerts},
            {"next_cursor", audit::encode_cursor(audit::cursor_kind::alerts, last)},
            {"has_more", page->alerts.size() == q->page.limit},
            {"log_head", page->log_head}};
  // Full-text and entity search see alerts once the indexer has read them.
  if (searching) body["search_indexed_through"] = page->search_indexed_through;
  co_return json_reply(200, audit::dump_json(body));
}

// The signature checked again now, against the registry as it is today.
json signature_check(const core::registry& registry, const store::alert_detail& d,
                     core::time_point now) {
  const auto* key = registry.find_key(d.envelope.key_id);
  const bool intact =
      std::string(crypto::as_bytes(crypto::sha256(d.envelope.payload))) == d.alert.payload_sha256;
  bool valid = false;
  std::string result;
  if (!key) {
    result = "cannot check: key " + d.envelope.key_id + " is not in the registry";
  } else if (!crypto::verify_alert(key->public_key, d.envelope.payload, d.envelope.signature)) {
    result = "INVALID: the signature does not verify with key " + key->key_id;
  } else if (key->member != d.alert.origin) {
    result = "INVALID: key " + key->key_id + " belongs to " + key->member + ", not to the origin " +
             d.alert.origin;
  } else {
    valid = true;
    result =
        key->revoked ? "valid (the key has been revoked since; it signs no new alert)" : "valid";
  }
  return json{{"valid", valid && intact},
              {"result",
               intact ? result : "INVALID: the stored payload does not match its recorded SHA-256"},
              {"checked_at", core::to_rfc3339(now)},
              {"key_id", d.envelope.key_id},
              {"key_member", key ? json(key->member) : json()},
              {"key_revoked", key ? json(key->revoked) : json()},
              {"payload_sha256_matches", intact}};
}

// Each receipt verbatim, with the check of its signature against the
// registry's key of its member (the same check a reader can redo offline).
json receipts_json(const core::registry& reg, const store::alert_detail& d) {
  json out = json::array();
  for (const auto& r : d.receipts) {
    const auto* key = reg.find_key(r.signed_bytes.key_id);
    const bool valid =
        key && key->member == r.member &&
        crypto::verify_receipt(key->public_key, r.signed_bytes.payload, r.signed_bytes.signature);
    out.push_back({{"receipt_id", r.id},
                   {"member", r.member},
                   {"state", r.state},
                   {"at", core::to_rfc3339(r.at)},
                   {"recorded_at", core::to_rfc3339(r.recorded_at)},
                   {"principal", r.principal},
                   {"payload", audit::to_base64(r.signed_bytes.payload)},
                   {"signature", audit::to_base64(r.signed_bytes.signature)},
                   {"key_id", r.signed_bytes.key_id},
                   {"signature_valid", valid}});
  }
  return out;
}

json deadlines_json(const store::alert_detail& d) {
  json out = json::array();
  for (const auto& x : d.deadlines)
    out.push_back(
        {{"member", x.member},
         {"next_deadline", x.due_at ? json(core::to_rfc3339(*x.due_at)) : json()},
         {"window_seconds", std::chrono::duration_cast<std::chrono::seconds>(x.window).count()},
         {"escalations", x.level},
         {"closed_at", x.closed_at ? json(core::to_rfc3339(*x.closed_at)) : json()},
         {"closed_by", x.closed_by.empty() ? json() : json(x.closed_by)}});
  return out;
}

awaitable<http_reply> get_alert(request_context& ctx, consultation_ptr record, audit_api api) {
  auto id = audit::parse_alert_id(ctx.request.path_params["id"], ctx.request.target.params);
  if (!id) co_return refused(record, id.error());
  record->subject(id->first);
  auto start = [&](store::answer<store::alert_detail> done) {
    api->store.alert(id->first, id->second, std::move(done));
  };
  auto d = co_await await_callback<core::result<store::alert_detail>>(std::move(start));
  if (!d) co_return refused(record, d.error());
  record->add_rows(1);
  auto content = protocol::decode_alert(d->envelope.payload);
  json replies = json::array();
  for (const auto& r : d->replies) replies.push_back(alert_json(r));
  json body{{"alert", alert_json(d->alert)},
            {"content",
             content ? alert_content_json(*content) : json{{"error", content.error().message}}},
            {"envelope",
             {{"payload", audit::to_base64(d->envelope.payload)},
              {"signature", audit::to_base64(d->envelope.signature)},
              {"key_id", d->envelope.key_id}}},
            {"signature_check", signature_check(*ctx.exchange.registry(), *d, ctx.exchange.now())},
            {"timeline",
             [&] {
               auto t = timeline_json(*d);
               t["receipts"] = receipts_json(*ctx.exchange.registry(), *d);
               t["deadlines"] = deadlines_json(*d);
               return t;
             }()},
            {"replies", replies},
            {"amendments", amendments_json(*d)}};
  co_return json_reply(200, audit::dump_json(body));
}

}  // namespace

void add_history_routes(http_router& router, const audit_api& api) {
  using route_fn = awaitable<http_reply> (*)(request_context&, consultation_ptr, audit_api);
  const std::pair<const char*, route_fn> routes[] = {{"/v1/alerts", list_alerts},
                                                     {"/v1/alerts/{id}", get_alert}};
  for (const auto& [path, fn] : routes)
    router.add("GET", path, {core::role::auditor},
               audited([api, fn](request_context& ctx, consultation_ptr record) {
                 return fn(ctx, record, api);
               }));
}

}  // namespace liaison::auditors
