// The Merkle tree kept by the tree signer against a real PostgreSQL: every
// audit row becomes a leaf recomputed here from the stored row, heads are
// signed every N rows and after the interval, proofs served by the store
// verify, and tampering as the database superuser is named by verification
// and stops the tree from growing over a broken chain.
#include "store/tree_signer.hpp"
#include "audit/chain_check.hpp"
#include "audit/merkle.hpp"
#include "audit/tree_head.hpp"
#include "core/hex.hpp"
#include "integration/store/store_fixture.hpp"
#include "store/audit_store.hpp"

namespace liaison::testing {
namespace {

namespace merkle = audit::merkle;

class TreeSignerTest : public store_test {
 protected:
  config::audit_section options() {
    config::audit_section a;
    a.tree_head_every_entries = 10;
    a.tree_head_interval = std::chrono::seconds(1);
    a.query_threads = 1;
    return a;
  }

  std::unique_ptr<store::tree_signer> start_signer() {
    auto s = std::make_unique<store::tree_signer>(db_->section(), options(), key_, clock_.fn());
    s->start();
    return s;
  }

  std::unique_ptr<store::audit_store> start_store() {
    auto s = std::make_unique<store::audit_store>(db_->section(), options());
    s->start();
    return s;
  }

  void write_rows(store::writer& w, int n) {
    const auto before = w.stats().audit_rows;
    for (int i = 0; i < n; ++i) {
      core::audit_event e{clock_.now(),
                          "AT.desk",
                          "AT",
                          "consumer.subscribe",
                          "main-" + std::to_string(i),
                          "ok",
                          R"({"member":"AT"})"};
      ASSERT_TRUE(w.audit(std::move(e)));
      clock_.advance(std::chrono::microseconds(7));
    }
    wait_until([&] { return w.stats().audit_rows == before + n; }, "the audit rows are written");
  }

  // Leaf hashes recomputed from the stored rows, as an outside verifier would.
  std::vector<audit::digest> leaves() {
    pqxx::connection c(db_->admin_url());
    pqxx::nontransaction tx(c);
    std::vector<audit::digest> out;
    for (const auto& row :
         tx.exec("SELECT id, (extract(epoch from at) * 1000000)::bigint, actor, actor_member, "
                 "action, subject, outcome, detail FROM audit_log ORDER BY id")) {
      core::audit_event e{core::time_point{core::duration{row[1].as<long long>()}},
                          row[2].c_str(),
                          row[3].c_str(),
                          row[4].c_str(),
                          row[5].c_str(),
                          row[6].c_str(),
                          row[7].c_str()};
      out.push_back(merkle::leaf_hash(audit::canonical_bytes(row[0].as<std::uint64_t>(), e)));
    }
    return out;
  }

  void as_superuser(const std::string& sql) {
    pqxx::connection c(db_->admin_url());
    pqxx::work tx(c);
    // Bypasses the append-only triggers, as an attacker with superuser rights could.
    tx.exec("SET LOCAL session_replication_role = replica");
    tx.exec(sql);
    tx.commit();
  }

  std::optional<audit::chain_break> verify_all(store::audit_store& s) {
    auto report = call_within<core::result<store::chain_report>>(
        [&](auto done) { s.verify_chain(1, std::nullopt, done); }, "the chain");
    EXPECT_TRUE(report.has_value());
    return report->failure;
  }

  crypto::ed25519_private_key key_ = crypto::ed25519_private_key::generate();
};

TEST_F(TreeSignerTest, HeadsAreSignedEveryNRowsAndAfterTheInterval) {
  auto writer = start_writer();
  write_rows(*writer, 57);
  auto signer = start_signer();

  // Every row is in the tree; heads at 10, 20, ..., 50 straight away.
  wait_until([&] { return signer->status().tree_size == 57 && signer->status().signed_size == 50; },
             "the tree covers every row");
  // The remaining 7 rows get a head once the interval has passed.
  clock_.advance(std::chrono::seconds(2));
  signer->wake();
  wait_until([&] { return signer->status().signed_size == 57; }, "a head after the interval");

  auto store = start_store();
  auto page = call_within<core::result<store::tree_heads_page>>(
      [&](auto done) { store->tree_heads(0, 100, done); }, "the tree heads");
  ASSERT_TRUE(page.has_value());
  std::vector<std::uint64_t> sizes;
  const auto all = leaves();
  for (const auto& h : page->heads) {
    sizes.push_back(h.head.head.tree_size);
    EXPECT_TRUE(audit::verify_tree_head(key_.public_key(), h.head.head, h.head.signature));
    EXPECT_EQ(h.head.key_id, audit::key_id_of(key_.public_key()));
    EXPECT_EQ(h.head.head.root_hash, merkle::root_of(std::span(all).first(h.head.head.tree_size)));
  }
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{10, 20, 30, 40, 50, 57}));
  ASSERT_TRUE(page->latest);
  EXPECT_EQ(page->latest->head.head.tree_size, 57u);
}

