#include "pki/authority.hpp"

#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <memory>

namespace liaison::pki {
namespace {

using namespace std::chrono_literals;
using std::chrono::January;
using std::chrono::sys_days;

// Fixed times: verification is done "at" a chosen instant, never the wall clock.
const time_point t0 = sys_days{std::chrono::year{2031} / January / 1};
const time_point verify_at = t0 + 24h * 10;

using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

x509_ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
}

// X509_V_OK, or the verification error of `leaf` against `ca` at `when`.
int verify(const std::string& ca_pem, const std::string& leaf_pem, time_point when,
           int purpose = X509_PURPOSE_SSL_CLIENT, const std::string& crl_pem = {}) {
  auto ca = parse(ca_pem);
  auto leaf = parse(leaf_pem);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  if (!crl_pem.empty()) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())), &BIO_free);
    std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
        PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), &X509_CRL_free);
    EXPECT_TRUE(crl);
    X509_STORE_add_crl(store.get(), crl.get());
    X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
  }
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(when));
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      out.push_back("DNS:" +
                    std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                                ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD) {
      const auto* bytes = ASN1_STRING_get0_data(n->d.iPAddress);
      const int len = ASN1_STRING_length(n->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(len == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
      out.push_back(std::string("IP:") + text);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

authority make_ca(const char* name = "Test CA") {
  return authority::create(name, t0 - 24h, t0 + 24h * 365);
}

certificate_spec client(const std::string& cn, time_point from = t0,
                        time_point to = t0 + 24h * 30) {
  return certificate_spec{cn, {}, {}, certificate_usage::client, from, to};
}

TEST(AuthorityTest, ClientCertificateVerifiesAgainstItsCa) {
  auto ca = make_ca();
  auto leaf = ca.issue(client("AT.desk"));

  EXPECT_EQ(verify(ca.cert_pem(), leaf.cert_pem, verify_at), X509_V_OK);
  auto cert = parse(leaf.cert_pem);
  EXPECT_EQ(common_name(cert.get()), "AT.desk");
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  // Used as a server certificate it fails: the EKU says clientAuth only.
  EXPECT_NE(verify(ca.cert_pem(), leaf.cert_pem, verify_at, X509_PURPOSE_SSL_SERVER), X509_V_OK);
}

TEST(AuthorityTest, ServerCertificateCarriesItsNames) {
  auto ca = make_ca();
  certificate_spec spec{"liaison-server",
                        {"localhost", "liaison.example.org"},
                        {"127.0.0.1", "::1"},
                        certificate_usage::server,
                        t0,
                        t0 + 24h * 30};
  auto leaf = ca.issue(spec);

  EXPECT_EQ(verify(ca.cert_pem(), leaf.cert_pem, verify_at, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  auto cert = parse(leaf.cert_pem);
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  auto names = alt_names(cert.get());
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], "DNS:localhost");
  EXPECT_EQ(names[1], "DNS:liaison.example.org");
  EXPECT_EQ(names[2], "IP:127.0.0.1");
  EXPECT_EQ(names[3], "IP:::1");
  EXPECT_EQ(X509_check_host(cert.get(), "liaison.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
}

TEST(AuthorityTest, ExpiredAndNotYetValidCertificatesFail) {
  auto ca = make_ca();
  auto expired = ca.issue(client("AT.desk", t0, t0 + 24h));
  auto future = ca.issue(client("AT.desk", verify_at + 24h, verify_at + 48h));

  EXPECT_EQ(verify(ca.cert_pem(), expired.cert_pem, verify_at), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(verify(ca.cert_pem(), future.cert_pem, verify_at), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(AuthorityTest, CertificateOfAnotherCaFails) {
  auto ours = make_ca("Task force CA");
  auto foreign = make_ca("Task force CA");  // same name, other key
  auto leaf = foreign.issue(client("AT.desk"));

  EXPECT_NE(verify(ours.cert_pem(), leaf.cert_pem, verify_at), X509_V_OK);
  EXPECT_FALSE(ours.issued_by_me(leaf.cert_pem));
  EXPECT_TRUE(foreign.issued_by_me(leaf.cert_pem));
}

TEST(AuthorityTest, LoadedAuthorityIssuesForExistingKeys) {
  auto ca = make_ca();
  auto again = authority::load(ca.cert_pem(), ca.key_pem());
  auto first = ca.issue(client("HU.partner"));
  // Re-certifying the same key with the reloaded CA gives a valid certificate.
  auto cert = again.certify(client("HU.partner"), first.key_pem);
  EXPECT_EQ(verify(ca.cert_pem(), cert, verify_at), X509_V_OK);
  EXPECT_THROW(authority::load(ca.cert_pem(), make_ca().key_pem()), std::runtime_error);
  EXPECT_THROW(authority::load(ca.cert_pem(), first.key_pem), std::runtime_error);
  EXPECT_THROW(authority::load(first.cert_pem, first.key_pem), std::runtime_error);  // not a CA
}

TEST(AuthorityTest, SerialsAreRandomAndSixteenBytes) {
  auto ca = make_ca();
  auto a = parse(ca.issue(client("a")).cert_pem);
  auto b = parse(ca.issue(client("a")).cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
  EXPECT_EQ(ASN1_STRING_length(X509_get0_serialNumber(a.get())), 16);
}

TEST(AuthorityTest, BadSpecsAreRejected) {
  auto ca = make_ca();
  EXPECT_THROW(ca.issue(client("")), std::invalid_argument);
  EXPECT_THROW(ca.issue(client("x", t0, t0)), std::invalid_argument);
  auto spec = client("x");
  spec.ip_addresses = {"not-an-ip"};
  EXPECT_THROW(ca.issue(spec), std::invalid_argument);
}

TEST(AuthorityTest, CrlRevokesOnlyWhatItLists) {
  auto ca = make_ca();
  auto revoked = ca.issue(client("AT.desk"));
  auto kept = ca.issue(client("HU.partner"));
  auto crl = ca.issue_crl({revoked.cert_pem}, verify_at + 24h, t0);

  EXPECT_EQ(verify(ca.cert_pem(), revoked.cert_pem, verify_at, X509_PURPOSE_SSL_CLIENT, crl),
            X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify(ca.cert_pem(), kept.cert_pem, verify_at, X509_PURPOSE_SSL_CLIENT, crl),
            X509_V_OK);
  EXPECT_THROW(ca.issue_crl({make_ca().issue(client("x")).cert_pem}, verify_at),
               std::invalid_argument);
}

}  // namespace
}  // namespace liaison::pki
