// Ed25519 keys, signatures and verification (OpenSSL). Public keys travel as
// raw 32-byte strings; private keys live in PEM files (PKCS#8).
#pragma once

#include <memory>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace liaison::crypto {

class ed25519_private_key {
 public:
  static ed25519_private_key generate();
  // Throws std::runtime_error naming the file when it is missing or not an
  // Ed25519 private key.
  static ed25519_private_key load_pem_file(const std::string& path);
  static ed25519_private_key from_pem(std::string_view pem);

  std::string public_key() const;                    // raw 32 bytes
  std::string sign(std::string_view message) const;  // 64 bytes
  std::string to_pem() const;

 private:
  struct deleter {
    void operator()(EVP_PKEY* k) const;
  };
  explicit ed25519_private_key(EVP_PKEY* key) : key_(key, deleter{}) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// True only if `signature` is a valid Ed25519 signature of `message` under the
// raw 32-byte `public_key`. Never throws; thread-safe.
bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature);

// Public keys in PEM (SubjectPublicKeyInfo), the format the registry loads.
std::string public_key_to_pem(std::string_view raw_public_key);
// Throws std::runtime_error naming `what` when `pem` is not an Ed25519 public key.
std::string public_key_from_pem(std::string_view pem, const std::string& what);
std::string load_public_key_pem_file(const std::string& path);

}  // namespace liaison::crypto
