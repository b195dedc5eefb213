// `liaison pki init`: makes (or completes) a development PKI, the members'
// signing keys and a server configuration from members.toml.
#include "commands.hpp"

#include "pki/init.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::cli {
namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string counted(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "the CA, 29 identity folders, 27 signing key pairs, liaison.toml (209 files)":
// the files init made, named by what they are rather than listed one by one.
std::string summary(const std::vector<std::string>& created) {
  std::size_t files = 0, identities = 0, keys = 0;
  bool ca = false, server = false, config = false;
  for (const auto& f : created) {
    if (ends_with(f, "/")) continue;
    ++files;
    ca = ca || f == "ca/ca.pem";
    server = server || f == "server/cert.pem";
    config = config || f == "liaison.toml";
    identities += ends_with(f, "/identity.toml") ? 1 : 0;
    keys += f.rfind("keys/", 0) == 0 ? 1 : 0;
  }
  std::vector<std::string> parts;
  if (ca) parts.push_back("the CA");
  if (server) parts.push_back("the server certificate");
  if (identities) parts.push_back(counted(identities, "identity folder", "identity folders"));
  if (keys) parts.push_back(counted(keys, "signing key pair", "signing key pairs"));
  if (config) parts.push_back("liaison.toml");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return (out.empty() ? "" : out + " ") + "(" + counted(files, "file", "files") + ")";
}

void run_init(const pki::init_options& options, int& exit_code) {
  try {
    auto report = pki::init(options);
    std::cout << "Development PKI in " << report.out_dir << "\n";
    if (report.created.empty())
      std::cout << "  nothing was missing";
    else
      std::cout << "  created " << summary(report.created);
    if (!report.reused.empty())
      std::cout << "; kept " << counted(report.reused.size(), "existing file", "existing files");
    std::cout << "\n";
    for (const auto& w : report.warnings) std::cerr << "warning: " << w << "\n";
    std::cout << "Server configuration: " << report.config_file << "\n";
    exit_code = 0;
  } catch (const std::exception& e) {
    std::cerr << "liaison pki init: " << e.what() << "\n";
    exit_code = 1;
  }
}

}  // namespace

void add_pki_command(CLI::App& app, int& exit_code) {
  auto* pki = app.add_subcommand("pki", "Development PKI: CA, certificates and signing keys");
  pki->require_subcommand(1);
  auto* init = pki->add_subcommand(
      "init",
      "Create (or complete) a CA, the server certificate, one identity folder per principal of "
      "members.toml, the members' signing keys and a server configuration. Existing files are "
      "kept; only what is missing is made.");
  auto options = std::make_shared<pki::init_options>();
  init->add_option("--members", options->members_file, "members.toml to read")->required();
  init->add_option("--out", options->out_dir, "Output folder (created when absent)")->required();
  init->add_option("--db-owner-url", options->db_owner_url,
                   "database.owner_url of the generated configuration (the owner role that "
                   "runs the migrations)");
  init->add_option("--db-url", options->db_url, "database.url of the generated configuration")
      ->capture_default_str();
  init->add_option("--native-listen", options->native_listen,
                   "native.listen of the generated configuration (HOST:PORT)")
      ->capture_default_str();
  init->add_option("--https-listen", options->https_listen,
                   "https.listen of the generated configuration (HOST:PORT)")
      ->capture_default_str();
  init->add_option("--server-name", options->server_names,
                   "Extra DNS name (or IP address) of the server certificate; repeatable");
  init->callback([options, &exit_code] { run_init(*options, exit_code); });
}

}  // namespace liaison::cli
