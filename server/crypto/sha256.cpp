#include "crypto/sha256.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace liaison::crypto {

digest sha256(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  digest out{};
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (auto p : parts) ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == out.size();
  if (!ok) throw std::runtime_error("SHA-256 failed inside OpenSSL");
  return out;
}

digest sha256(std::string_view data) {
  return sha256({data});
}

}  // namespace liaison::crypto
