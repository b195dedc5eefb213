// The members' public signing keys found in an identity's keys folder
// (<key id>.pub.pem, as `liaison pki init` writes them), loaded on first use,
// to check alerts and receipts offline.
#pragma once

#include "crypto/ed25519.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace liaison::cli {

class key_ring {
 public:
  explicit key_ring(std::string dir) : dir_(std::move(dir)) {}
  // The raw public key, or nullptr when the folder has none for this id.
  const std::string* find(const std::string& key_id) {
    if (auto it = keys_.find(key_id); it != keys_.end())
      return it->second.empty() ? nullptr : &it->second;
    std::string raw;
    auto path = std::filesystem::path(dir_) / (key_id + ".pub.pem");
    if (!key_id.empty() && key_id.find('/') == std::string::npos && std::filesystem::exists(path)) {
      try {
        raw = crypto::load_public_key_pem_file(path.string());
      } catch (const std::exception&) {
      }
    }
    auto& slot = keys_[key_id] = raw;
    return slot.empty() ? nullptr : &slot;
  }

 private:
  std::string dir_;
  std::map<std::string, std::string> keys_;
};

}  // namespace liaison::cli
