#include "audit/encoding.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace liaison::audit {
namespace {

// OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock do the work (RFC 4648, standard
// alphabet, padded). EVP_DecodeBlock is lenient (it skips surrounding
// whitespace and ignores nonzero unused bits), so a decoding counts only
// when encoding its result gives back exactly the text: one canonical
// spelling per value.
std::string encode(std::string_view in) {
  if (in.size() > std::size_t{std::numeric_limits<int>::max() / 4 * 3})
    throw std::length_error("base64: input too large");
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> decode(std::string_view in) {
  if (in.size() % 4 != 0 || in.size() > std::size_t{std::numeric_limits<int>::max()})
    return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  if (static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  if (encode(out) != in) return std::nullopt;
  return out;
}

}  // namespace

std::string to_base64(std::string_view bytes) {
  return encode(bytes);
}

std::optional<std::string> from_base64(std::string_view text) {
  return decode(text);
}

// The URL-safe form is the standard one with '-' for '+', '_' for '/' and
// no padding.
std::string to_base64url(std::string_view bytes) {
  auto text = encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  return decode(standard);
}

std::optional<crypto::digest> digest_from_base64(std::string_view text) {
  auto bytes = from_base64(text);
  if (!bytes || bytes->size() != crypto::digest{}.size()) return std::nullopt;
  crypto::digest d{};
  std::copy(bytes->begin(), bytes->end(), d.begin());
  return d;
}

}  // namespace liaison::audit
