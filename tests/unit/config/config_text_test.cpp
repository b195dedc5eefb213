#include "config/members_file.hpp"
#include "config/server_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace liaison::config {
namespace {

std::string repo_file(const std::string& relative) {
  std::ifstream in(std::string(LIAISON_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text entry points (used by the fuzz targets) share the file loaders'
// code path: the same text gives the same result.
TEST(ConfigTextTest, ServerConfigTextEqualsTheFile) {
  const std::string file = std::string(LIAISON_SOURCE_DIR) + "/config/liaison.toml";
  auto from_file = load_server_config(file);
  auto from_text = parse_server_config_text(repo_file("config/liaison.toml"), file);
  EXPECT_EQ(from_text.node_id, from_file.node_id);
  EXPECT_EQ(from_text.native.listen, from_file.native.listen);
  EXPECT_EQ(from_text.tls.ca_file, from_file.tls.ca_file);  // resolved against the name's directory
  EXPECT_EQ(from_text.registry.members_file, from_file.registry.members_file);
  EXPECT_EQ(from_text.alerts.max_age, from_file.alerts.max_age);
}

TEST(ConfigTextTest, MembersTextEqualsTheFile) {
  auto from_file = read_members_file(std::string(LIAISON_SOURCE_DIR) + "/config/members.toml");
  auto from_text = parse_members_text(repo_file("config/members.toml"), "members.toml");
  EXPECT_EQ(from_text.members.size(), from_file.members.size());
  EXPECT_EQ(from_text.groups.size(), from_file.groups.size());
  EXPECT_EQ(from_text.principals.size(), from_file.principals.size());
  EXPECT_EQ(from_text.keys.size(), from_file.keys.size());
}

TEST(ConfigTextTest, ProblemsNameTheGivenName) {
  try {
    parse_server_config_text("[native\n", "/etc/liaison/liaison.toml");
    FAIL() << "invalid TOML was accepted";
  } catch (const config_error& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].rfind("/etc/liaison/liaison.toml: line 1", 0), 0u) << e.problems()[0];
  }
  try {
    parse_members_text("[[members]]\ncode = \"AT\"\n", "members.toml");
    FAIL() << "a member without a name was accepted";
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("members.toml: members[0].name"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace liaison::config
