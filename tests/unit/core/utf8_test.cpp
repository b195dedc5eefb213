#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace liaison::core {
namespace {

using namespace std::string_literals;

TEST(Utf8Test, WellFormedTextIsKept) {
  for (std::string s : {""s, "plain ASCII"s, "Nickelsdorf \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"s,
                        "\x00 NUL is well-formed"s, "\xf4\x8f\xbf\xbf"s /* U+10FFFF */}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(to_valid_utf8(s), s);
  }
}

TEST(Utf8Test, IllFormedBytesBecomeReplacementCharacters) {
  const std::string fffd = "\xef\xbf\xbd";
  // A stray continuation byte, a lone lead byte, an invalid byte.
  EXPECT_EQ(to_valid_utf8("a\x80z"), "a" + fffd + "z");
  EXPECT_EQ(to_valid_utf8("a\xc3"), "a" + fffd);
  EXPECT_EQ(to_valid_utf8("\xff"), fffd);
  // A character cut in two by a byte-count truncation: one U+FFFD.
  EXPECT_EQ(to_valid_utf8("ok\xe2\x82"), "ok" + fffd);
  // Overlong forms, surrogates and code points above U+10FFFF are refused.
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
  EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf")));
}

}  // namespace
}  // namespace liaison::core
