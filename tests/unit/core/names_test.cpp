#include "core/names.hpp"

#include <gtest/gtest.h>

namespace liaison::core {
namespace {

TEST(NamesTest, RoundTripsEveryValue) {
  for (int v = 1; v <= 5; ++v) {
    auto t = static_cast<tlp>(v);
    EXPECT_EQ(parse_name<tlp>(to_string(t)), t);
  }
  for (int v = 1; v <= 9; ++v) {
    auto e = static_cast<entity_type>(v);
    EXPECT_EQ(parse_name<entity_type>(to_string(e)), e);
  }
}

TEST(NamesTest, ParsingIsLenientAboutCaseAndDashes) {
  EXPECT_EQ(parse_name<tlp>("amber-strict"), tlp::amber_strict);
  EXPECT_EQ(parse_name<priority>("Flash"), priority::flash);
  EXPECT_EQ(parse_name<role>("AUDITOR"), role::auditor);
}

TEST(NamesTest, UnknownNamesAreNullopt) {
  EXPECT_FALSE(parse_name<tlp>("PURPLE").has_value());
  EXPECT_FALSE(parse_name<priority>("").has_value());
  EXPECT_EQ(accepted_names<priority>(), "FLASH|URGENT|ROUTINE");
}

}  // namespace
}  // namespace liaison::core
