#include "app/config_check.hpp"

#include "crypto/ed25519.hpp"
#include "net/tls_check.hpp"
#include "store/connection_url.hpp"

#include <ostream>

namespace liaison::app {

int check_config(const config::server_config& config, std::ostream& out) {
  int problems = 0, warnings = 0;
  auto say = [&](net::tls_finding::level severity, const std::string& text) {
    switch (severity) {
      case net::tls_finding::level::ok:
        out << "ok       " << text << "\n";
        break;
      case net::tls_finding::level::warning:
        ++warnings;
        out << "warning  " << text << "\n";
        break;
      case net::tls_finding::level::problem:
        ++problems;
        out << "PROBLEM  " << text << "\n";
        break;
    }
  };
  using level = net::tls_finding::level;
  say(level::ok, "the configuration parses; listeners " + config.native.listen + " (native) and " +
                     config.https.listen + " (HTTPS)");

  try {
    auto data = config::load_registry(config.registry);
    say(level::ok, config.registry.members_file + ": " + std::to_string(data.members.size()) +
                       " members, " + std::to_string(data.groups.size()) + " groups, " +
                       std::to_string(data.principals.size()) + " principals, " +
                       std::to_string(data.keys.size()) + " signing keys, every key file loads");
  } catch (const std::exception& e) {
    say(level::problem, e.what());
  }

  for (const auto& f : net::check_tls_files(config.tls, std::chrono::system_clock::now()))
    say(f.severity, f.text);

  if (auto why = store::connection_url_problem(config.database.url))
    say(level::problem, "[database] url does not parse: " + *why);
  else
    say(level::ok, "[database] url parses (not connected: the check makes no connection)");
  if (config.database.owner_url.empty() && config.database.apply_migrations)
    say(level::warning,
        "[database] owner_url is not set: migrations run as the runtime role, which then owns "
        "the tables (README, \"Database roles\")");
  else if (auto why = store::connection_url_problem(config.database.owner_url))
    say(level::problem, "[database] owner_url does not parse: " + *why);
  else
    say(level::ok, "[database] owner_url parses");
  if (config.database.allow_privileged_role)
    say(level::warning,
        "[database] allow_privileged_role = true: for development only, the server may serve "
        "with a role that can rewrite the record");

  if (config.audit.signing_key_file.empty()) {
    say(level::warning, "[audit] signing_key_file is not set: tree heads are not signed");
  } else {
    try {
      crypto::ed25519_private_key::load_pem_file(config.audit.signing_key_file);
      say(level::ok, "the tree-head signing key " + config.audit.signing_key_file + " loads");
    } catch (const std::exception& e) {
      say(level::problem, e.what());
    }
  }

  out << "liaisond --check-config: " << problems << (problems == 1 ? " problem, " : " problems, ")
      << warnings << (warnings == 1 ? " warning" : " warnings") << "\n";
  return problems == 0 ? 0 : 2;
}

}  // namespace liaison::app
