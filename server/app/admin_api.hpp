// The operators' view over HTTPS, for the admin principal only:
//   GET /v1/admin/connections  who is connected to this node, from where, since when
//   GET /v1/admin/consumers    every durable consumer: cursors, lag, what waits
//   GET /v1/admin/members      each member: principals, keys, duty state, connections
// Read-only: nothing here changes state. `liaison admin ...` prints them.
#pragma once

#include <string>

namespace liaison::net {
class http_router;
class native_listener;
class https_listener;
}  // namespace liaison::net

namespace liaison::app {

void add_admin_routes(net::http_router& router, net::native_listener& native,
                      net::https_listener& https, std::string node_id);

}  // namespace liaison::app
