#include "app/admin_api.hpp"

#include "core/names.hpp"
#include "core/time_text.hpp"
#include "net/await_callback.hpp"
#include "net/http_router.hpp"
#include "net/https_listener.hpp"
#include "net/native_listener.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <map>

namespace liaison::app {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

constexpr std::size_t default_consumer_limit = 1000;
constexpr std::size_t max_consumer_limit = 10000;
// Pending alerts are counted up to this many per consumer: enough to tell
// "a few" from "a day's worth" without scanning a dead consumer's whole log.
constexpr std::uint64_t pending_cap = 10000;

json optional_time(const std::optional<core::time_point>& t) {
  return t ? json(core::to_rfc3339(*t)) : json();
}

// A steady-clock instant of the registry as wall-clock time, seen from now.
core::time_point wall_time(std::chrono::steady_clock::time_point at, core::time_point now) {
  const auto ago = std::chrono::steady_clock::now() - at;
  return now - std::chrono::duration_cast<std::chrono::microseconds>(ago);
}

struct listeners {
  net::native_listener& native;
  net::https_listener& https;
  std::string node;
};

// The authenticated native sessions and WebSocket streams of this node.
// (Plain HTTPS requests are short and only counted.)
json connection_rows(const listeners& l, const core::registry& reg, core::time_point now) {
  json rows = json::array();
  const std::pair<const char*, net::session_registry*> sources[] = {
      {"native", &l.native.sessions()}, {"websocket", &l.https.streams()}};
  for (const auto& [transport, registry] : sources)
    for (const auto& c : registry->authenticated_connections()) {
      const auto* p = reg.find_principal(c.principal);
      rows.push_back({{"transport", transport},
                      {"principal", c.principal},
                      {"member", p ? json(p->member) : json()},
                      {"role", p ? json(core::to_string(p->role)) : json()},
                      {"address", c.address},
                      {"since", core::to_rfc3339(wall_time(c.opened, now))},
                      {"certificate_serial", c.certificate_serial}});
    }
  return rows;
}

awaitable<net::http_reply> connections(net::request_context& ctx, const listeners& l) {
  const auto now = ctx.exchange.now();
  auto rows = connection_rows(l, *ctx.exchange.registry(), now);
  json body{{"node", l.node},
            {"at", core::to_rfc3339(now)},
            {"connections", rows},
            {"counts",
             {{"native_authenticated", l.native.sessions().authenticated()},
              {"native_handshaking", l.native.sessions().pending()},
              {"https_authenticated", l.https.connections().authenticated()},
              {"https_handshaking", l.https.connections().pending()},
              {"websocket_streams", l.https.streams().authenticated()}}}};
  co_return net::json_reply(200, body.dump());
}

core::result<std::size_t> limit_of(const net::request_context& ctx) {
  auto text = ctx.request.target.param("limit");
  if (!text) return default_consumer_limit;
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v == 0 || v > max_consumer_limit)
    return core::make_error(core::errc::invalid_argument,
                            "limit must be a whole number from 1 to " +
                                std::to_string(max_consumer_limit) + ", got '" + *text + "'");
  return v;
}

