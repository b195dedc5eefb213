// The core routes of the HTTPS API: health, readiness, metrics and
// publishing a signed envelope (POST /v1/alerts). The auditors' routes are
// registered by their own module.
#pragma once

#include "net/http_router.hpp"

#include <functional>
#include <string>

namespace liaison::net {

// `metrics` renders the Prometheus text exposition of the server's counters.
// `tls_problem` says why clients cannot complete a handshake now (an
// expired server certificate, a CRL past its nextUpdate), empty when they
// can: /readyz answers 503 with it, as for a database outage.
void add_core_routes(http_router& router, std::function<std::string()> metrics,
                     std::function<std::string()> tls_problem = {});

}  // namespace liaison::net
