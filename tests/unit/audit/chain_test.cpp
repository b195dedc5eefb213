#include "audit/chain.hpp"

#include <gtest/gtest.h>

namespace liaison::audit {
namespace {

core::audit_event event(std::string action, std::string subject) {
  core::audit_event e;
  e.at = core::time_point{} + std::chrono::microseconds(1'700'000'000'000'000);
  e.actor = "AT.desk";
  e.actor_member = "AT";
  e.action = std::move(action);
  e.subject = std::move(subject);
  e.outcome = "ok";
  e.detail = R"({"seq":1})";
  return e;
}

TEST(AuditChainTest, EachRowHashesItsPredecessor) {
  chain_builder chain(0, genesis_hash);
  auto first = chain.append(event("alert.publish", "a"));
  auto second = chain.append(event("alert.publish", "b"));
  EXPECT_EQ(first.id, 1u);
  EXPECT_EQ(second.id, 2u);
  EXPECT_EQ(first.previous, genesis_hash);
  EXPECT_EQ(second.previous, first.hash);
  EXPECT_EQ(second.hash, chain_hash(first.hash, 2, second.event));
  EXPECT_EQ(chain.head_id(), 2u);
  EXPECT_EQ(chain.head_hash(), second.hash);
}

TEST(AuditChainTest, AnyFieldChangeChangesTheHash) {
  auto base = event("alert.publish", "a");
  auto h = chain_hash(genesis_hash, 1, base);
  auto changed = base;
  changed.detail = R"({"seq":2})";
  EXPECT_NE(chain_hash(genesis_hash, 1, changed), h);
  changed = base;
  changed.at += std::chrono::microseconds(1);
  EXPECT_NE(chain_hash(genesis_hash, 1, changed), h);
  EXPECT_NE(chain_hash(genesis_hash, 2, base), h);
}

TEST(AuditChainTest, LengthPrefixesPreventFieldShifting) {
  // "ab" + "c" and "a" + "bc" must not encode the same.
  auto x = event("ab", "c");
  auto y = event("a", "bc");
  EXPECT_NE(canonical_bytes(1, x), canonical_bytes(1, y));
}

}  // namespace
}  // namespace liaison::audit
