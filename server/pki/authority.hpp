// A certificate authority for the development PKI (OpenSSL 3): ECDSA P-256,
// SHA-256, TLS server and client certificates and CRLs. Every validity period
// is the caller's, so tests can make expired and not-yet-valid certificates.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace liaison::pki {

using time_point = std::chrono::system_clock::time_point;

// server: extendedKeyUsage serverAuth; client: clientAuth; any: no
// extendedKeyUsage at all (valid for every purpose, which liaisond refuses
// for clients; exists so that tests can show that refusal).
enum class certificate_usage { server, client, any };

struct certificate_spec {
  std::string common_name;                // the subject CN; for a client, its principal id
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries, IPv4 or IPv6 text
  certificate_usage usage = certificate_usage::client;
  time_point not_before;
  time_point not_after;
};

// A certificate and its private key, both PEM (the key unencrypted PKCS#8).
struct issued {
  std::string cert_pem;
  std::string key_pem;
};

// A CA certificate with its private key. Copies share the key; const member
// functions are safe to call from several threads.
class authority {
 public:
  // A new self-signed CA (basicConstraints CA:TRUE, critical) with a fresh key.
  // Throws std::runtime_error when OpenSSL fails.
  static authority create(std::string common_name, time_point not_before, time_point not_after);

  // The CA from PEM text. Throws std::runtime_error when either is unusable,
  // the key does not belong to the certificate or the certificate is no CA.
  static authority load(std::string_view cert_pem, std::string_view key_pem);

  // A leaf certificate for a fresh ECDSA P-256 key: basicConstraints CA:FALSE,
  // keyUsage digitalSignature, extendedKeyUsage serverAuth or clientAuth,
  // subjectAltName, key identifiers and a random 128-bit serial. Throws
  // std::invalid_argument on an empty common name, an unparsable IP address or
  // not_after <= not_before; std::runtime_error when OpenSSL fails.
  issued issue(const certificate_spec& spec) const;

  // As issue(), for an existing private key (PEM); returns the certificate PEM.
  std::string certify(const certificate_spec& spec, std::string_view key_pem) const;

  // A PEM CRL (v2, with CRL number and authority key identifier) listing the
  // serials of `revoked_cert_pems`, valid from `this_update` until
  // `next_update`. Throws std::invalid_argument when a certificate is not PEM
  // or was not issued by this CA.
  std::string issue_crl(const std::vector<std::string>& revoked_cert_pems, time_point next_update,
                        time_point this_update = std::chrono::system_clock::now()) const;

  // True when `cert_pem` is a certificate whose signature this CA's key verifies.
  bool issued_by_me(std::string_view cert_pem) const;

  std::string cert_pem() const;
  std::string key_pem() const;

 private:
  authority(std::shared_ptr<X509> cert, std::shared_ptr<EVP_PKEY> key)
      : cert_(std::move(cert)), key_(std::move(key)) {}
  std::shared_ptr<X509> cert_;
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace liaison::pki
