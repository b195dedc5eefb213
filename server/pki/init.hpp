// `liaison pki init`: a development PKI, the members' signing keys and a
// complete server configuration, made from members.toml in one folder. Safe
// to run again: it reuses what exists and makes only what is missing.
#pragma once

#include <string>
#include <vector>

namespace liaison::pki {

// In OUT/server/: the tree-head signing key and its public half.
inline constexpr const char* audit_signing_key_file_name = "audit-signing-key.pem";
inline constexpr const char* audit_public_key_file_name = "audit-signing-key.pub.pem";

struct init_options {
  std::string members_file;  // members.toml; its key files need not exist yet
  std::string out_dir;       // created when absent
  std::string db_url = "postgresql://liaison@127.0.0.1:5432/liaison";
  std::string db_owner_url;  // database.owner_url; empty: left commented out
  std::string native_listen = "127.0.0.1:7443";
  std::string https_listen = "127.0.0.1:8443";
  std::vector<std::string> server_names;  // extra DNS (or IP) names of the server certificate
};

struct init_report {
  std::string out_dir;                // absolute
  std::string config_file;            // OUT/liaison.toml
  std::vector<std::string> created;   // relative to out_dir, in the order made; folders end in '/'
  std::vector<std::string> reused;    // files that existed and were kept
  std::vector<std::string> warnings;  // what init could not fix without overwriting
};

// Makes, under out_dir, whatever of this layout is missing:
//   ca/ca.pem, ca/ca.key                      the task force CA (10 years)
//   server/{cert,key,ca}.pem                  CN "liaison-server"; SANs localhost,
//                                             127.0.0.1, ::1, the host name, server_names
//   server/audit-signing-key{,.pub}.pem       the key that signs audit tree heads (Ed25519)
//   <member>/desk/                            one identity folder per principal
//   partner-<member>/, <certificate name>/    (see identity.hpp; client certs 2 years)
//   keys/<public_key_file>                    each key of members.toml (Ed25519)
//   signing-keys/<key id>.pem                 private keys that belong to no desk folder
//   liaison.toml                              a complete server configuration
// A desk folder holds the private key of its member's first non-revoked key
// as signing-key.pem. Existing files are never overwritten. Private keys are
// mode 0600 in 0700 folders.
// Throws config::config_error when members.toml is invalid and
// std::runtime_error naming the file when something cannot be made.
init_report init(const init_options& options);

}  // namespace liaison::pki