TEST_F(TreeSignerTest, StoredProofsVerifyAgainstRootsRecomputedFromTheRows) {
  auto writer = start_writer();
  write_rows(*writer, 70);
  auto signer = start_signer();
  wait_until([&] { return signer->status().tree_size == 70; }, "the tree covers every row");
  auto store = start_store();
  const auto all = leaves();
  for (std::uint64_t n : {1, 2, 3, 7, 8, 9, 31, 64, 65, 70}) {
    const auto root = merkle::root_of(std::span(all).first(n));
    for (std::uint64_t i = 0; i < n; i += (n > 10 ? 3 : 1)) {
      auto a = call_within<core::result<store::inclusion_answer>>(
          [&](auto done) { store->inclusion(i, n, done); }, "an inclusion proof");
      ASSERT_TRUE(a.has_value());
      EXPECT_EQ(a->leaf_hash, all[i]);
      ASSERT_TRUE(a->entry);
      EXPECT_EQ(a->entry->id, i + 1);
      EXPECT_TRUE(merkle::verify_inclusion(i, n, all[i], a->path, root)) << i << " of " << n;
    }
    for (std::uint64_t m : {std::uint64_t{1}, n / 2 + 1, n}) {
      auto c = call_within<core::result<store::consistency_answer>>(
          [&](auto done) { store->consistency(m, n, done); }, "a consistency proof");
      ASSERT_TRUE(c.has_value());
      EXPECT_TRUE(
          merkle::verify_consistency(m, n, merkle::root_of(std::span(all).first(m)), root, c->path))
          << m << " -> " << n;
    }
  }
  // Beyond the tree: refused, not guessed.
  auto beyond = call_within<core::result<store::consistency_answer>>(
      [&](auto done) { store->consistency(5, 71, done); }, "a refusal");
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().code, core::errc::invalid_argument);
}

TEST_F(TreeSignerTest, VerificationNamesChangedAndDeletedRows) {
  auto writer = start_writer();
  write_rows(*writer, 30);
  auto signer = start_signer();
  wait_until([&] { return signer->status().tree_size == 30; }, "the tree covers every row");
  signer->stop();
  auto store = start_store();
  EXPECT_FALSE(verify_all(*store));

  // One row's content changed: that row is named.
  as_superuser("UPDATE audit_log SET detail = '{\"member\":\"XX\"}' WHERE id = 12");
  auto changed = verify_all(*store);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->id, 12u);
  EXPECT_EQ(changed->kind, audit::break_kind::hash_mismatch);

  // A forger who also recomputes row 12's hash and every later link is
  // caught by the tree, whose leaves were made before the change.
  {
    pqxx::connection c(db_->admin_url());
    pqxx::nontransaction tx(c);
    auto rows = tx.exec(
        "SELECT id, (extract(epoch from at) * 1000000)::bigint, actor, actor_member, action, "
        "subject, outcome, detail, prev_hash FROM audit_log WHERE id >= 12 ORDER BY id");
    audit::digest previous{};
    auto first_prev = pqxx::binarystring(rows[0][8]).str();
    std::copy(first_prev.begin(), first_prev.end(), previous.begin());
    for (const auto& row : rows) {
      core::audit_event e{core::time_point{core::duration{row[1].as<long long>()}},
                          row[2].c_str(),
                          row[3].c_str(),
                          row[4].c_str(),
                          row[5].c_str(),
                          row[6].c_str(),
                          row[7].c_str()};
      const auto id = row[0].as<std::uint64_t>();
      const auto hash = audit::chain_hash(previous, id, e);
      as_superuser("UPDATE audit_log SET prev_hash = '\\x" +
                   core::to_hex(crypto::as_bytes(previous)) + "', row_hash = '\\x" +
                   core::to_hex(crypto::as_bytes(hash)) + "' WHERE id = " + std::to_string(id));
      previous = hash;
    }
    as_superuser("UPDATE audit_head SET last_hash = '\\x" +
                 core::to_hex(crypto::as_bytes(previous)) + "'");
  }
  auto rewritten = verify_all(*store);
  ASSERT_TRUE(rewritten);
  EXPECT_EQ(rewritten->id, 12u);
  EXPECT_EQ(rewritten->kind, audit::break_kind::leaf_mismatch);

  // A deleted row is a gap.
  as_superuser("DELETE FROM audit_log WHERE id = 20");
  auto deleted = verify_all(*store);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->id, 12u);  // the first break still comes first
}

TEST_F(TreeSignerTest, ADeletedRowIsAGapAndABrokenChainStopsTheTree) {
  auto writer = start_writer();
  write_rows(*writer, 20);
  auto store = start_store();
  as_superuser("DELETE FROM audit_log WHERE id = 15");
  auto gap = verify_all(*store);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->id, 15u);
  EXPECT_EQ(gap->kind, audit::break_kind::gap);

  // The signer puts rows 1..14 into the tree and refuses to go past the gap.
  auto signer = start_signer();
  wait_until([&] { return signer->status().broken.has_value(); }, "the signer notices the gap");
  EXPECT_EQ(signer->status().tree_size, 14u);
  EXPECT_EQ(signer->status().broken->id, 15u);
}

}  // namespace
}  // namespace liaison::testing
