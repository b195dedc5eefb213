// The Merkle tree over the audit log, as Certificate Transparency defines it
// (RFC 9162 section 2.1): leaf hash SHA-256(0x00 || leaf), interior node
// SHA-256(0x01 || left || right), the tree of n leaves split at the largest
// power of two below n. Inclusion and consistency proofs are built from the
// hashes of perfect subtrees (which the store keeps) and verified with the
// RFC's algorithms. Pure: no I/O, no clock.
#pragma once

#include "crypto/sha256.hpp"

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace liaison::audit::merkle {

using crypto::digest;

digest leaf_hash(std::string_view leaf_data);
digest node_hash(const digest& left, const digest& right);
// The root of the empty tree: SHA-256 of nothing.
digest empty_root();

// A perfect subtree: the 2^level leaves starting at leaf index << level.
// Level 0 is a leaf.
struct node_id {
  std::uint8_t level = 0;
  std::uint64_t index = 0;
  friend auto operator<=>(const node_id&, const node_id&) = default;
};

// The hash of a perfect subtree, e.g. read from the store. Proof builders
// ask only for nodes that lie entirely within the tree they prove.
using node_lookup = std::function<digest(node_id)>;

// The root of the tree over `leaf_hashes` (O(n); for tests and small trees).
digest root_of(std::span<const digest> leaf_hashes);

// The perfect subtrees whose roots make up the tree of `size` leaves, from
// the leftmost (largest) to the rightmost: one per bit set in `size`.
std::vector<node_id> frontier_of(std::uint64_t size);

// The root of the tree of `size` leaves from the hashes of frontier_of(size).
digest root_from_frontier(std::span<const digest> frontier);

// RFC 9162 2.1.3.1: the inclusion path of leaf `index` in the tree of `size`
// leaves, deepest sibling first. Precondition: index < size.
std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size,
                                    const node_lookup& nodes);

// RFC 9162 2.1.4.1: the consistency proof between the trees of `first` and
// `second` leaves (empty when first == second). Precondition: 0 < first <= second.
std::vector<digest> consistency_proof(std::uint64_t first, std::uint64_t second,
                                      const node_lookup& nodes);

// The nodes the builders above will ask for, each once, sorted, so that a
// store can fetch them in one query before building the proof.
std::vector<node_id> inclusion_nodes(std::uint64_t index, std::uint64_t size);
std::vector<node_id> consistency_nodes(std::uint64_t first, std::uint64_t second);

// RFC 9162 2.1.3.2: true when `proof` shows that `leaf` is leaf `index` of the
// tree of `size` leaves whose root is `root`. False for index >= size.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const digest& leaf,
                      std::span<const digest> proof, const digest& root);

// RFC 9162 2.1.4.2: true when `proof` shows that the tree of `first` leaves
// with root `first_root` is a prefix of the tree of `second` leaves with root
// `second_root`. When first == second the proof must be empty and the roots
// equal. False for first == 0 or first > second.
bool verify_consistency(std::uint64_t first, std::uint64_t second, const digest& first_root,
                        const digest& second_root, std::span<const digest> proof);

// Grows a tree leaf by leaf, keeping only its frontier. Each append returns
// the perfect subtrees it completed (the leaf and every parent it closed), the
// nodes a store keeps to build proofs later.
class appender {
 public:
  appender() = default;
  // Continues a tree of `size` leaves; `frontier` holds the hashes of
  // frontier_of(size), in that order. Precondition: the sizes match.
  appender(std::uint64_t size, std::vector<digest> frontier);

  std::vector<std::pair<node_id, digest>> append(const digest& leaf);
  std::uint64_t size() const { return size_; }
  digest root() const;
  std::vector<digest> frontier() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<std::pair<node_id, digest>> frontier_;
};

}  // namespace liaison::audit::merkle
