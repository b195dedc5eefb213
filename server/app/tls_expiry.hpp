// How long the TLS files stay usable, for /metrics:
// liaison_certificate_expiry_seconds{certificate="server"|"ca"|"crl"}, the
// seconds left until the server certificate or the CA certificate expires,
// or the CRL's nextUpdate passes (negative once it has). Read at start-up
// and after every reload, never on an io thread.
#pragma once

#include "config/server_config.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace liaison::app {

class tls_expiry {
 public:
  // Reads the files named by `tls` (blocking).
  void refresh(const config::tls_section& tls);
  // ("server" | "ca" | "crl", seconds left) for each file whose date is known.
  std::vector<std::pair<std::string, std::int64_t>> seconds_left(
      std::chrono::system_clock::time_point now) const;
  // Why a client cannot complete a handshake at `now` (the server
  // certificate has expired, the CRL is past its nextUpdate), or "".
  std::string handshake_problem(std::chrono::system_clock::time_point now) const;

 private:
  // Seconds since the epoch; 0 while unknown.
  std::atomic<std::int64_t> server_{0}, ca_{0}, crl_{0};
};

}  // namespace liaison::app
