// Private to store/: reads of the audit chain for verification, of the
// Merkle tree's nodes for proofs, and of the signed tree heads.
#pragma once

#include "audit/merkle.hpp"
#include "core/error.hpp"
#include "store/audit_records.hpp"

#include <pqxx/pqxx>

#include <map>
#include <vector>

namespace liaison::store::detail {

// Recomputes the chain over audit rows from..to (see audit_store::verify_chain).
chain_report verify_chain(pqxx::connection& c, std::uint64_t from, std::optional<std::uint64_t> to);

// Heads with id > after_id (at most `limit`) and the latest head.
tree_heads_page read_tree_heads(pqxx::connection& c, std::uint64_t after_id, std::size_t limit);

// Proofs for sizes up to the tree's current size; INVALID_ARGUMENT beyond it.
core::result<inclusion_answer> read_inclusion(pqxx::connection& c, std::uint64_t index,
                                              std::uint64_t tree_size);
core::result<consistency_answer> read_consistency(pqxx::connection& c, std::uint64_t first,
                                                  std::uint64_t second);

// The stored hashes of `nodes` (those that exist).
std::map<audit::merkle::node_id, audit::digest> read_nodes(
    pqxx::transaction_base& tx, const std::vector<audit::merkle::node_id>& nodes);

stored_tree_head decode_tree_head(const pqxx::row& row);
inline constexpr std::string_view tree_head_columns =
    "id, tree_size, timestamp_ms, root_hash, signature, key_id";

}  // namespace liaison::store::detail
