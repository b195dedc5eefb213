// Routes of the HTTPS API: method and path pattern ("/v1/alerts/{id}") to a
// handler, with the roles allowed to call it. Authentication and role checks
// happen here, once, for every route; denials are answered and audited.
#pragma once

#include "audit/failure_tally.hpp"
#include "broker/exchange.hpp"
#include "net/http_reply.hpp"
#include "protocol/http_target.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::net {

struct http_request {
  std::string method;  // "GET", "POST", ...
  protocol::http_target target;
  std::string body;
  std::function<std::string(std::string_view name)> header;  // value, or "" when absent
  std::map<std::string, std::string> path_params;            // from {name} segments
};

struct request_context {
  broker::exchange& exchange;
  const core::principal* who;  // null without a registered client certificate
  std::string peer;            // address:port
  http_request& request;
  // Where a request without a registered certificate is counted (a
  // stranger's refusal is summarised, not audited one by one); may be null.
  audit::failure_tally* failures = nullptr;
  std::string address;  // the source address, without the port
};

using http_handler = std::function<boost::asio::awaitable<http_reply>(request_context&)>;

class http_router {
 public:
  // `roles` may call the route; an empty list means anyone, even without a
  // client certificate (health checks).
  void add(std::string method, std::string pattern, std::vector<core::role> roles,
           http_handler handler);

  // Finds the route, checks the caller, runs the handler. 404 for an unknown
  // path, 405 (with Allow) for a known path with another method, 401 without
  // a registered certificate (counted in the failure tally, summarised), 403
  // for a role not allowed (an audit row: the principal is known).
  boost::asio::awaitable<http_reply> handle(request_context& ctx) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;  // "{id}" matches any one segment
    std::vector<core::role> roles;
    http_handler handler;
  };
  static bool match(const route& r, const std::vector<std::string>& path,
                    std::map<std::string, std::string>& params);
  std::vector<route> routes_;
};

// "/v1/alerts/abc" -> {"v1", "alerts", "abc"}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace liaison::net
