// Signed tree heads: the server's Ed25519 signature over (tree size,
// timestamp, root hash) of the audit log's Merkle tree. Anyone who keeps a
// head can later prove that the log still extends it (a consistency proof) or
// catch the server rewriting history. Pure, apart from the signing key.
#pragma once

#include "crypto/ed25519.hpp"
#include "crypto/sha256.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace liaison::audit {

using crypto::digest;

struct tree_head {
  std::uint64_t tree_size = 0;
  std::int64_t timestamp_ms = 0;  // milliseconds since the Unix epoch, as in RFC 9162
  digest root_hash{};

  friend bool operator==(const tree_head&, const tree_head&) = default;
};

struct signed_tree_head {
  tree_head head;
  std::string signature;  // Ed25519, 64 bytes
  std::string key_id;     // key_id_of(the signing public key)
};

// "liaison.v1.tree_head" followed by one NUL byte: a tree head signature can
// never be taken for an alert signature or anything else.
inline constexpr std::string_view tree_head_context{"liaison.v1.tree_head\0", 21};

// The signed bytes: the context, big-endian u64 tree_size, big-endian i64
// timestamp_ms, then the 32-byte root hash (69 bytes in all).
std::string tree_head_signing_bytes(const tree_head& head);

signed_tree_head sign_tree_head(const crypto::ed25519_private_key& key, const tree_head& head);
// True only when `signature` is the Ed25519 signature of `head` under the raw
// 32-byte `public_key`. Never throws.
bool verify_tree_head(std::string_view public_key, const tree_head& head,
                      std::string_view signature);

// Names a signing key: lower-case hex SHA-256 of its raw public key.
std::string key_id_of(std::string_view raw_public_key);

}  // namespace liaison::audit
