#include "crypto/ed25519.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace liaison::crypto {
namespace {

using md_ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

void ed25519_private_key::deleter::operator()(EVP_PKEY* k) const {
  EVP_PKEY_free(k);
}

ed25519_private_key ed25519_private_key::generate() {
  EVP_PKEY* key = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1)
    throw std::runtime_error("Ed25519 key generation failed inside OpenSSL");
  return ed25519_private_key(key);
}

ed25519_private_key ed25519_private_key::from_pem(std::string_view pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key) throw std::runtime_error("not a PEM private key");
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    throw std::runtime_error("the private key is not an Ed25519 key");
  }
  return ed25519_private_key(key);
}

ed25519_private_key ed25519_private_key::load_pem_file(const std::string& path) {
  try {
    return from_pem(read_file(path));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::string ed25519_private_key::public_key() const {
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &len) !=
          1 ||
      len != 32)
    throw std::runtime_error("cannot extract the Ed25519 public key");
  return raw;
}

std::string ed25519_private_key::sign(std::string_view message) const {
  md_ctx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64)
    throw std::runtime_error("Ed25519 signing failed inside OpenSSL");
  return sig;
}

std::string ed25519_private_key::to_pem() const {
  bio_ptr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::runtime_error("cannot write the Ed25519 private key as PEM");
  return bio_to_string(bio.get());
}

namespace {

// Parsing a public key and allocating a digest context cost a noticeable share
// of a verification; each thread keeps both for the keys it has seen (a few
// dozen: one or two per member).
struct verifier_cache {
  static constexpr std::size_t max_keys = 1024;
  std::unordered_map<std::string, pkey_ptr> keys;
  md_ctx ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};

  EVP_PKEY* key(std::string_view raw) {
    auto it = keys.find(std::string(raw));
    if (it != keys.end()) return it->second.get();
    if (keys.size() >= max_keys) keys.clear();
    pkey_ptr parsed(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                    reinterpret_cast<const unsigned char*>(raw.data()), raw.size()),
        &EVP_PKEY_free);
    if (!parsed) return nullptr;
    return keys.emplace(std::string(raw), std::move(parsed)).first->second.get();
  }
};

}  // namespace

bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  thread_local verifier_cache cache;
  EVP_PKEY* key = cache.key(public_key);
  if (!key || !cache.ctx || EVP_MD_CTX_reset(cache.ctx.get()) != 1 ||
      EVP_DigestVerifyInit(cache.ctx.get(), nullptr, nullptr, nullptr, key) != 1)
    return false;
  return EVP_DigestVerify(cache.ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string public_key_to_pem(std::string_view raw) {
  pkey_ptr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(raw.data()), raw.size()),
      &EVP_PKEY_free);
  bio_ptr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
    throw std::runtime_error("cannot write the Ed25519 public key as PEM");
  return bio_to_string(bio.get());
}

std::string public_key_from_pem(std::string_view pem, const std::string& what) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  pkey_ptr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr,
               &EVP_PKEY_free);
  if (!key) throw std::runtime_error(what + ": not a PEM public key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    throw std::runtime_error(what + ": the public key is not an Ed25519 key");
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()), &len) !=
      1)
    throw std::runtime_error(what + ": cannot read the Ed25519 public key");
  return raw;
}

std::string load_public_key_pem_file(const std::string& path) {
  return public_key_from_pem(read_file(path), path);
}

}  // namespace liaison::crypto
