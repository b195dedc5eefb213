#include "pki/authority.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace liaison::pki {
namespace {

using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using names_ptr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using crl_ptr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;
using asn1_time_ptr = std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)>;
using asn1_int_ptr = std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)>;

// OpenSSL's own reason helps whoever debugs a broken build of the library;
// the error queue is cleared so that it never leaks into a later call.
[[noreturn]] void fail(const std::string& what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char reason[256] = "no detail";
  if (code) ERR_error_string_n(code, reason, sizeof reason);
  throw std::runtime_error(what + " (OpenSSL: " + reason + ")");
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

std::shared_ptr<X509> own(X509* c) {
  return std::shared_ptr<X509>(c, X509_free);
}
std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

bio_ptr memory_bio(std::string_view text) {
  bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  if (!bio) fail("cannot allocate a BIO");
  return bio;
}

template <class Write>
std::string to_pem(Write write) {
  bio_ptr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get()) != 1) fail("cannot write PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::shared_ptr<X509> read_cert(std::string_view pem) {
  auto bio = memory_bio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  return cert ? own(cert) : nullptr;
}

std::shared_ptr<EVP_PKEY> read_key(std::string_view pem) {
  auto bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  return key ? own(key) : nullptr;
}

std::shared_ptr<EVP_PKEY> generate_p256() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) fail("cannot generate an ECDSA P-256 key");
  return own(key);
}

ASN1_TIME* set_time(ASN1_TIME* field, time_point t) {
  return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t));
}

// 128 random bits with the top bit cleared (serials are positive) and the
// next one set, so that every serial is exactly 16 bytes long.
void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  check(RAND_bytes(bytes, sizeof bytes), "cannot draw a random serial");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(bytes, sizeof bytes, nullptr), &BN_free);
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    fail("cannot set the serial number");
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value), &X509_EXTENSION_free);
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    fail(std::string("cannot add the extension ") + OBJ_nid2sn(nid) + " = " + value);
}

void add_subject_alt_names(X509* cert, const certificate_spec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return;
  names_ptr names(GENERAL_NAMES_new(), &GENERAL_NAMES_free);
  for (const auto& dns : spec.dns_names) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!name || !text || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(name);
      ASN1_IA5STRING_free(text);
      fail("cannot encode the DNS name " + dns);
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  for (const auto& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    ERR_clear_error();
    if (!address) throw std::invalid_argument("'" + ip + "' is not an IP address");
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!name) {
      ASN1_OCTET_STRING_free(address);
      fail("cannot allocate a GENERAL_NAME");
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, address);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
        "cannot add subjectAltName");
}

// Everything a certificate shares, CA or leaf: version, serial, subject,
// validity, key; extensions are the caller's.
std::shared_ptr<X509> new_certificate(const std::string& common_name, time_point not_before,
                                      time_point not_after, EVP_PKEY* subject_key) {
  if (common_name.empty()) throw std::invalid_argument("a certificate needs a common name");
  if (not_after <= not_before) throw std::invalid_argument("not_after must lie after not_before");
  auto cert = own(X509_new());
  if (!cert) fail("cannot allocate a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "cannot set the version");
  set_random_serial(cert.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "cannot set the common name");
  if (!set_time(X509_getm_notBefore(cert.get()), not_before) ||
      !set_time(X509_getm_notAfter(cert.get()), not_after))
    fail("cannot set the validity period");
  check(X509_set_pubkey(cert.get(), subject_key), "cannot set the public key");
  return cert;
}

}  // namespace

authority authority::create(std::string common_name, time_point not_before, time_point not_after) {
  auto key = generate_p256();
  auto cert = new_certificate(common_name, not_before, not_after, key.get());
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())),
        "cannot set the issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the CA certificate");
  return authority(std::move(cert), std::move(key));
}