awaitable<net::http_reply> consumers(net::request_context& ctx, const listeners& l) {
  auto limit = limit_of(ctx);
  if (!limit) co_return net::error_reply(limit.error());
  auto& exchange = ctx.exchange;
  const std::size_t n = *limit;
  auto start = [&](std::function<void(core::result<std::vector<core::consumer_overview>>)> done) {
    exchange.query_consumers(n, pending_cap, std::move(done));
  };
  auto rows = co_await net::await_callback<core::result<std::vector<core::consumer_overview>>>(
      std::move(start));
  if (!rows) co_return net::error_reply(rows.error());
  // Which of them this node holds, and whether each is on the live path.
  std::map<std::pair<std::string, std::string>, bool> held;
  for (const auto& c : exchange.live_hub().held()) {
    bool live = true;
    for (std::size_t i = 0; i < c->streams(); ++i) live = live && c->is_live(i);
    held[{c->key().principal, c->key().name}] = live;
  }
  const auto now = exchange.now();
  std::uint64_t head = 0;
  json out = json::array();
  for (const auto& c : *rows) {
    head = std::max(head, c.log_head);
    auto h = held.find({c.key.principal, c.key.name});
    json age;
    if (c.oldest_pending_at)
      age = std::max<double>(0, std::chrono::duration<double>(now - *c.oldest_pending_at).count());
    out.push_back(
        {{"principal", c.key.principal},
         {"consumer", c.key.name},
         {"member", c.member},
         {"cursor", c.cursor},
         {"lanes", {{"FLASH", c.lanes[0]}, {"URGENT", c.lanes[1]}, {"ROUTINE", c.lanes[2]}}},
         // From the first alert that waits to the head (0 when none waits):
         // a lane without traffic keeps its cursor low without owing anything.
         {"lag_seqs", c.oldest_pending_seq && c.log_head >= *c.oldest_pending_seq
                          ? c.log_head - *c.oldest_pending_seq + 1
                          : 0},
         {"pending", c.pending},
         {"pending_more", c.pending_capped},
         {"oldest_pending_seq", c.oldest_pending_seq ? json(*c.oldest_pending_seq) : json()},
         {"oldest_pending_at", optional_time(c.oldest_pending_at)},
         {"oldest_pending_age_seconds", age},
         {"last_ack_at", core::to_rfc3339(c.acknowledged_at)},
         {"created_at", core::to_rfc3339(c.created_at)},
         {"held_here", h != held.end()},
         {"live", h != held.end() && h->second}});
  }
  json body{{"node", l.node},
            {"at", core::to_rfc3339(now)},
            {"log_head", head},
            {"pending_counted_up_to", pending_cap},
            {"truncated", rows->size() == n},
            {"consumers", out}};
  co_return net::json_reply(200, body.dump());
}

awaitable<net::http_reply> members(net::request_context& ctx, const listeners& l) {
  auto& exchange = ctx.exchange;
  const auto& who = *ctx.who;
  auto start = [&](std::function<void(core::result<std::vector<core::member_presence>>)> done) {
    exchange.query_presence(who, std::move(done));
  };
  auto presence = co_await net::await_callback<core::result<std::vector<core::member_presence>>>(
      std::move(start));
  if (!presence) co_return net::error_reply(presence.error());
  const auto reg = exchange.registry();
  const auto now = exchange.now();
  // Connections of this node per member.
  std::map<std::string, std::size_t> here;
  for (const auto& c : connection_rows(l, *reg, now))
    if (c["member"].is_string()) ++here[c["member"].get<std::string>()];
  json out = json::array();
  for (const auto& m : reg->data().members) {
    json principals = json::array();
    for (const auto& p : reg->data().principals)
      if (p.member == m.code)
        principals.push_back({{"principal", p.id},
                              {"role", core::to_string(p.role)},
                              {"clearance", core::to_string(p.clearance)}});
    json keys = json::array();
    for (const auto& k : reg->data().keys)
      if (k.member == m.code) keys.push_back({{"key_id", k.key_id}, {"revoked", k.revoked}});
    json duty;
    for (const auto& p : *presence)
      if (p.member == m.code)
        duty = {{"state", core::to_string(p.state)},
                {"since", optional_time(p.since)},
                {"desks_connected", p.desks_connected},
                {"desks_on_duty", p.desks_on_duty}};
    out.push_back({{"member", m.code},
                   {"name", m.name},
                   {"principals", principals},
                   {"signing_keys", keys},
                   {"fallback", m.fallback},
                   {"duty", duty},
                   {"connections_here", here[m.code]}});
  }
  json body{{"node", l.node}, {"at", core::to_rfc3339(now)}, {"members", out}};
  co_return net::json_reply(200, body.dump());
}

}  // namespace

void add_admin_routes(net::http_router& router, net::native_listener& native,
                      net::https_listener& https, std::string node_id) {
  auto l = std::make_shared<listeners>(listeners{native, https, std::move(node_id)});
  using handler = awaitable<net::http_reply> (*)(net::request_context&, const listeners&);
  const std::pair<const char*, handler> routes[] = {{"/v1/admin/connections", connections},
                                                    {"/v1/admin/consumers", consumers},
                                                    {"/v1/admin/members", members}};
  for (const auto& [path, fn] : routes)
    router.add("GET", path, {core::role::admin},
               [l, fn](net::request_context& ctx) { return fn(ctx, *l); });
}

}  // namespace liaison::app
