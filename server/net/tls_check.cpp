#include "net/tls_check.hpp"

#include "net/tls.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>

namespace liaison::net {
namespace {

using sys_clock = std::chrono::system_clock;
using level = tls_finding::level;

struct file_closer {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct crl_free {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using crl_ptr = std::unique_ptr<X509_CRL, crl_free>;

x509_ptr read_certificate(const std::string& path) {
  std::unique_ptr<FILE, file_closer> f(std::fopen(path.c_str(), "r"));
  if (!f) return nullptr;
  return x509_ptr(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
}

crl_ptr read_crl(const std::string& path) {
  std::unique_ptr<FILE, file_closer> f(std::fopen(path.c_str(), "r"));
  if (!f) return nullptr;
  return crl_ptr(PEM_read_X509_CRL(f.get(), nullptr, nullptr, nullptr));
}

std::optional<sys_clock::time_point> to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return sys_clock::from_time_t(timegm(&tm));
}

std::string date_of(sys_clock::time_point t) {
  std::time_t tt = sys_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

long days_between(sys_clock::time_point from, sys_clock::time_point to) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::hours>(to - from).count() / 24);
}

// Dates of one certificate: valid now, and for how long.
void check_dates(std::vector<tls_finding>& out, const std::string& what, const std::string& path,
                 X509* cert, sys_clock::time_point now, std::chrono::hours warn_within) {
  auto not_before = to_time_point(X509_get0_notBefore(cert));
  auto not_after = to_time_point(X509_get0_notAfter(cert));
  if (!not_before || !not_after) {
    out.push_back({level::problem, what + " " + path + " has unreadable validity dates"});
    return;
  }
  if (now < *not_before)
    out.push_back(
        {level::problem, what + " " + path + " is not valid before " + date_of(*not_before)});
  else if (now >= *not_after)
    out.push_back({level::problem, what + " " + path + " expired on " + date_of(*not_after)});
  else if (*not_after - now < warn_within)
    out.push_back({level::warning, what + " " + path + " expires on " + date_of(*not_after) +
                                       ", in " + std::to_string(days_between(now, *not_after)) +
                                       " days: renew it (deploy/pki/renew.sh)"});
  else
    out.push_back({level::ok, what + " " + path + " is valid until " + date_of(*not_after) + " (" +
                                  std::to_string(days_between(now, *not_after)) + " days)"});
}

}  // namespace

std::optional<sys_clock::time_point> certificate_not_after(const std::string& cert_file) {
  auto cert = read_certificate(cert_file);
  if (!cert) return std::nullopt;
  return to_time_point(X509_get0_notAfter(cert.get()));
}

std::optional<sys_clock::time_point> crl_next_update(const std::string& crl_file) {
  auto crl = read_crl(crl_file);
  if (!crl) return std::nullopt;
  return to_time_point(X509_CRL_get0_nextUpdate(crl.get()));
}

void require_current_crl(const config::tls_section& tls, sys_clock::time_point now) {
  if (tls.crl_file.empty()) return;
  auto next = crl_next_update(tls.crl_file);
  if (next && now >= *next)
    throw std::runtime_error("the revocation list " + tls.crl_file + " was due for renewal on " +
                             date_of(*next) +
                             ": with it every TLS handshake would fail; publish a new one "
                             "(deploy/pki/crl.sh) and start or reload again");
}

std::vector<tls_finding> check_tls_files(const config::tls_section& tls, sys_clock::time_point now,
                                         std::chrono::hours warn_within) {
  std::vector<tls_finding> out;
  // Exactly what the listeners do at start-up: certificate chain, key (it
  // must match the certificate), CA, CRL, serverAuth.
  try {
    make_server_tls(tls);
    out.push_back({level::ok, "the server certificate " + tls.cert_file + ", its key " +
                                  tls.key_file + " and the CA " + tls.ca_file +
                                  " load; the key matches the certificate, which is for a server"});
  } catch (const std::exception& e) {
    out.push_back({level::problem, e.what()});
  }

  auto ca = read_certificate(tls.ca_file);
  auto cert = read_certificate(tls.cert_file);
  if (!ca) out.push_back({level::problem, "no certificate can be read from " + tls.ca_file});
  if (!cert) out.push_back({level::problem, "no certificate can be read from " + tls.cert_file});
  if (ca) check_dates(out, "the CA certificate", tls.ca_file, ca.get(), now, warn_within);
  if (cert) check_dates(out, "the server certificate", tls.cert_file, cert.get(), now, warn_within);

  if (ca && cert) {
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        &X509_STORE_CTX_free);
    X509_STORE_add_cert(store.get(), ca.get());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
    // Dates are reported above; here only who issued it.
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(ctx.get()) == 1)
      out.push_back({level::ok, "the server certificate was issued by the CA of " + tls.ca_file});
    else
      out.push_back(
          {level::problem, "the server certificate " + tls.cert_file + " does not verify against " +
                               tls.ca_file + ": " +
                               X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) +
                               "; clients will refuse it"});
  }

  if (tls.crl_file.empty()) {
    out.push_back({level::warning,
                   "no [tls] crl_file: a revoked certificate would still be accepted; publish "
                   "one with deploy/pki/crl.sh"});
    return out;
  }
  auto crl = read_crl(tls.crl_file);
  if (!crl) {
    out.push_back({level::problem, "no revocation list can be read from " + tls.crl_file});
    return out;
  }
  if (ca && X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) != 1)
    out.push_back({level::problem, "the revocation list " + tls.crl_file +
                                       " is not signed by the CA of " + tls.ca_file});
  const int revoked = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get()));
  auto next = to_time_point(X509_CRL_get0_nextUpdate(crl.get()));
  const std::string listed = " (" + std::to_string(revoked < 0 ? 0 : revoked) + " revoked)";
  if (!next)
    out.push_back(
        {level::ok, "the revocation list " + tls.crl_file + listed + " has no nextUpdate"});
  else if (now >= *next)
    out.push_back({level::problem, "the revocation list " + tls.crl_file + listed +
                                       " was due for renewal on " + date_of(*next) +
                                       ": every handshake would fail; publish a new one "
                                       "(deploy/pki/crl.sh) and reload"});
  else if (*next - now < std::chrono::hours(24 * 7))
    out.push_back({level::warning, "the revocation list " + tls.crl_file + listed +
                                       " must be renewed by " + date_of(*next)});
  else
    out.push_back({level::ok, "the revocation list " + tls.crl_file + listed + " is valid until " +
                                  date_of(*next)});
  return out;
}

}  // namespace liaison::net
