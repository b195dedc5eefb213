// The Merkle tree against RFC 9162, checked by a second implementation
// written here from the RFC's definitions (the recursive MTH and proof
// structure of sections 2.1.1 to 2.1.4), not from the server's code: every
// inclusion proof of every tree up to 256 leaves and every consistency proof
// between trees up to 200 leaves must verify with both, and tampered proofs
// with neither.
#include "audit/merkle.hpp"

#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

namespace liaison::audit::merkle {
namespace {

// --- The independent implementation -----------------------------------------

digest h(std::string_view bytes) {
  return crypto::sha256(bytes);
}
std::string raw(const digest& d) {
  return std::string(crypto::as_bytes(d));
}
digest ref_leaf(const std::string& data) {
  return h(std::string(1, '\0') + data);
}
digest ref_node(const digest& l, const digest& r) {
  return h(std::string(1, '\1') + raw(l) + raw(r));
}

std::size_t ref_split(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]) of section 2.1.1, straight from the definition.
digest ref_root(const std::vector<digest>& d, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return h("");
  if (n == 1) return d[begin];
  const std::size_t k = ref_split(n);
  return ref_node(ref_root(d, begin, begin + k), ref_root(d, begin + k, end));
}

// Rebuilds the root from an inclusion path by following the recursion of
// PATH(m, D[n]): the last element of the path is the sibling at the top.
std::optional<digest> ref_root_from_path(std::size_t m, std::size_t n, const digest& leaf,
                                         const std::vector<digest>& path, std::ptrdiff_t& pos) {
  if (n == 1) return leaf;
  if (pos < 0) return std::nullopt;
  const digest sibling = path[static_cast<std::size_t>(pos--)];
  const std::size_t k = ref_split(n);
  if (m < k) {
    auto left = ref_root_from_path(m, k, leaf, path, pos);
    return left ? std::optional(ref_node(*left, sibling)) : std::nullopt;
  }
  auto right = ref_root_from_path(m - k, n - k, leaf, path, pos);
  return right ? std::optional(ref_node(sibling, *right)) : std::nullopt;
}

bool ref_verify_inclusion(std::size_t m, std::size_t n, const digest& leaf,
                          const std::vector<digest>& path, const digest& root) {
  if (m >= n) return false;
  auto pos = static_cast<std::ptrdiff_t>(path.size()) - 1;
  auto r = ref_root_from_path(m, n, leaf, path, pos);
  return r && pos == -1 && *r == root;
}

// Rebuilds (old root, new root) from a consistency proof by following
// SUBPROOF(m, D[n], b) of section 2.1.4.1.
std::optional<std::pair<digest, digest>> ref_roots(std::size_t m, std::size_t n, bool whole,
                                                   const digest& first_root,
                                                   const std::vector<digest>& proof,
                                                   std::ptrdiff_t& pos) {
  if (m == n) {
    if (whole) return std::pair{first_root, first_root};
    if (pos < 0) return std::nullopt;
    const digest node = proof[static_cast<std::size_t>(pos--)];
    return std::pair{node, node};
  }
  if (pos < 0) return std::nullopt;
  const digest sibling = proof[static_cast<std::size_t>(pos--)];
  const std::size_t k = ref_split(n);
  if (m <= k) {
    auto inner = ref_roots(m, k, whole, first_root, proof, pos);
    if (!inner) return std::nullopt;
    return std::pair{inner->first, ref_node(inner->second, sibling)};
  }
  auto inner = ref_roots(m - k, n - k, false, first_root, proof, pos);
  if (!inner) return std::nullopt;
  return std::pair{ref_node(sibling, inner->first), ref_node(sibling, inner->second)};
}

bool ref_verify_consistency(std::size_t m, std::size_t n, const digest& first_root,
                            const digest& second_root, const std::vector<digest>& proof) {
  if (m == 0 || m > n) return false;
  if (m == n) return proof.empty() && first_root == second_root;
  auto pos = static_cast<std::ptrdiff_t>(proof.size()) - 1;
  auto roots = ref_roots(m, n, true, first_root, proof, pos);
  return roots && pos == -1 && roots->first == first_root && roots->second == second_root;
}

// --- Fixtures ----------------------------------------------------------------

std::vector<digest> leaves(std::size_t n) {
  std::vector<digest> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(ref_leaf("audit row " + std::to_string(i + 1)));
  return out;
}

// Every perfect subtree of the leaves, as the store keeps them.
std::map<node_id, digest> perfect_nodes(const std::vector<digest>& d) {
  std::map<node_id, digest> out;
  for (std::uint8_t level = 0; (std::size_t{1} << level) <= d.size(); ++level) {
    const std::size_t width = std::size_t{1} << level;
    for (std::size_t i = 0; (i + 1) * width <= d.size(); ++i)
      out[{level, i}] = ref_root(d, i * width, (i + 1) * width);
  }
  return out;
}

node_lookup lookup_in(const std::map<node_id, digest>& nodes, std::size_t tree_size) {
  return [&nodes, tree_size](node_id id) {
    // A proof for a tree must never need a node beyond it.
    EXPECT_LE((id.index + 1) << id.level, tree_size) << int(id.level) << "/" << id.index;
    return nodes.at(id);
  };
}

digest flipped(digest d) {
  d[7] ^= 0x40;
  return d;
}

// --- Tests -------------------------------------------------------------------

TEST(MerkleTest, HashesUseTheRfcPrefixes) {
  EXPECT_EQ(core::to_hex(crypto::as_bytes(empty_root())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(core::to_hex(crypto::as_bytes(leaf_hash(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(leaf_hash("abc"), ref_leaf("abc"));
  auto a = ref_leaf("a"), b = ref_leaf("b");
  EXPECT_EQ(node_hash(a, b), ref_node(a, b));
  EXPECT_NE(node_hash(a, b), node_hash(b, a));
}

TEST(MerkleTest, RootsAgreeWithTheDefinitionForEverySize) {
  const auto d = leaves(300);
  appender grow;
  EXPECT_EQ(grow.root(), h(""));
  for (std::size_t n = 1; n <= d.size(); ++n) {
    grow.append(d[n - 1]);
    const digest want = ref_root(d, 0, n);
    ASSERT_EQ(root_of(std::span(d).first(n)), want) << n;
    ASSERT_EQ(grow.root(), want) << n;
    // A tree continued from its frontier grows into the same tree.
    appender resumed(n, grow.frontier());
    EXPECT_EQ(resumed.root(), want) << n;
  }
}

TEST(MerkleTest, AppenderEmitsEveryPerfectSubtreeOnce) {
  const auto d = leaves(130);
  const auto want = perfect_nodes(d);
  std::map<node_id, digest> made;
  appender grow;
  for (const auto& leaf : d)
    for (const auto& [id, hash] : grow.append(leaf)) EXPECT_TRUE(made.emplace(id, hash).second);
  EXPECT_EQ(made, want);
  // The frontier of 130 = 128 + 2 leaves.
  EXPECT_EQ(frontier_of(130), (std::vector<node_id>{{7, 0}, {1, 64}}));
  std::vector<digest> frontier{want.at({7, 0}), want.at({1, 64})};
  EXPECT_EQ(root_from_frontier(frontier), ref_root(d, 0, 130));
}

TEST(MerkleTest, EveryInclusionProofUpTo256LeavesVerifies) {
  const auto d = leaves(256);
  const auto nodes = perfect_nodes(d);
  for (std::size_t n = 1; n <= d.size(); ++n) {
    const digest root = ref_root(d, 0, n);
    for (std::size_t m = 0; m < n; ++m) {
      auto proof = inclusion_proof(m, n, lookup_in(nodes, n));
      ASSERT_TRUE(ref_verify_inclusion(m, n, d[m], proof, root)) << m << " of " << n;
      ASSERT_TRUE(verify_inclusion(m, n, d[m], proof, root)) << m << " of " << n;
      // The nodes announced beforehand are exactly those used.
      std::map<node_id, digest> only;
      for (auto id : inclusion_nodes(m, n)) only[id] = nodes.at(id);
      ASSERT_EQ(inclusion_proof(m, n, [&](node_id id) { return only.at(id); }), proof);
      // Another leaf, another index, another root, a changed path: refused.
      EXPECT_FALSE(verify_inclusion(m, n, flipped(d[m]), proof, root));
      EXPECT_FALSE(verify_inclusion(m, n, d[m], proof, flipped(root)));
      if (n > 1) {
        EXPECT_FALSE(verify_inclusion((m + 1) % n, n, d[m], proof, root));
        auto bad = proof;
        bad[m % bad.size()] = flipped(bad[m % bad.size()]);
        EXPECT_FALSE(verify_inclusion(m, n, d[m], bad, root));
        EXPECT_FALSE(ref_verify_inclusion(m, n, d[m], bad, root));
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(verify_inclusion(m, n, d[m], bad, root));
      }
    }
    EXPECT_FALSE(verify_inclusion(n, n, d[0], {}, root));
  }
}

TEST(MerkleTest, EveryConsistencyProofUpTo200LeavesVerifies) {
  const auto d = leaves(200);
  const auto nodes = perfect_nodes(d);
  std::vector<digest> roots{h("")};
  for (std::size_t n = 1; n <= d.size(); ++n) roots.push_back(ref_root(d, 0, n));
  for (std::size_t n = 1; n <= d.size(); ++n) {
    for (std::size_t m = 1; m <= n; ++m) {
      auto proof = consistency_proof(m, n, lookup_in(nodes, n));
      ASSERT_TRUE(ref_verify_consistency(m, n, roots[m], roots[n], proof)) << m << " -> " << n;
      ASSERT_TRUE(verify_consistency(m, n, roots[m], roots[n], proof)) << m << " -> " << n;
      std::map<node_id, digest> only;
      for (auto id : consistency_nodes(m, n)) only[id] = nodes.at(id);
      ASSERT_EQ(consistency_proof(m, n, [&](node_id id) { return only.at(id); }), proof);
      if (m == n) {
        EXPECT_TRUE(proof.empty());
        EXPECT_FALSE(verify_consistency(m, n, roots[m], flipped(roots[n]), proof));
        continue;
      }
      // A rewritten old tree or new tree, or a changed proof: refused.
      EXPECT_FALSE(verify_consistency(m, n, flipped(roots[m]), roots[n], proof));
      EXPECT_FALSE(verify_consistency(m, n, roots[m], flipped(roots[n]), proof));
      auto bad = proof;
      bad[m % bad.size()] = flipped(bad[m % bad.size()]);
      EXPECT_FALSE(verify_consistency(m, n, roots[m], roots[n], bad));
      EXPECT_FALSE(ref_verify_consistency(m, n, roots[m], roots[n], bad));
      EXPECT_FALSE(verify_consistency(m, n, roots[m], roots[n], {}));
    }
  }
  EXPECT_FALSE(verify_consistency(0, 5, roots[0], roots[5], {}));
  EXPECT_FALSE(verify_consistency(6, 5, roots[6], roots[5], {}));
}

TEST(MerkleTest, ATreeWithARewrittenLeafIsNotConsistentWithItsPast) {
  auto d = leaves(100);
  const digest old_root = ref_root(d, 0, 60);
  d[41] = ref_leaf("rewritten");
  const auto nodes = perfect_nodes(d);
  auto proof = consistency_proof(60, 100, lookup_in(nodes, 100));
  EXPECT_FALSE(verify_consistency(60, 100, old_root, ref_root(d, 0, 100), proof));
}

}  // namespace
}  // namespace liaison::audit::merkle
