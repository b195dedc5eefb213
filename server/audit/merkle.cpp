#include "audit/merkle.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

namespace liaison::audit::merkle {
namespace {

// The largest power of two smaller than n (n >= 2): RFC 9162's split point k.
std::uint64_t split(std::uint64_t n) {
  return std::bit_floor(n - 1);
}

// MTH(D[start:start+n]). Every range the RFC's recursions visit starts at a
// multiple of a power of two at least n, so the range is the right fold of
// the perfect subtrees of n's binary decomposition, which are all aligned.
digest range_hash(std::uint64_t start, std::uint64_t n, const node_lookup& nodes) {
  assert(n > 0);
  std::vector<digest> pieces;
  std::uint64_t at = start;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((n & width) == 0) continue;
    pieces.push_back(nodes(node_id{static_cast<std::uint8_t>(level), at >> level}));
    at += width;
  }
  digest r = pieces.back();
  for (auto it = pieces.rbegin() + 1; it != pieces.rend(); ++it) r = node_hash(*it, r);
  return r;
}

void path(std::uint64_t m, std::uint64_t start, std::uint64_t n, const node_lookup& nodes,
          std::vector<digest>& out) {
  if (n <= 1) return;
  const std::uint64_t k = split(n);
  if (m < k) {
    path(m, start, k, nodes, out);
    out.push_back(range_hash(start + k, n - k, nodes));
  } else {
    path(m - k, start + k, n - k, nodes, out);
    out.push_back(range_hash(start, k, nodes));
  }
}

void subproof(std::uint64_t m, std::uint64_t start, std::uint64_t n, bool whole,
              const node_lookup& nodes, std::vector<digest>& out) {
  if (m == n) {
    if (!whole) out.push_back(range_hash(start, n, nodes));
    return;
  }
  const std::uint64_t k = split(n);
  if (m <= k) {
    subproof(m, start, k, whole, nodes, out);
    out.push_back(range_hash(start + k, n - k, nodes));
  } else {
    subproof(m - k, start + k, n - k, false, nodes, out);
    out.push_back(range_hash(start, k, nodes));
  }
}

// Runs a proof builder with a lookup that only records what it is asked for.
template <class Build>
std::vector<node_id> recorded(Build build) {
  std::vector<node_id> asked;
  build([&asked](node_id id) {
    asked.push_back(id);
    return digest{};
  });
  std::sort(asked.begin(), asked.end());
  asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
  return asked;
}

bool lsb(std::uint64_t v) {
  return (v & 1) != 0;
}

}  // namespace

digest leaf_hash(std::string_view leaf_data) {
  return crypto::sha256({std::string_view("\x00", 1), leaf_data});
}

digest node_hash(const digest& left, const digest& right) {
  return crypto::sha256(
      {std::string_view("\x01", 1), crypto::as_bytes(left), crypto::as_bytes(right)});
}

digest empty_root() {
  return crypto::sha256(std::string_view());
}

digest root_of(std::span<const digest> leaves) {
  if (leaves.empty()) return empty_root();
  if (leaves.size() == 1) return leaves[0];
  const std::size_t k = split(leaves.size());
  return node_hash(root_of(leaves.first(k)), root_of(leaves.subspan(k)));
}

std::vector<node_id> frontier_of(std::uint64_t size) {
  std::vector<node_id> out;
  for (int level = 63; level >= 0; --level)
    if ((size >> level) & 1)
      out.push_back(node_id{static_cast<std::uint8_t>(level), (size >> level) - 1});
  return out;
}

digest root_from_frontier(std::span<const digest> frontier) {
  if (frontier.empty()) return empty_root();
  digest r = frontier.back();
  for (auto it = frontier.rbegin() + 1; it != frontier.rend(); ++it) r = node_hash(*it, r);
  return r;
}

std::vector<digest> inclusion_proof(std::uint64_t index, std::uint64_t size,
                                    const node_lookup& nodes) {
  assert(index < size);
  std::vector<digest> out;
  path(index, 0, size, nodes, out);
  return out;
}

std::vector<digest> consistency_proof(std::uint64_t first, std::uint64_t second,
                                      const node_lookup& nodes) {
  assert(first > 0 && first <= second);
  std::vector<digest> out;
  subproof(first, 0, second, true, nodes, out);
  return out;
}

std::vector<node_id> inclusion_nodes(std::uint64_t index, std::uint64_t size) {
  return recorded([&](const node_lookup& nodes) { inclusion_proof(index, size, nodes); });
}

std::vector<node_id> consistency_nodes(std::uint64_t first, std::uint64_t second) {
  return recorded([&](const node_lookup& nodes) { consistency_proof(first, second, nodes); });
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const digest& leaf,
                      std::span<const digest> proof, const digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  digest r = leaf;
  for (const digest& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t first, std::uint64_t second, const digest& first_root,
                        const digest& second_root, std::span<const digest> proof) {
  if (first == 0 || first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (proof.empty()) return false;
  std::vector<digest> path(proof.begin(), proof.end());
  if (std::has_single_bit(first)) path.insert(path.begin(), first_root);
  std::uint64_t fn = first - 1;
  std::uint64_t sn = second - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  digest fr = path[0];
  digest sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const digest& c = path[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

appender::appender(std::uint64_t size, std::vector<digest> frontier) : size_(size) {
  const auto ids = frontier_of(size);
  assert(ids.size() == frontier.size());
  for (std::size_t i = 0; i < ids.size() && i < frontier.size(); ++i)
    frontier_.emplace_back(ids[i], frontier[i]);
}

std::vector<std::pair<node_id, digest>> appender::append(const digest& leaf) {
  std::vector<std::pair<node_id, digest>> made;
  node_id id{0, size_};
  digest h = leaf;
  made.emplace_back(id, h);
  // Equal-sized neighbours merge, like a carry in binary addition.
  while (!frontier_.empty() && frontier_.back().first.level == id.level) {
    h = node_hash(frontier_.back().second, h);
    id = node_id{static_cast<std::uint8_t>(id.level + 1), id.index >> 1};
    frontier_.pop_back();
    made.emplace_back(id, h);
  }
  frontier_.emplace_back(id, h);
  ++size_;
  return made;
}

digest appender::root() const {
  return root_from_frontier(frontier());
}

std::vector<digest> appender::frontier() const {
  std::vector<digest> out;
  out.reserve(frontier_.size());
  for (const auto& [id, h] : frontier_) out.push_back(h);
  return out;
}

}  // namespace liaison::audit::merkle
