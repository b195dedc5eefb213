// TLS for the server's listeners: TLS 1.3 only, a client certificate issued
// by the task-force CA is required, and no session resumption (a resumed
// session would skip the certificate checks that revocation relies on).
#pragma once

#include "config/server_config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <set>
#include <string>

typedef struct ssl_st SSL;

namespace liaison::net {

// Throws std::runtime_error naming the file when a certificate, key or CA
// file cannot be loaded. With `require_client_certificate` false (the HTTPS
// listener, whose /healthz and /readyz need no identity) a certificate is
// still requested and, when presented, verified in full.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const config::tls_section& tls,
                                                           bool require_client_certificate = true);

// Subject common name of the peer's verified certificate; empty when there
// is none.
std::string peer_common_name(SSL* ssl);

// Serial number (lower-case hex) of the peer's certificate; empty when none.
std::string peer_serial(SSL* ssl);

// Serial numbers (lower-case hex) listed in the PEM CRL file. Throws
// std::runtime_error naming the file when it cannot be read.
std::set<std::string> revoked_serials(const std::string& crl_file);

// Why the last handshake on `ssl` failed certificate verification, if it did
// (e.g. "certificate has expired"); empty otherwise.
std::string peer_verify_error(SSL* ssl);

}  // namespace liaison::net
