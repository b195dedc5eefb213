// liaison: the command-line client of duty desks, operators and auditors.
#include "commands.hpp"
#include "core/version.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {
constexpr int usage_error = 64;
}

int main(int argc, char** argv) {
  CLI::App app{"liaison: command-line client of the Liaison intelligence exchange"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "liaison " + std::string(liaison::core::version()) +
                                        " (commit " + std::string(liaison::core::commit()) + ")");
  int exit_code = 0;
  liaison::cli::add_pki_command(app, exit_code);
  liaison::cli::add_publish_command(app, exit_code);
  liaison::cli::add_subscribe_command(app, exit_code);
  liaison::cli::add_rapid_commands(app, exit_code);
  liaison::cli::add_history_command(app, exit_code);
  liaison::cli::add_audit_command(app, exit_code);
  liaison::cli::add_admin_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; an invalid command line with
    // 64 (EX_USAGE), after CLI11's message.
    const int code = app.exit(e);
    return code == 0 ? 0 : usage_error;
  } catch (const std::exception& e) {
    std::cerr << "liaison: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
