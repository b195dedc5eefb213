// What `liaisond --check-config` says of the TLS files, without serving:
// that the server certificate, its key and the CA load as the listeners
// would load them, that the certificate was issued by that CA, how long the
// certificates and the revocation list remain valid, and that the CRL was
// signed by the CA.
#pragma once

#include "config/server_config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace liaison::net {

struct tls_finding {
  enum class level { ok, warning, problem };
  level severity = level::ok;
  std::string text;  // one sentence naming the file
};

// A warning when a certificate expires within `warn_within`, a problem when
// it has expired or is not valid yet; the CRL likewise by its nextUpdate.
std::vector<tls_finding> check_tls_files(const config::tls_section& tls,
                                         std::chrono::system_clock::time_point now,
                                         std::chrono::hours warn_within = std::chrono::hours(24 *
                                                                                             30));

// When the server certificate in `cert_file` expires; nullopt when it
// cannot be read.
std::optional<std::chrono::system_clock::time_point> certificate_not_after(
    const std::string& cert_file);

// The nextUpdate of the first CRL in `crl_file`, after which every handshake
// fails; nullopt when it cannot be read or has none.
std::optional<std::chrono::system_clock::time_point> crl_next_update(const std::string& crl_file);

// Throws std::runtime_error naming the file when `tls.crl_file` is set and
// its nextUpdate has passed: OpenSSL then fails every handshake, so neither
// a start nor a reload may take it.
void require_current_crl(const config::tls_section& tls, std::chrono::system_clock::time_point now);

}  // namespace liaison::net
