// The core routes of the HTTPS API: health, readiness, metrics and
// publishing a signed envelope (POST /v1/alerts). The auditors' routes are
// registered by their own module.
#pragma once

#include "net/http_router.hpp"

#include <functional>
#include <string>

namespace liaison::net {

// `metrics` renders the Prometheus text exposition of the server's counters.
void add_core_routes(http_router& router, std::function<std::string()> metrics);

}  // namespace liaison::net
