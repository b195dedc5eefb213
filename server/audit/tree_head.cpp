#include "audit/tree_head.hpp"

#include "core/hex.hpp"

namespace liaison::audit {

std::string tree_head_signing_bytes(const tree_head& head) {
  std::string out(tree_head_context);
  const auto put = [&out](std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(head.tree_size);
  put(static_cast<std::uint64_t>(head.timestamp_ms));
  out.append(crypto::as_bytes(head.root_hash));
  return out;
}

signed_tree_head sign_tree_head(const crypto::ed25519_private_key& key, const tree_head& head) {
  return signed_tree_head{head, key.sign(tree_head_signing_bytes(head)),
                          key_id_of(key.public_key())};
}

bool verify_tree_head(std::string_view public_key, const tree_head& head,
                      std::string_view signature) {
  return crypto::ed25519_verify(public_key, tree_head_signing_bytes(head), signature);
}

std::string key_id_of(std::string_view raw_public_key) {
  return core::to_hex(crypto::as_bytes(crypto::sha256(raw_public_key)));
}

}  // namespace liaison::audit
