// The subcommands of the `liaison` CLI. Each adds itself to the application;
// its callback runs the command and sets the process exit code.
#pragma once

namespace CLI {
class App;
}

namespace liaison::cli {

// `liaison pki init`: a development PKI, signing keys and a server configuration.
void add_pki_command(CLI::App& app, int& exit_code);
// `liaison publish`: sign and publish one alert.
void add_publish_command(CLI::App& app, int& exit_code);
// `liaison subscribe`: a durable consumer that prints and acknowledges alerts.
void add_subscribe_command(CLI::App& app, int& exit_code);
// `liaison receipt|status|presence`: rapid response from a desk's terminal.
void add_rapid_commands(CLI::App& app, int& exit_code);
// `liaison history`: query and export the alert history (auditors).
void add_history_command(CLI::App& app, int& exit_code);
// `liaison audit verify|log`: check the signed audit tree; query the audit log (auditors).
void add_audit_command(CLI::App& app, int& exit_code);
// `liaison admin connections|consumers|members`: the operators' view (admin).
void add_admin_command(CLI::App& app, int& exit_code);

}  // namespace liaison::cli
