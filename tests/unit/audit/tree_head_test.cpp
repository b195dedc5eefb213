// Signed tree heads: a fixed, domain-separated encoding, and a signature that
// holds only for the exact head and key.
#include "audit/tree_head.hpp"

#include "audit/encoding.hpp"
#include "audit/merkle.hpp"

#include <gtest/gtest.h>

namespace liaison::audit {
namespace {

tree_head head(std::uint64_t size) {
  return tree_head{size, 1'767'225'600'123, merkle::leaf_hash("root of " + std::to_string(size))};
}

TEST(TreeHeadTest, SigningBytesAreTheContextThenSizeTimestampAndRoot) {
  auto h = head(0x0102030405060708);
  auto bytes = tree_head_signing_bytes(h);
  ASSERT_EQ(bytes.size(), 21u + 8 + 8 + 32);
  EXPECT_EQ(bytes.substr(0, 21), std::string("liaison.v1.tree_head\0", 21));
  EXPECT_EQ(bytes.substr(21, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(bytes.substr(29, 8), std::string("\x00\x00\x01\x9b\x76\xda\xa8\x7b", 8));
  EXPECT_EQ(bytes.substr(37), std::string(crypto::as_bytes(h.root_hash)));
}

TEST(TreeHeadTest, ASignatureHoldsOnlyForItsHeadAndKey) {
  auto key = crypto::ed25519_private_key::generate();
  auto other = crypto::ed25519_private_key::generate();
  auto signed_head = sign_tree_head(key, head(42));
  EXPECT_EQ(signed_head.key_id, key_id_of(key.public_key()));
  EXPECT_EQ(signed_head.key_id.size(), 64u);
  EXPECT_TRUE(verify_tree_head(key.public_key(), signed_head.head, signed_head.signature));
  EXPECT_FALSE(verify_tree_head(other.public_key(), signed_head.head, signed_head.signature));
  auto changed = signed_head.head;
  changed.tree_size = 41;
  EXPECT_FALSE(verify_tree_head(key.public_key(), changed, signed_head.signature));
  changed = signed_head.head;
  changed.timestamp_ms += 1;
  EXPECT_FALSE(verify_tree_head(key.public_key(), changed, signed_head.signature));
  changed = signed_head.head;
  changed.root_hash[0] ^= 1;
  EXPECT_FALSE(verify_tree_head(key.public_key(), changed, signed_head.signature));
  // Not an alert signature over the same bytes without the context.
  auto bare = key.sign(tree_head_signing_bytes(signed_head.head).substr(21));
  EXPECT_FALSE(verify_tree_head(key.public_key(), signed_head.head, bare));
}

TEST(EncodingTest, Base64FollowsRfc4648AndRefusesNonCanonicalText) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, text] : vectors) {
    EXPECT_EQ(to_base64(plain), text);
    EXPECT_EQ(from_base64(text), plain);
  }
  EXPECT_EQ(to_base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(from_base64url("-_8"), std::string("\xfb\xff"));
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9v\n", "Zm 9", "====", "Z===", "Zm9vYg=a"})
    EXPECT_FALSE(from_base64(bad)) << bad;
  EXPECT_FALSE(from_base64url("Zg=="));
  EXPECT_FALSE(digest_from_base64("Zm9v"));
  auto d = merkle::leaf_hash("x");
  EXPECT_EQ(digest_from_base64(to_base64(d)), d);
}

}  // namespace
}  // namespace liaison::audit
