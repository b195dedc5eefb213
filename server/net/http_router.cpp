#include "net/http_router.hpp"

#include "audit/event.hpp"
#include "core/names.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace liaison::net {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    auto end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    if (end > i) out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

void http_router::add(std::string method, std::string pattern, std::vector<core::role> roles,
                      http_handler handler) {
  routes_.push_back({std::move(method), split_path(pattern), std::move(roles), std::move(handler)});
}

bool http_router::match(const route& r, const std::vector<std::string>& path,
                        std::map<std::string, std::string>& params) {
  if (r.segments.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.size() > 2 && s.front() == '{' && s.back() == '}')
      found[s.substr(1, s.size() - 2)] = path[i];
    else if (s != path[i])
      return false;
  }
  params = std::move(found);
  return true;
}

boost::asio::awaitable<http_reply> http_router::handle(request_context& ctx) const {
  auto path = split_path(ctx.request.target.path);
  // A literal segment wins over a {name} one: "/v1/alerts/dry-run" is its
  // own path, not an alert id under "/v1/alerts/{id}".
  auto literal_segments = [](const route& r) {
    return std::count_if(r.segments.begin(), r.segments.end(),
                         [](const std::string& s) { return s.empty() || s.front() != '{'; });
  };
  std::ptrdiff_t best = -1;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (match(r, path, params)) best = std::max(best, literal_segments(r));
  }
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (literal_segments(r) != best || !match(r, path, params)) continue;
    if (r.method != ctx.request.method) {
      allowed.push_back(r.method);
      continue;
    }
    if (!r.roles.empty()) {
      std::optional<core::error> denial;
      if (!ctx.who)
        denial = core::make_error(
            core::errc::unauthenticated,
            "this endpoint needs a client certificate registered with this exchange");
      else if (std::find(r.roles.begin(), r.roles.end(), ctx.who->role) == r.roles.end())
        denial =
            core::make_error(core::errc::permission_denied,
                             core::role_phrase(ctx.who->role) + " may not call " +
                                 ctx.request.method + " " + ctx.request.target.path.substr(0, 200));
      if (denial && !ctx.who && ctx.failures) {
        ctx.failures->record("https", ctx.address, audit::auth_failure::unregistered,
                             "no registered client certificate", ctx.exchange.now());
        co_return error_reply(*denial);
      }
      if (denial) {
        ctx.exchange.audit(audit::event(ctx.exchange.now(), core::audit_action::http_denied)
                               .from_peer(ctx.peer, ctx.who)
                               .subject(ctx.request.target.path.substr(0, 200))
                               .refused(*denial)
                               .with("method", ctx.request.method)
                               .build());
        co_return error_reply(*denial);
      }
    }
    ctx.request.path_params = std::move(params);
    co_return co_await r.handler(ctx);
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    auto reply = error_reply(core::make_error(
        core::errc::invalid_argument, ctx.request.method + " is not allowed here; use " + allow));
    reply.status = 405;
    reply.headers.emplace_back("Allow", allow);
    co_return reply;
  }
  co_return error_reply(core::make_error(
      core::errc::not_found, "no such endpoint: " + ctx.request.target.path.substr(0, 200)));
}

}  // namespace liaison::net
