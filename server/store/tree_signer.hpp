// Keeps the Merkle tree over the audit log and signs its heads, on a thread
// and connection of its own (never an io thread, never the writer's). It
// appends the audit rows committed since its last step as leaves, checking
// the hash chain as it goes (it never puts a broken chain into the tree),
// stores every perfect subtree's hash for proofs, and signs a tree head at
// least every audit.tree_head_every_entries rows and audit.tree_head_interval
// after the previous head when rows arrived since. Several nodes sharing one
// database take turns under a row lock.
#pragma once

#include "audit/chain_check.hpp"
#include "config/server_config.hpp"
#include "crypto/ed25519.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace liaison::store {

struct tree_signer_status {
  std::uint64_t tree_size = 0;               // leaves in the tree
  std::uint64_t signed_size = 0;             // size of the latest head
  std::optional<audit::chain_break> broken;  // why the tree stopped growing, if it did
};

class tree_signer {
 public:
  using clock_fn = std::function<core::time_point()>;

  // Without `key` the tree still grows (proofs work) but no head is signed.
  tree_signer(config::database_section database, config::audit_section audit,
              std::optional<crypto::ed25519_private_key> key, clock_fn now);
  ~tree_signer();  // stop()
  tree_signer(const tree_signer&) = delete;
  tree_signer& operator=(const tree_signer&) = delete;

  void start();
  void stop();
  // Looks for new audit rows now rather than at the next poll. Thread-safe.
  void wake();
  tree_signer_status status() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
