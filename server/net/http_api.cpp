#include "net/http_api.hpp"

#include "core/names.hpp"
#include "core/time_text.hpp"
#include "net/await_callback.hpp"
#include "protocol/codec.hpp"

#include <nlohmann/json.hpp>

namespace liaison::net {
namespace {

using boost::asio::awaitable;

awaitable<http_reply> healthz(request_context&) {
  co_return json_reply(200, R"({"status":"up"})");
}

// Ready means: this node can acknowledge publishes (the database is
// reachable; migrations were applied before the listeners opened) and
// clients with valid certificates can complete a handshake.
awaitable<http_reply> readyz(request_context& ctx, const std::function<std::string()>& tls) {
  const bool database = ctx.exchange.ready();
  const std::string problem = tls ? tls() : std::string();
  nlohmann::json body{{"status", database && problem.empty() ? "ready" : "not ready"},
                      {"database", database ? "up" : "unavailable"}};
  if (!problem.empty()) body["tls"] = problem;
  if (database && problem.empty()) co_return json_reply(200, body.dump());
  auto reply = json_reply(503, body.dump());
  reply.headers.emplace_back("Retry-After", "5");
  co_return reply;
}

// The body of POST /v1/alerts and /v1/alerts/dry-run: a JSON Envelope whose
// payload is an Alert. A body that is neither is refused and audited as a
// publish is.
struct signed_body {
  core::envelope envelope;
  core::alert alert;
};
core::result<signed_body> decode_signed_body(request_context& ctx) {
  if (ctx.request.header("Content-Type").rfind("application/json", 0) != 0)
    return core::make_error(core::errc::invalid_argument,
                            "Content-Type must be application/json (an Envelope with base64 "
                            "payload and signature and a keyId)");
  auto envelope = protocol::decode_envelope_json(ctx.request.body);
  if (!envelope) {
    ctx.exchange.reject_publish(*ctx.who, envelope.error());
    return envelope.error();
  }
  auto decoded = protocol::decode_alert(envelope->payload);
  if (!decoded) {
    ctx.exchange.reject_publish(*ctx.who, decoded.error());
    return decoded.error();
  }
  return signed_body{std::move(*envelope), std::move(*decoded)};
}

// POST /v1/alerts: the same admission, idempotency, errors and audit as the
// native Publish. 201 for a new alert, 200 for a retry of a committed one.
awaitable<http_reply> publish(request_context& ctx) {
  auto body_in = decode_signed_body(ctx);
  if (!body_in) co_return error_reply(body_in.error());
  const auto* envelope = &body_in->envelope;
  const auto* decoded = &body_in->alert;
  auto& exchange = ctx.exchange;
  const auto& who = *ctx.who;
  // Named, not written inside the co_await expression (gcc bug 107288).
  auto start = [&](std::function<void(core::result<core::publish_outcome>)> done) {
    exchange.publish(who, *decoded, *envelope, std::move(done));
  };
  auto outcome = co_await await_callback<core::result<core::publish_outcome>>(std::move(start));
  if (!outcome) co_return error_reply(outcome.error());
  nlohmann::json left_out = nlohmann::json::array();
  for (const auto& l : outcome->left_out)
    left_out.push_back({{"member", l.member}, {"reason", l.reason}});
  nlohmann::json body{{"id", decoded->id},
                      {"seq", outcome->seq},
                      {"received_at", core::to_rfc3339(outcome->received_at)},
                      {"duplicate", outcome->duplicate},
                      {"left_out", left_out}};
  co_return json_reply(outcome->duplicate ? 200 : 201, body.dump());
}

// POST /v1/alerts/dry-run: "who would receive this". The same checks as
// POST /v1/alerts; 200 with the recipients; nothing stored or delivered.
awaitable<http_reply> dry_run(request_context& ctx) {
  auto body_in = decode_signed_body(ctx);
  if (!body_in) co_return error_reply(body_in.error());
  const auto* envelope = &body_in->envelope;
  const auto* decoded = &body_in->alert;
  auto& exchange = ctx.exchange;
  const auto& who = *ctx.who;
  auto start = [&](std::function<void(core::result<core::recipient_preview>)> done) {
    exchange.preview(who, *decoded, *envelope, std::move(done));
  };
  auto p = co_await await_callback<core::result<core::recipient_preview>>(std::move(start));
  if (!p) co_return error_reply(p.error());
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : p->recipients) {
    nlohmann::json withheld = nlohmann::json::array();
    for (const auto& w : r.withheld)
      withheld.push_back({{"principal", w.member}, {"reason", w.reason}});
    recipients.push_back({{"member", r.member},
                          {"duty", core::to_string(r.duty)},
                          {"desks_on_duty", r.desks_on_duty},
                          {"principals", r.principals},
                          {"withheld", withheld},
                          {"fallback", r.fallback}});
  }
  nlohmann::json left_out = nlohmann::json::array();
  for (const auto& l : p->left_out)
    left_out.push_back({{"member", l.member}, {"reason", l.reason}});
  const auto window =
      p->read_window ? std::chrono::duration_cast<std::chrono::seconds>(*p->read_window).count()
                     : 0;
  nlohmann::json body{{"dry_run", true},
                      {"id", p->alert_id},
                      {"recipients", recipients},
                      {"left_out", left_out},
                      {"read_within_seconds", window}};
  co_return json_reply(200, body.dump());
}

// GET /v1/presence: every member's duty state (the same answer as the
// native QueryPresence), for operators, auditors and the coordination desk.
awaitable<http_reply> presence(request_context& ctx) {
  auto& exchange = ctx.exchange;
  const auto& who = *ctx.who;
  auto start = [&](std::function<void(core::result<std::vector<core::member_presence>>)> done) {
    exchange.query_presence(who, std::move(done));
  };
  auto members =
      co_await await_callback<core::result<std::vector<core::member_presence>>>(std::move(start));
  if (!members) co_return error_reply(members.error());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& m : *members)
    rows.push_back(
        {{"member", m.member},
         {"state", core::to_string(m.state)},
         {"since", m.since ? nlohmann::json(core::to_rfc3339(*m.since)) : nlohmann::json()},
         {"desks_connected", m.desks_connected},
         {"desks_on_duty", m.desks_on_duty}});
  nlohmann::json body{{"at", core::to_rfc3339(exchange.now())}, {"members", rows}};
  co_return json_reply(200, body.dump());
}

}  // namespace

void add_core_routes(http_router& router, std::function<std::string()> metrics,
                     std::function<std::string()> tls_problem) {
  router.add("GET", "/healthz", {}, healthz);
  router.add("GET", "/readyz", {},
             [tls = std::move(tls_problem)](request_context& ctx) { return readyz(ctx, tls); });
  router.add("POST", "/v1/alerts", {core::role::desk}, publish);
  router.add("POST", "/v1/alerts/dry-run", {core::role::desk}, dry_run);
  router.add("GET", "/v1/presence",
             {core::role::admin, core::role::auditor, core::role::coordinator, core::role::desk},
             presence);
  router.add("GET", "/metrics", {core::role::admin},
             [metrics = std::move(metrics)](request_context&) -> awaitable<http_reply> {
               http_reply reply;
               reply.content_type = "text/plain; version=0.0.4";
               reply.body = metrics();
               co_return reply;
             });
}

}  // namespace liaison::net
