// Recomputing the chain over stored rows names the first row that was
// removed, changed, relinked or rewritten, and a missing tail.
#include "audit/chain_check.hpp"

#include "audit/merkle.hpp"

#include <gtest/gtest.h>

namespace liaison::audit {
namespace {

std::vector<stored_row> rows(std::size_t n, std::size_t in_tree) {
  chain_builder chain(0, genesis_hash);
  std::vector<stored_row> out;
  for (std::size_t i = 0; i < n; ++i) {
    core::audit_event e;
    e.at = core::time_point{} + std::chrono::microseconds(1'700'000'000'000'000 + i);
    e.actor = "AT.desk";
    e.actor_member = "AT";
    e.action = "alert.publish";
    e.subject = "row-" + std::to_string(i + 1);
    e.outcome = "ok";
    e.detail = "{}";
    auto c = chain.append(e);
    stored_row r{c.id, c.event, c.previous, c.hash, std::nullopt};
    if (i < in_tree) r.tree_leaf = merkle::leaf_hash(canonical_bytes(c.id, c.event));
    out.push_back(r);
  }
  return out;
}

std::optional<chain_break> check(const std::vector<stored_row>& r, std::uint64_t last_id,
                                 std::optional<digest> head = std::nullopt) {
  chain_checker checker(1, genesis_hash);
  for (const auto& row : r) checker.add(row);
  return checker.finish(last_id, head);
}

TEST(ChainCheckTest, AnIntactChainHolds) {
  auto r = rows(10, 6);
  chain_checker checker(1, genesis_hash);
  for (const auto& row : r) EXPECT_FALSE(checker.add(row));
  EXPECT_FALSE(checker.finish(10, r.back().row_hash));
  EXPECT_EQ(checker.rows_checked(), 10u);
  EXPECT_EQ(checker.leaves_checked(), 6u);
  EXPECT_EQ(checker.head_hash(), r.back().row_hash);
}

TEST(ChainCheckTest, ARangeStartsFromThePreviousRowsHash) {
  auto r = rows(10, 0);
  chain_checker checker(5, r[3].row_hash);
  for (std::size_t i = 4; i < 10; ++i) EXPECT_FALSE(checker.add(r[i]));
  EXPECT_EQ(checker.rows_checked(), 6u);
}

TEST(ChainCheckTest, AChangedRowIsNamed) {
  auto r = rows(10, 0);
  r[4].event.detail = R"({"forged":true})";
  auto b = check(r, 10);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 5u);
  EXPECT_EQ(b->kind, break_kind::hash_mismatch);
  EXPECT_NE(b->message.find("row 5"), std::string::npos) << b->message;
}

TEST(ChainCheckTest, ADeletedRowIsAGap) {
  auto r = rows(10, 0);
  r.erase(r.begin() + 6);
  auto b = check(r, 10);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 7u);
  EXPECT_EQ(b->kind, break_kind::gap);
}

TEST(ChainCheckTest, ARowWithARecomputedHashBreaksTheLinkOfTheNext) {
  auto r = rows(10, 0);
  r[4].event.subject = "forged";
  r[4].row_hash = chain_hash(r[4].prev_hash, 5, r[4].event);
  auto b = check(r, 10);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 6u);
  EXPECT_EQ(b->kind, break_kind::prev_hash_mismatch);
}

TEST(ChainCheckTest, AFullyRecomputedChainStillDiffersFromTheTree) {
  auto r = rows(10, 8);
  // The forger rewrites row 3 and recomputes every hash after it.
  r[2].event.outcome = "PERMISSION_DENIED";
  digest previous = r[1].row_hash;
  for (std::size_t i = 2; i < r.size(); ++i) {
    r[i].prev_hash = previous;
    r[i].row_hash = chain_hash(previous, r[i].id, r[i].event);
    previous = r[i].row_hash;
  }
  auto b = check(r, 10);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 3u);
  EXPECT_EQ(b->kind, break_kind::leaf_mismatch);
}

TEST(ChainCheckTest, ATruncatedTailOrAnotherHeadIsReported) {
  auto r = rows(10, 0);
  auto head = r.back().row_hash;
  r.resize(7);
  auto b = check(r, 10, head);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 8u);
  EXPECT_EQ(b->kind, break_kind::missing_tail);
  auto full = rows(10, 0);
  auto other = check(full, 10, r[0].row_hash);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->kind, break_kind::head_mismatch);
  EXPECT_EQ(to_string(break_kind::leaf_mismatch), "leaf_mismatch");
}

}  // namespace
}  // namespace liaison::audit
