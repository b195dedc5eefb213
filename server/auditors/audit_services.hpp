// The auditors' side of liaisond: the pool serving their queries, the tree
// signer, the history indexer and the HTTPS routes, built from [audit] and
// [database]. Each database part runs on threads of its own.
#pragma once

#include "config/server_config.hpp"
#include "net/http_router.hpp"

#include <functional>
#include <memory>

namespace liaison::store {
class audit_store;
class tree_signer;
class history_indexer;
}  // namespace liaison::store

namespace liaison::auditors {

class audit_services {
 public:
  // Loads audit.signing_key_file (throws std::runtime_error naming the file
  // when it is not an Ed25519 private key).
  audit_services(const config::server_config& config, std::function<core::time_point()> now);
  ~audit_services();  // stop()
  audit_services(const audit_services&) = delete;
  audit_services& operator=(const audit_services&) = delete;

  void start();
  void stop();
  // Registers the auditors' routes; the router must not outlive this object.
  void add_routes(net::http_router& router);

 private:
  config::audit_section options_;
  std::string public_key_;
  std::unique_ptr<store::audit_store> store_;
  std::unique_ptr<store::tree_signer> signer_;
  std::unique_ptr<store::history_indexer> indexer_;
};

}  // namespace liaison::auditors
