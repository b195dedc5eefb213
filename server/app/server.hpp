// liaisond as a whole: wires configuration, the exchange and the listeners,
// runs the io_context threads, and handles signals (SIGINT/SIGTERM stop,
// SIGHUP reloads members.toml).
#pragma once

#include "config/server_config.hpp"

#include <string>

namespace liaison::app {

struct run_options {
  std::string port_file;  // if set, written with the bound addresses once listening
};

// Applies the migrations, waiting up to `wait` for the database to accept
// connections. Throws std::runtime_error when it does not, or a migration fails.
void migrate(const config::server_config& config, std::chrono::seconds wait);

// Runs the server until SIGINT or SIGTERM. Throws on start-up failure (the
// message names what failed); returns the process exit code otherwise.
int run_server(const config::server_config& config, const run_options& options);

// Sets up logging to stderr at the configured level and format.
void setup_logging(const config::log_section& log);

}  // namespace liaison::app
