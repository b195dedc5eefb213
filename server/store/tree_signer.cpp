#include "store/tree_signer.hpp"

#include "audit/merkle.hpp"
#include "audit/tree_head.hpp"
#include "store/detail/db_worker.hpp"
#include "store/detail/history_sql.hpp"
#include "store/detail/sql_codec.hpp"
#include "store/detail/tree_sql.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

namespace liaison::store {
namespace {

using audit::merkle::node_id;

constexpr std::size_t rows_per_step = 1000;
constexpr auto poll = std::chrono::milliseconds(500);

std::int64_t millis(core::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

struct tree_signer::impl {
  impl(config::audit_section a, std::optional<crypto::ed25519_private_key> k, clock_fn n)
      : audit(std::move(a)), key(std::move(k)), now(std::move(n)) {}

  const config::audit_section audit;
  const std::optional<crypto::ed25519_private_key> key;
  const clock_fn now;
  std::unique_ptr<detail::db_worker> loop;
  mutable std::mutex mutex;
  tree_signer_status status;

  bool step(pqxx::connection& c);
  bool head_due(std::uint64_t size, std::uint64_t signed_size,
                std::optional<std::int64_t> signed_at, std::int64_t now_ms) const {
    const auto interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(audit.tree_head_interval).count();
    return key && size > signed_size && (!signed_at || now_ms - *signed_at >= interval);
  }
  void report(tree_signer_status s) {
    std::lock_guard lock(mutex);
    const bool news = s.broken && (!status.broken || status.broken->id != s.broken->id);
    if (news)
      spdlog::error(
          "audit tree: the hash chain breaks at audit row {} ({}): {}; the tree stops growing "
          "there "
          "until the log is repaired",
          s.broken->id, audit::to_string(s.broken->kind), s.broken->message);
    status = std::move(s);
  }
};

bool tree_signer::impl::step(pqxx::connection& c) {
  pqxx::work tx(c);
  // Cheap look first: most polls find nothing to do and take no lock.
  auto look = tx.exec1(
      "SELECT s.tree_size, h.last_id, t.tree_size, t.timestamp_ms FROM audit_tree_state s CROSS "
      "JOIN audit_head h "
      "LEFT JOIN LATERAL (SELECT tree_size, timestamp_ms FROM tree_heads ORDER BY id DESC LIMIT 1) "
      "t ON true");
  const std::int64_t now_ms = millis(now());
  {
    const auto size = detail::seq_from(look[0]);
    const auto last_id = detail::seq_from(look[1]);
    const auto signed_size = look[2].is_null() ? 0 : detail::seq_from(look[2]);
    const auto signed_at =
        look[3].is_null() ? std::nullopt : std::optional(look[3].as<std::int64_t>());
    if (last_id <= size && !head_due(size, signed_size, signed_at, now_ms)) {
      tx.commit();
      return false;
    }
  }

  auto state = tx.exec1("SELECT tree_size, last_row_hash FROM audit_tree_state FOR UPDATE");
  const std::uint64_t size = detail::seq_from(state[0]);
  auto last_head =
      tx.exec("SELECT id, tree_size, timestamp_ms FROM tree_heads ORDER BY id DESC LIMIT 1");
  std::uint64_t head_id = 0, signed_size = 0;
  std::optional<std::int64_t> signed_at;
  if (!last_head.empty()) {
    head_id = detail::seq_from(last_head[0][0]);
    signed_size = detail::seq_from(last_head[0][1]);
    signed_at = last_head[0][2].as<std::int64_t>();
  }
  std::vector<audit::digest> frontier;
  {
    const auto ids = audit::merkle::frontier_of(size);
    const auto nodes = detail::read_nodes(tx, ids);
    for (const auto& id : ids) {
      auto it = nodes.find(id);
      if (it == nodes.end())
        throw std::runtime_error("audit_tree_nodes lacks the frontier node " +
                                 std::to_string(id.level) + "/" + std::to_string(id.index) +
                                 " of a tree of " + std::to_string(size) + " leaves");
      frontier.push_back(it->second);
    }
  }
  audit::merkle::appender tree(size, std::move(frontier));
  audit::chain_checker chain(size + 1, detail::digest_from(state[1]));

  auto rows = tx.exec_params("SELECT " + std::string(detail::audit_row_columns) +
                                 " FROM audit_log l WHERE l.id > $1 ORDER BY l.id LIMIT $2",
                             size, rows_per_step);
  detail::sql_array levels, indexes, hashes;
  std::vector<audit::signed_tree_head> heads;
  auto sign = [&] {
    heads.push_back(
        audit::sign_tree_head(*key, audit::tree_head{tree.size(), now_ms, tree.root()}));
    signed_size = tree.size();
    signed_at = now_ms;
  };
  for (const auto& row : rows) {
    const auto r = detail::decode_audit_row(row);
    // Only an unbroken chain goes into the tree.
    if (chain.add(r)) break;
    for (const auto& [id, hash] :
         tree.append(audit::merkle::leaf_hash(audit::canonical_bytes(r.id, r.event)))) {
      levels.add(std::uint64_t{id.level});
      indexes.add(id.index);
      hashes.add_bytea(crypto::as_bytes(hash));
    }
    if (key && tree.size() - signed_size >= audit.tree_head_every_entries) sign();
  }
  if (head_due(tree.size(), signed_size, signed_at, now_ms)) sign();

  if (tree.size() > size) {
    tx.exec_params(
        "INSERT INTO audit_tree_nodes (level, idx, hash) "
        "SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
        levels.take(), indexes.take(), hashes.take());
    tx.exec_params("UPDATE audit_tree_state SET tree_size = $1, last_row_hash = $2::bytea",
                   tree.size(), detail::sql_bytea(crypto::as_bytes(chain.head_hash())));
  }
  if (!heads.empty()) {
    detail::sql_array ids, sizes, stamps, roots, signatures, key_ids;
    for (const auto& h : heads) {
      ids.add(++head_id);
      sizes.add(h.head.tree_size);
      stamps.add(std::to_string(h.head.timestamp_ms));
      roots.add_bytea(crypto::as_bytes(h.head.root_hash));
      signatures.add_bytea(h.signature);
      key_ids.add(h.key_id);
    }
    tx.exec_params("INSERT INTO tree_heads (" + std::string(detail::tree_head_columns) +
                       ") SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], "
                       "$4::bytea[], $5::bytea[], "
                       "$6::text[])",
                   ids.take(), sizes.take(), stamps.take(), roots.take(), signatures.take(),
                   key_ids.take());
  }
  tx.commit();
  report(tree_signer_status{tree.size(), signed_size, chain.failure()});
  return rows.size() == rows_per_step && !chain.failure();
}

tree_signer::tree_signer(config::database_section database, config::audit_section audit,
                         std::optional<crypto::ed25519_private_key> key, clock_fn now)
    : impl_(std::make_unique<impl>(std::move(audit), std::move(key), std::move(now))) {
  impl_->loop = std::make_unique<detail::db_worker>(
      std::move(database), "audit tree signer", [this](pqxx::connection& c) {
        return impl_->step(c) ? detail::db_worker::duration::zero()
                              : detail::db_worker::duration(poll);
      });
}

tree_signer::~tree_signer() {
  stop();
}

void tree_signer::start() {
  impl_->loop->start();
}
void tree_signer::stop() {
  impl_->loop->stop();
}
void tree_signer::wake() {
  impl_->loop->wake();
}

tree_signer_status tree_signer::status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

}  // namespace liaison::store
