#include "net/tls.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace liaison::net {

namespace ssl = boost::asio::ssl;

namespace {

// True when `cert` carries an extendedKeyUsage extension that names `usage`
// (XKU_SSL_CLIENT, XKU_SSL_SERVER). A certificate without the extension is
// refused: it would otherwise be valid for any purpose (a CA's own
// certificate, say).
bool has_extended_key_usage(X509* cert, std::uint32_t usage) {
  return (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) != 0 &&
         (X509_get_extended_key_usage(cert) & usage) != 0;
}

// OpenSSL's chain verification, plus: the client's own certificate must be
// meant for TLS client authentication.
int verify_client(int preverify_ok, X509_STORE_CTX* store) {
  if (!preverify_ok) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  if (has_extended_key_usage(X509_STORE_CTX_get_current_cert(store), XKU_SSL_CLIENT)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_INVALID_PURPOSE);
  return 0;
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls(const config::tls_section& tls,
                                              bool require_client_certificate) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  // No tickets and no cache: every connection presents and verifies its
  // certificate in full.
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  auto load = [&](auto&& fn, const std::string& path, const char* what) {
    boost::system::error_code ec;
    fn(ec);
    if (ec)
      throw std::runtime_error("cannot load the " + std::string(what) + " " + path + ": " +
                               ec.message());
  };
  load([&](auto& ec) { ctx->use_certificate_chain_file(tls.cert_file, ec); }, tls.cert_file,
       "server certificate chain");
  load([&](auto& ec) { ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec); },
       tls.key_file, "server private key");
  load([&](auto& ec) { ctx->load_verify_file(tls.ca_file, ec); }, tls.ca_file, "CA certificate");
  if (!tls.crl_file.empty()) {
    // Revoked client certificates fail the handshake. With no session
    // resumption (above), every connection is checked against this list.
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (!lookup || X509_load_crl_file(lookup, tls.crl_file.c_str(), X509_FILETYPE_PEM) <= 0)
      throw std::runtime_error("cannot load the certificate revocation list " + tls.crl_file);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  if (X509* own = SSL_CTX_get0_certificate(native);
      !own || !has_extended_key_usage(own, XKU_SSL_SERVER))
    throw std::runtime_error("the server certificate " + tls.cert_file +
                             " lacks the serverAuth extended key usage; issue it for a TLS server");
  SSL_CTX_set_verify(native,
                     require_client_certificate ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                : SSL_VERIFY_PEER,
                     verify_client);
  // Tell clients which CA we accept, so that they pick the right certificate.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str()))
    SSL_CTX_set_client_CA_list(native, names);
  return ctx;
}

std::string peer_common_name(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

namespace {

std::string serial_hex(const ASN1_INTEGER* serial) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex ? hex : "");
  OPENSSL_free(hex);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string peer_serial(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  return cert ? serial_hex(X509_get0_serialNumber(cert)) : std::string{};
}

std::set<std::string> revoked_serials(const std::string& crl_file) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(crl_file.c_str(), "r"),
                                                     &std::fclose);
  if (!file) throw std::runtime_error("cannot read the certificate revocation list " + crl_file);
  std::set<std::string> out;
  bool any = false;
  while (X509_CRL* crl = PEM_read_X509_CRL(file.get(), nullptr, nullptr, nullptr)) {
    any = true;
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i)
      out.insert(serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
    X509_CRL_free(crl);
  }
  if (!any) throw std::runtime_error("no CRL in " + crl_file);
  return out;
}

std::string peer_verify_error(SSL* ssl) {
  long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  if (result == X509_V_ERR_INVALID_PURPOSE)
    return "the client certificate lacks the clientAuth extended key usage";
  return X509_verify_cert_error_string(result);
}

}  // namespace liaison::net
