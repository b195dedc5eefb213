// The identity folder of one principal, used by the CLI, the tests and the
// benchmark: its client certificate and key, the task force CA, its desk's
// signing key and identity.toml, which says who it is.
#pragma once

#include "core/types.hpp"

#include <string>

namespace liaison::pki {

// File names inside an identity folder.
inline constexpr const char* identity_file_name = "identity.toml";
inline constexpr const char* cert_file_name = "cert.pem";
inline constexpr const char* key_file_name = "key.pem";  // mode 0600
inline constexpr const char* ca_file_name = "ca.pem";
inline constexpr const char* signing_key_file_name = "signing-key.pem";  // desks, mode 0600

struct identity {
  std::string dir;        // absolute path of the folder
  std::string principal;  // the client certificate's common name, e.g. "AT.desk"
  std::string member;     // the member it acts for; empty for auditors and admins
  core::role role = core::role::desk;
  std::string key_id;            // the key signing-key.pem holds; empty if none
  std::string cert_file;         // DIR/cert.pem, the client certificate
  std::string key_file;          // DIR/key.pem, its private key
  std::string ca_file;           // DIR/ca.pem, the task force CA
  std::string signing_key_file;  // DIR/signing-key.pem when key_id is set, else empty
  std::string keys_dir;          // the members' public signing keys (PEM)
};

// Reads DIR/identity.toml and checks that the files it implies exist. Throws
// std::runtime_error naming the folder and what is missing or wrong.
identity load_identity(const std::string& dir);

// Writes DIR/identity.toml for `id` (principal, member, role, key_id,
// keys_dir), mode 0644. Returns false, writing nothing, when the file exists.
// Throws std::runtime_error when it cannot be written.
bool write_identity_file(const identity& id);

}  // namespace liaison::pki
