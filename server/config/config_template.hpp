// The text of a complete, commented liaison.toml: every section and key with
// its meaning, set to the built-in default. config/liaison.toml in the
// repository and the file that `liaison pki init` writes both come from here.
#pragma once

#include <string>

namespace liaison::config {

// What differs between one rendered file and another; everything else is the
// default of server_config.
struct config_template_values {
  std::string header;  // comment lines put first, each starting with "# "
  std::string node_id = "node-1";
  std::string native_listen = "0.0.0.0:7443";
  std::string https_listen = "0.0.0.0:8443";
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string database_url;
  std::string database_owner_url;  // empty: owner_url is left commented out
  std::string members_file;
  std::string keys_dir;
  std::string audit_signing_key_file;  // empty: the key is left commented out
};

// A liaison.toml that load_server_config accepts (given the files it names).
// Strings are escaped as TOML requires.
std::string render_server_config(const config_template_values& values);

}  // namespace liaison::config
