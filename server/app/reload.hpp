// SIGHUP: reload members.toml and the TLS files (certificate, CA, CRL). Every
// reload is an audit event. Principals that disappeared or changed, and
// connections whose certificate is now revoked, are closed; new connections
// use the new TLS contexts. A reload that fails keeps everything as it was.
#pragma once

#include "broker/exchange.hpp"
#include "config/server_config.hpp"
#include "net/https_listener.hpp"
#include "net/native_listener.hpp"

namespace liaison::app {

// Blocks on file reads: call it off the io threads. Returns whether the new
// configuration was applied (false: refused, the old one kept).
bool reload(const config::server_config& config, broker::exchange& exchange,
            net::native_listener& native, net::https_listener& https);

}  // namespace liaison::app
