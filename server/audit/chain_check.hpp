// Recomputes the audit hash chain over stored rows, fed in id order in
// batches of any size, and names the first row where it breaks and why: a
// missing row, content that no longer matches its hash, a broken link to the
// previous row, or a row that differs from the Merkle tree leaf made of it.
// Pure; the caller reads the rows.
#pragma once

#include "audit/chain.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace liaison::audit {

// One audit_log row as stored.
struct stored_row {
  std::uint64_t id = 0;
  core::audit_event event;
  digest prev_hash{};
  digest row_hash{};
  // The leaf the Merkle tree holds for this row (leaf index id - 1), when the
  // tree covers it.
  std::optional<digest> tree_leaf;
};

enum class break_kind {
  gap,                 // a row is missing: ids jump
  hash_mismatch,       // the row's content does not hash to its row_hash
  prev_hash_mismatch,  // the row does not link to the row before it
  leaf_mismatch,       // the row differs from its leaf in the Merkle tree
  missing_tail,        // the table ends before the chain's recorded head
  head_mismatch,       // the last row's hash differs from the recorded head
};
std::string_view to_string(break_kind kind);  // "gap", "hash_mismatch", ...

struct chain_break {
  std::uint64_t id = 0;  // the row named
  break_kind kind = break_kind::gap;
  std::string message;  // one sentence for people
};

class chain_checker {
 public:
  // Checks rows first_id, first_id + 1, ...; the row before first_id has the
  // hash `previous` (genesis_hash when first_id is 1).
  chain_checker(std::uint64_t first_id, const digest& previous)
      : next_id_(first_id), previous_(previous) {}

  // Checks the next row. Once a break is found, further rows are ignored.
  // Returns the break, if any so far.
  const std::optional<chain_break>& add(const stored_row& row);

  // The range must end at `last_id`, whose hash is `head_hash` when given (the
  // chain's recorded head): a missing tail or another head is a break.
  const std::optional<chain_break>& finish(std::uint64_t last_id,
                                           const std::optional<digest>& head_hash);

  const std::optional<chain_break>& failure() const { return failure_; }
  std::uint64_t rows_checked() const { return rows_; }
  std::uint64_t leaves_checked() const { return leaves_; }
  // The id the next row must have, and the hash of the last row checked.
  std::uint64_t next_id() const { return next_id_; }
  const digest& head_hash() const { return previous_; }

 private:
  void fail(std::uint64_t id, break_kind kind, std::string message);
  std::uint64_t next_id_;
  digest previous_;
  std::uint64_t rows_ = 0;
  std::uint64_t leaves_ = 0;
  std::optional<chain_break> failure_;
};

}  // namespace liaison::audit
