// liaisond: the Liaison exchange server.
#include "app/config_check.hpp"
#include "app/server.hpp"
#include "config/server_config.hpp"
#include "core/version.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"liaisond: the Liaison intelligence exchange server"};
  std::string config_file;
  std::string check_file;
  std::string db_url;
  std::string db_owner_url;
  std::string native_listen;
  std::string https_listen;
  liaison::app::run_options options;
  app.set_version_flag("--version", "liaisond " + std::string(liaison::core::version()) +
                                        " (commit " + std::string(liaison::core::commit()) + ")");
  // Checked after parsing, so that --version needs no configuration.
  app.add_option("--config", config_file, "server configuration (liaison.toml), required")
      ->check(CLI::ExistingFile);
  app.add_option("--check-config", check_file,
                 "check FILE (liaison.toml) and everything it names, then exit without serving: "
                 "0 when nothing is a problem, 2 otherwise")
      ->check(CLI::ExistingFile);
  app.add_option("--db", db_url, "PostgreSQL URL of the runtime role; overrides [database] url");
  app.add_option("--db-owner", db_owner_url,
                 "PostgreSQL URL of the owner role (migrations); overrides [database] owner_url");
  app.add_option("--native-listen", native_listen, "HOST:PORT; overrides [native] listen");
  app.add_option("--https-listen", https_listen, "HOST:PORT; overrides [https] listen");
  app.add_option("--port-file", options.port_file,
                 "write the bound addresses as JSON to this file");
  auto* migrate = app.add_subcommand("migrate", "apply the database migrations and exit");
  migrate->fallthrough();  // `liaisond migrate --config FILE` reads the parent's options
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; an invalid command line with
    // 64 (EX_USAGE), after CLI11's message.
    return app.exit(e) == 0 ? 0 : 64;
  }
  if (!check_file.empty()) config_file = check_file;
  if (config_file.empty()) {
    std::cerr << "liaisond: --config FILE is required (liaisond --help)\n";
    return 2;
  }

  try {
    auto config = liaison::config::load_server_config(config_file);
    if (!db_url.empty()) config.database.url = db_url;
    if (!db_owner_url.empty()) config.database.owner_url = db_owner_url;
    if (!native_listen.empty()) config.native.listen = native_listen;
    if (!https_listen.empty()) config.https.listen = https_listen;
    if (!check_file.empty()) return liaison::app::check_config(config, std::cout);
    liaison::app::setup_logging(config.log);
    if (*migrate) {
      liaison::app::migrate(config, std::chrono::seconds(10));
      return 0;
    }
    return liaison::app::run_server(config, options);
  } catch (const liaison::config::config_error& e) {
    if (!check_file.empty()) {
      std::cout << "PROBLEM  " << check_file << " does not load:\n"
                << e.what() << "\n"
                << "liaisond --check-config: the configuration does not load\n";
      return 2;
    }
    std::cerr << "liaisond: invalid configuration:\n" << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("liaisond: {}", e.what());
    return 1;
  }
}
