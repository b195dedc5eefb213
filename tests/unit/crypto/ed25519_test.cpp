#include "crypto/ed25519.hpp"
#include "core/hex.hpp"
#include "crypto/alert_signature.hpp"
#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

namespace liaison::crypto {
namespace {

TEST(Sha256Test, KnownAnswer) {
  EXPECT_EQ(core::to_hex(as_bytes(sha256("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256({"a", "bc"}), sha256("abc"));
}

// RFC 8032, section 7.1, TEST 2 (one-byte message 0x72).
TEST(Ed25519Test, VerifiesTheRfc8032Vector) {
  auto pub = *core::from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  auto sig = *core::from_hex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(ed25519_verify(pub, std::string(1, '\x72'), sig));
  EXPECT_FALSE(ed25519_verify(pub, std::string(1, '\x73'), sig));
}

TEST(AlertSignatureTest, SignedPayloadVerifies) {
  auto key = ed25519_private_key::generate();
  std::string payload = "exact serialised alert bytes";
  auto sig = sign_alert(key, payload);
  EXPECT_TRUE(verify_alert(key.public_key(), payload, sig));
}

TEST(AlertSignatureTest, TamperedPayloadSignatureOrKeyFails) {
  auto key = ed25519_private_key::generate();
  auto other = ed25519_private_key::generate();
  std::string payload = "exact serialised alert bytes";
  auto sig = sign_alert(key, payload);
  std::string tampered = payload;
  tampered[0] ^= 1;
  EXPECT_FALSE(verify_alert(key.public_key(), tampered, sig));
  std::string bad_sig = sig;
  bad_sig[10] ^= 1;
  EXPECT_FALSE(verify_alert(key.public_key(), payload, bad_sig));
  EXPECT_FALSE(verify_alert(other.public_key(), payload, sig));
  EXPECT_FALSE(verify_alert(key.public_key(), payload, sig.substr(0, 63)));
  EXPECT_FALSE(verify_alert("short", payload, sig));
}

TEST(AlertSignatureTest, DomainSeparationPreventsReuse) {
  // A plain Ed25519 signature over the payload is not an alert signature.
  auto key = ed25519_private_key::generate();
  std::string payload = "bytes";
  EXPECT_FALSE(verify_alert(key.public_key(), payload, key.sign(payload)));
}

TEST(Ed25519Test, PemRoundTrips) {
  auto key = ed25519_private_key::generate();
  auto again = ed25519_private_key::from_pem(key.to_pem());
  EXPECT_EQ(again.public_key(), key.public_key());
  EXPECT_EQ(public_key_from_pem(public_key_to_pem(key.public_key()), "test"), key.public_key());
  EXPECT_THROW(public_key_from_pem("garbage", "test"), std::runtime_error);
  EXPECT_THROW(ed25519_private_key::from_pem("garbage"), std::runtime_error);
}

}  // namespace
}  // namespace liaison::crypto
