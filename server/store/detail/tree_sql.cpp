#include "store/detail/tree_sql.hpp"

#include "audit/chain_check.hpp"
#include "store/detail/history_sql.hpp"
#include "store/detail/sql_codec.hpp"

#include <algorithm>

namespace liaison::store::detail {
namespace {

using audit::merkle::node_id;

std::uint64_t current_tree_size(pqxx::transaction_base& tx) {
  return seq_from(tx.exec1("SELECT tree_size FROM audit_tree_state")[0]);
}

core::error beyond(std::uint64_t asked, std::uint64_t size) {
  return core::make_error(core::errc::invalid_argument,
                          "tree size " + std::to_string(asked) + " is beyond the tree, which has " +
                              std::to_string(size) +
                              " entries; use the size of a signed tree head");
}

// A lookup for the proof builders; a node the table lacks (which a proof
// within the tree never needs unless rows were removed) is an internal error.
audit::merkle::node_lookup lookup_in(const std::map<node_id, audit::digest>& nodes) {
  return [&nodes](node_id id) {
    auto it = nodes.find(id);
    if (it == nodes.end())
      throw std::runtime_error("audit_tree_nodes lacks node " + std::to_string(id.level) + "/" +
                               std::to_string(id.index));
    return it->second;
  };
}

}  // namespace

std::map<node_id, audit::digest> read_nodes(pqxx::transaction_base& tx,
                                            const std::vector<node_id>& nodes) {
  std::map<node_id, audit::digest> out;
  if (nodes.empty()) return out;
  sql_array levels(nodes.size() * 3), indexes(nodes.size() * 12);
  for (const auto& n : nodes) {
    levels.add(std::uint64_t{n.level});
    indexes.add(n.index);
  }
  auto rows = tx.exec_params(
      "SELECT n.level, n.idx, n.hash FROM audit_tree_nodes n "
      "JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = "
      "k.idx",
      levels.take(), indexes.take());
  for (const auto& row : rows)
    out.emplace(node_id{static_cast<std::uint8_t>(row[0].as<int>()), seq_from(row[1])},
                digest_from(row[2]));
  return out;
}

stored_tree_head decode_tree_head(const pqxx::row& row) {
  stored_tree_head h;
  h.id = seq_from(row[0]);
  h.head.head.tree_size = seq_from(row[1]);
  h.head.head.timestamp_ms = row[2].as<std::int64_t>();
  h.head.head.root_hash = digest_from(row[3]);
  h.head.signature = bytea_from(row[4]);
  h.head.key_id = row[5].c_str();
  return h;
}

chain_report verify_chain(pqxx::connection& c, std::uint64_t from,
                          std::optional<std::uint64_t> to) {
  constexpr std::size_t batch = 1000;
  snapshot tx(c);
  chain_report report;
  auto head = tx.exec1("SELECT last_id, last_hash FROM audit_head");
  report.head_id = seq_from(head[0]);
  report.head_hash = digest_from(head[1]);
  report.tree_size = current_tree_size(tx);
  report.from = from;
  report.to = std::min(to.value_or(report.head_id), report.head_id);  // nothing is beyond the head
  // The range hangs off the stored hash of the row before it.
  std::optional<audit::digest> anchor = audit::genesis_hash;
  if (from > 1) {
    auto row = tx.exec_params("SELECT row_hash FROM audit_log WHERE id = $1", from - 1);
    anchor = row.empty() ? std::nullopt : std::optional(digest_from(row[0][0]));
  }
  if (!anchor) {
    report.failure = audit::chain_break{
        from - 1, audit::break_kind::gap,
        "row " + std::to_string(from - 1) + ", which the range starts after, is missing"};
    return report;
  }
  audit::chain_checker checker(from, *anchor);
  std::uint64_t after = from - 1;
  while (after < report.to && !checker.failure()) {
    auto rows =
        tx.exec_params("SELECT " + std::string(audit_row_columns) +
                           ", t.hash FROM audit_log l LEFT JOIN audit_tree_nodes t ON "
                           "t.level = 0 AND t.idx = l.id - 1 WHERE l.id > $1 AND l.id <= $2 "
                           "ORDER BY l.id LIMIT $3",
                       after, report.to, batch);
    for (const auto& row : rows) {
      auto r = decode_audit_row(row);
      const auto leaf = row[static_cast<pqxx::row::size_type>(audit_row_column_count)];
      if (!leaf.is_null()) r.tree_leaf = digest_from(leaf);
      if (checker.add(r)) break;
    }
    if (rows.size() < batch) break;
    after = seq_from(rows[rows.size() - 1][0]);
  }
  checker.finish(report.to,
                 report.to == report.head_id ? std::optional(report.head_hash) : std::nullopt);
  report.failure = checker.failure();
  report.rows_checked = checker.rows_checked();
  report.leaves_checked = checker.leaves_checked();
  report.last_hash = checker.head_hash();
  return report;
}

tree_heads_page read_tree_heads(pqxx::connection& c, std::uint64_t after_id, std::size_t limit) {
  snapshot tx(c);
  tree_heads_page page;
  page.tree_size = current_tree_size(tx);
  auto latest = tx.exec("SELECT " + std::string(tree_head_columns) +
                        " FROM tree_heads ORDER BY id DESC LIMIT 1");
  if (!latest.empty()) page.latest = decode_tree_head(latest[0]);
  auto rows = tx.exec_params("SELECT " + std::string(tree_head_columns) +
                                 " FROM tree_heads WHERE id > $1 ORDER BY id LIMIT $2",
                             after_id, limit);
  for (const auto& row : rows) page.heads.push_back(decode_tree_head(row));
  return page;
}

core::result<inclusion_answer> read_inclusion(pqxx::connection& c, std::uint64_t index,
                                              std::uint64_t tree_size) {
  snapshot tx(c);
  const auto size = current_tree_size(tx);
  if (tree_size > size) return beyond(tree_size, size);
  auto wanted = audit::merkle::inclusion_nodes(index, tree_size);
  wanted.push_back(node_id{0, index});
  const auto nodes = read_nodes(tx, wanted);
  inclusion_answer a;
  a.index = index;
  a.tree_size = tree_size;
  a.path = audit::merkle::inclusion_proof(index, tree_size, lookup_in(nodes));
  a.leaf_hash = lookup_in(nodes)(node_id{0, index});
  auto row = tx.exec_params(
      "SELECT " + std::string(audit_row_columns) + " FROM audit_log l WHERE l.id = $1", index + 1);
  if (!row.empty()) a.entry = decode_audit_row(row[0]);
  return a;
}

core::result<consistency_answer> read_consistency(pqxx::connection& c, std::uint64_t first,
                                                  std::uint64_t second) {
  snapshot tx(c);
  const auto size = current_tree_size(tx);
  if (second > size) return beyond(second, size);
  const auto nodes = read_nodes(tx, audit::merkle::consistency_nodes(first, second));
  return consistency_answer{first, second,
                            audit::merkle::consistency_proof(first, second, lookup_in(nodes))};
}

}  // namespace liaison::store::detail
