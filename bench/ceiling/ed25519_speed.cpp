// ed25519_speed: the machine's Ed25519 figures with the server's own code
// (liaison::crypto, OpenSSL underneath), one core: signatures and
// verifications per second and CPU microseconds for each, over a payload of
// the benchmark's size with the alert signature's domain prefix.
#include "crypto/alert_signature.hpp"

#include <openssl/evp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs `op` for about `seconds` of wall time; returns {ops, cpu seconds, wall seconds}.
template <class Op>
std::tuple<long, double, double> measure(double seconds, Op op) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = cpu_now();
  long n = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         seconds) {
    for (int i = 0; i < 64; ++i) op();
    n += 64;
  }
  return {n, cpu_now() - cpu0,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ed25519_speed: Ed25519 sign/verify figures with liaison::crypto"};
  double seconds = 3;
  std::size_t payload_bytes = 1200;
  std::string json_file;
  app.add_option("--seconds", seconds, "seconds per measurement (default 3)");
  app.add_option("--payload", payload_bytes,
                 "signed payload bytes (default 1200, a 1 KiB-body alert)");
  app.add_option("--json", json_file, "also write the figures here");
  CLI11_PARSE(app, argc, argv);

  auto key = liaison::crypto::ed25519_private_key::generate();
  const std::string pub = key.public_key();
  const std::string payload(payload_bytes, 'x');
  const std::string signature = liaison::crypto::sign_alert(key, payload);
  volatile bool sink = false;
  auto [signs, sign_cpu, sign_wall] =
      measure(seconds, [&] { sink = !liaison::crypto::sign_alert(key, payload).empty(); });
  auto [verifies, verify_cpu, verify_wall] =
      measure(seconds, [&] { sink = liaison::crypto::verify_alert(pub, payload, signature); });
  // The same verification with the key object made once and the digest
  // context reused (EVP_MD_CTX_reset between uses): what verify_alert would
  // cost if the registry kept an EVP_PKEY per signing key.
  EVP_PKEY* cached = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string input = std::string(liaison::crypto::alert_signature_context) + payload;
  auto [cached_verifies, cached_cpu, cached_wall] = measure(seconds, [&] {
    EVP_MD_CTX_reset(ctx);
    sink = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, cached) == 1 &&
           EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
  });
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(cached);
  (void)sink;
  const double cached_us = cached_cpu * 1e6 / static_cast<double>(cached_verifies);

  const double sign_us = sign_cpu * 1e6 / static_cast<double>(signs);
  const double verify_us = verify_cpu * 1e6 / static_cast<double>(verifies);
  std::printf("ed25519 (liaison::crypto, %zu-byte payload, one thread):\n", payload_bytes);
  std::printf("  sign    %8.0f /s wall   %6.1f us CPU each\n",
              static_cast<double>(signs) / sign_wall, sign_us);
  std::printf("  verify  %8.0f /s wall   %6.1f us CPU each\n",
              static_cast<double>(verifies) / verify_wall, verify_us);
  std::printf("  verify with a cached EVP_PKEY  %8.0f /s wall   %6.1f us CPU each\n",
              static_cast<double>(cached_verifies) / cached_wall, cached_us);
  if (!json_file.empty()) {
    nlohmann::json j = {{"payload_bytes", payload_bytes},
                        {"sign_per_s", static_cast<double>(signs) / sign_wall},
                        {"sign_cpu_us", sign_us},
                        {"verify_per_s", static_cast<double>(verifies) / verify_wall},
                        {"verify_cpu_us", verify_us},
                        {"verify_cached_key_cpu_us", cached_us}};
    std::ofstream(json_file) << j.dump(2) << "\n";
  }
  return 0;
}
