#include "audit/chain_check.hpp"

#include "audit/merkle.hpp"

namespace liaison::audit {

std::string_view to_string(break_kind kind) {
  switch (kind) {
    case break_kind::gap:
      return "gap";
    case break_kind::hash_mismatch:
      return "hash_mismatch";
    case break_kind::prev_hash_mismatch:
      return "prev_hash_mismatch";
    case break_kind::leaf_mismatch:
      return "leaf_mismatch";
    case break_kind::missing_tail:
      return "missing_tail";
    case break_kind::head_mismatch:
      return "head_mismatch";
  }
  return "unknown";
}

void chain_checker::fail(std::uint64_t id, break_kind kind, std::string message) {
  failure_ = chain_break{id, kind, std::move(message)};
}

const std::optional<chain_break>& chain_checker::add(const stored_row& row) {
  if (failure_) return failure_;
  const std::string n = std::to_string(row.id);
  if (row.id != next_id_) {
    if (row.id > next_id_)
      fail(next_id_, break_kind::gap,
           "row " + std::to_string(next_id_) + " is missing: the ids jump from " +
               std::to_string(next_id_ - 1) + " to " + n);
    else
      fail(row.id, break_kind::gap,
           "row " + n + " appears out of order after row " + std::to_string(next_id_ - 1));
    return failure_;
  }
  // The content first, against the row's own prev_hash: a changed row is
  // named itself, not the row after it.
  if (chain_hash(row.prev_hash, row.id, row.event) != row.row_hash) {
    fail(row.id, break_kind::hash_mismatch,
         "row " + n + " does not match its row_hash: its content was changed");
    return failure_;
  }
  if (row.prev_hash != previous_) {
    fail(row.id, break_kind::prev_hash_mismatch,
         "row " + n + " does not link to row " + std::to_string(row.id - 1) +
             ": its prev_hash differs from that row's hash (a row before it was rewritten or "
             "replaced)");
    return failure_;
  }
  // A consistent chain can still have been recomputed after a change; the
  // Merkle tree (whose heads are signed) remembers the original row.
  if (row.tree_leaf) {
    ++leaves_;
    if (merkle::leaf_hash(canonical_bytes(row.id, row.event)) != *row.tree_leaf) {
      fail(row.id, break_kind::leaf_mismatch,
           "row " + n + " differs from leaf " + std::to_string(row.id - 1) +
               " of the Merkle tree: it was rewritten after it was added to the signed tree");
      return failure_;
    }
  }
  previous_ = row.row_hash;
  ++next_id_;
  ++rows_;
  return failure_;
}

const std::optional<chain_break>& chain_checker::finish(std::uint64_t last_id,
                                                        const std::optional<digest>& head_hash) {
  if (failure_) return failure_;
  if (next_id_ <= last_id) {
    fail(next_id_, break_kind::missing_tail,
         "rows " + std::to_string(next_id_) + " to " + std::to_string(last_id) +
             " are missing: the table ends before the chain's recorded head");
  } else if (head_hash && next_id_ == last_id + 1 && *head_hash != previous_) {
    fail(last_id, break_kind::head_mismatch,
         "row " + std::to_string(last_id) + " does not hash to the chain's recorded head");
  }
  return failure_;
}

}  // namespace liaison::audit
