// `liaisond --check-config FILE`: everything the server would rely on at
// start-up, checked without serving and without connecting to the database:
// the configuration parses, members.toml and every public key load, the TLS
// files (see net/tls_check.hpp), the database URLs parse, the audit signing
// key loads.
#pragma once

#include "config/server_config.hpp"

#include <iosfwd>

namespace liaison::app {

// One line per check ("ok", "warning" or "PROBLEM", then a sentence), and a
// summary. Returns the process exit code: 0 when nothing is a problem, 2
// otherwise (warnings do not fail it).
int check_config(const config::server_config& config, std::ostream& out);

}  // namespace liaison::app
