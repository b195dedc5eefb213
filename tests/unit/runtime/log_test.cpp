// Log lines: one event is one line, and a JSON line is valid JSON whatever
// the message holds (quotes, newlines, bytes that are not UTF-8).
#include "runtime/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <nlohmann/json.hpp>

namespace liaison::runtime {
namespace {

std::string format_json(const std::string& payload) {
  auto f = make_json_formatter();
  spdlog::details::log_msg msg("liaisond", spdlog::level::warn, payload);
  spdlog::memory_buf_t out;
  f->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(LogTest, APlainMessageIsEscapedIntoOneJsonLine) {
  const auto line = format_json("cannot load \"x.pem\":\nno such file \xff");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_NE(j["message"].get<std::string>().find("\"x.pem\":\nno such file"), std::string::npos);
  EXPECT_TRUE(j.contains("time"));
  EXPECT_TRUE(j.contains("thread"));
  EXPECT_FALSE(j.contains("event"));
}

TEST(LogTest, AnEventCarriesItsNameAndFieldsAsJsonValues) {
  log_event e(log_level::warn, "auth.failures");
  e.with("address", "10.0.0.7").with("count", std::uint64_t{12}).with("port", "native");
  e.with("error", "bad \"quote\"\n");
  auto j = nlohmann::json::parse(format_json(e.json_payload("12 failed authentications")));
  EXPECT_EQ(j["event"], "auth.failures");
  EXPECT_EQ(j["message"], "12 failed authentications");
  EXPECT_EQ(j["address"], "10.0.0.7");
  EXPECT_EQ(j["count"], 12);
  EXPECT_EQ(j["port"], "native");
  EXPECT_EQ(j["error"], "bad \"quote\"\n");
}

TEST(LogTest, TextLinesNameTheFieldsAfterTheMessage) {
  log_event e(log_level::info, "server.listening");
  e.with("address", "127.0.0.1:7443").with("port", "native");
  EXPECT_EQ(e.text_line("listening"), "listening (address=\"127.0.0.1:7443\", port=\"native\")");
  EXPECT_EQ(log_event(log_level::info, "x").text_line("plain"), "plain");
}

}  // namespace
}  // namespace liaison::runtime