authority authority::load(std::string_view cert_pem, std::string_view key_pem) {
  auto cert = read_cert(cert_pem);
  if (!cert) throw std::runtime_error("the CA certificate is not a PEM certificate");
  auto key = read_key(key_pem);
  if (!key) throw std::runtime_error("the CA key is not a PEM private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the CA key does not belong to the CA certificate");
  }
  if (X509_check_ca(cert.get()) == 0)
    throw std::runtime_error("the CA certificate is not a CA certificate");
  return authority(std::move(cert), std::move(key));
}

issued authority::issue(const certificate_spec& spec) const {
  auto key = generate_p256();
  auto key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return issued{certify(spec, key_pem), key_pem};
}

std::string authority::certify(const certificate_spec& spec, std::string_view key_pem) const {
  auto key = read_key(key_pem);
  if (!key) throw std::invalid_argument("not a PEM private key");
  auto cert = new_certificate(spec.common_name, spec.not_before, spec.not_after, key.get());
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())),
        "cannot set the issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert_.get(), cert.get(), nullptr, nullptr, 0);
  add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
  if (spec.usage != certificate_usage::any)
    add_ext(cert.get(), &ctx, NID_ext_key_usage,
            spec.usage == certificate_usage::server ? "serverAuth" : "clientAuth");
  add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(cert.get(), spec);
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) fail("cannot sign the certificate");
  return to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
}

std::string authority::issue_crl(const std::vector<std::string>& revoked_cert_pems,
                                 time_point next_update, time_point this_update) const {
  crl_ptr crl(X509_CRL_new(), &X509_CRL_free);
  asn1_time_ptr now(ASN1_TIME_new(), &ASN1_TIME_free);
  asn1_time_ptr next(ASN1_TIME_new(), &ASN1_TIME_free);
  if (!crl || !now || !next || !set_time(now.get(), this_update) ||
      !set_time(next.get(), next_update))
    fail("cannot allocate the CRL");
  check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "cannot set the CRL version");
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert_.get())),
        "cannot set the CRL issuer");
  check(X509_CRL_set1_lastUpdate(crl.get(), now.get()), "cannot set lastUpdate");
  check(X509_CRL_set1_nextUpdate(crl.get(), next.get()), "cannot set nextUpdate");
  for (const auto& pem : revoked_cert_pems) {
    auto cert = read_cert(pem);
    if (!cert) throw std::invalid_argument("a revoked certificate is not a PEM certificate");
    if (!issued_by_me(pem))
      throw std::invalid_argument("a revoked certificate was not issued by this CA");
    X509_REVOKED* entry = X509_REVOKED_new();
    if (!entry ||
        X509_REVOKED_set_serialNumber(
            entry, const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert.get()))) != 1 ||
        X509_REVOKED_set_revocationDate(entry, now.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), entry) != 1) {
      X509_REVOKED_free(entry);
      fail("cannot add a revoked certificate to the CRL");
    }
  }
  check(X509_CRL_sort(crl.get()), "cannot sort the CRL");
  // The CRL number must grow with each CRL; seconds since the epoch do.
  asn1_int_ptr number(ASN1_INTEGER_new(), &ASN1_INTEGER_free);
  if (!number ||
      ASN1_INTEGER_set_int64(number.get(), std::chrono::system_clock::to_time_t(this_update)) != 1)
    fail("cannot set the CRL number");
  check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT),
        "cannot add the CRL number");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert_.get(), nullptr, nullptr, crl.get(), 0);
  ext_ptr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"),
              &X509_EXTENSION_free);
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1)
    fail("cannot add the CRL's authority key identifier");
  if (X509_CRL_sign(crl.get(), key_.get(), EVP_sha256()) <= 0) fail("cannot sign the CRL");
  return to_pem([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl.get()); });
}

bool authority::issued_by_me(std::string_view cert_pem) const {
  auto cert = read_cert(cert_pem);
  bool ok = cert && X509_check_issued(cert_.get(), cert.get()) == X509_V_OK &&
            X509_verify(cert.get(), key_.get()) == 1;
  ERR_clear_error();
  return ok;
}

std::string authority::cert_pem() const {
  return to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert_.get()); });
}

std::string authority::key_pem() const {
  return to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

}  // namespace liaison::pki
