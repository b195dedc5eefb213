// liaison: the command-line client of duty desks, operators and auditors.
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"liaison: command-line client of the Liaison intelligence exchange"};
  app.require_subcommand(1);
  int exit_code = 0;
  liaison::cli::add_pki_command(app, exit_code);
  liaison::cli::add_publish_command(app, exit_code);
  liaison::cli::add_subscribe_command(app, exit_code);
  liaison::cli::add_history_command(app, exit_code);
  liaison::cli::add_audit_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "liaison: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
