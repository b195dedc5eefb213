// What the client library makes by itself: alert ids.
#include "client/alert_builder.hpp"
#include "core/alert_rules.hpp"

#include <gtest/gtest.h>

#include <set>

namespace liaison::client {
namespace {

TEST(AlertBuilderTest, NewIdsAreCanonicalVersion4UuidsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_uuid();
    ASSERT_TRUE(core::is_canonical_uuid(id)) << id;  // what the server accepts
    EXPECT_EQ(id[14], '4') << id;                    // version 4 (random)
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // RFC 4122 variant
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace liaison::client
