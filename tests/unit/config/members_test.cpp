#include "config/members_file.hpp"
#include "config/server_config.hpp"
#include "crypto/ed25519.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace liaison::config {
namespace {

using testing::temp_dir;

constexpr std::string_view three_members = R"(
[[members]]
code = "AT"
name = "Austria"
[[members]]
code = "HU"
name = "Hungary"
[[members]]
code = "RS"
name = "Serbia"

[groups]
PAIR = ["HU", "RS"]

[[principals]]
certificate = "AT.desk"
member = "AT"
role = "desk"
[[principals]]
certificate = "HU.partner"
member = "HU"
role = "partner"
[[principals]]
certificate = "auditor"
role = "auditor"
[[principals]]
certificate = "RS.desk"
member = "RS"
role = "desk"
clearance = "AMBER+STRICT"

[[keys]]
id = "AT-1"
member = "AT"
public_key_file = "AT-1.pub.pem"
[[keys]]
id = "RS-1"
member = "RS"
public_key_file = "sub/RS-1.pub.pem"
revoked = true
)";

// A members.toml in `dir` plus the key files it names; returns its section.
registry_section setup(const temp_dir& dir, std::string_view members_toml) {
  registry_section s;
  s.members_file = dir.write("members.toml", members_toml);
  s.keys_dir = dir.file("keys");
  return s;
}

std::string write_key(const temp_dir& dir, const std::string& name) {
  auto key = crypto::ed25519_private_key::generate();
  dir.write("keys/" + name, crypto::public_key_to_pem(key.public_key()));
  return key.public_key();
}

config_error load_failure(const registry_section& s) {
  try {
    load_registry(s);
  } catch (const config_error& e) {
    return e;
  }
  ADD_FAILURE() << "no config_error";
  return config_error(s.members_file, {});
}

bool mentions(const config_error& e, std::string_view text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

TEST(MembersTest, LoadsMembersGroupsPrincipalsAndKeys) {
  temp_dir dir;
  auto section = setup(dir, three_members);
  auto at_key = write_key(dir, "AT-1.pub.pem");
  auto rs_key = write_key(dir, "sub/RS-1.pub.pem");

  auto data = load_registry(section);

  ASSERT_EQ(data.members.size(), 3u);
  EXPECT_EQ(data.members[0].code, "AT");
  EXPECT_EQ(data.members[0].name, "Austria");
  ASSERT_EQ(data.groups.size(), 1u);
  EXPECT_EQ(data.groups[0].name, "PAIR");
  EXPECT_EQ(data.groups[0].members, (std::vector<std::string>{"HU", "RS"}));
  ASSERT_EQ(data.principals.size(), 4u);
  // Clearance defaults by role unless given.
  EXPECT_EQ(data.principals[0].clearance, core::tlp::red);
  EXPECT_EQ(data.principals[1].role, core::role::partner);
  EXPECT_EQ(data.principals[1].clearance, core::tlp::amber);
  EXPECT_EQ(data.principals[2].member, "");
  EXPECT_EQ(data.principals[2].clearance, core::tlp::red);
  EXPECT_EQ(data.principals[3].clearance, core::tlp::amber_strict);
  ASSERT_EQ(data.keys.size(), 2u);
  EXPECT_EQ(data.keys[0].public_key, at_key);
  EXPECT_FALSE(data.keys[0].revoked);
  EXPECT_EQ(data.keys[1].public_key, rs_key);
  EXPECT_TRUE(data.keys[1].revoked);
}

TEST(MembersTest, DefaultClearanceByRole) {
  EXPECT_EQ(default_clearance(core::role::desk), core::tlp::red);
  EXPECT_EQ(default_clearance(core::role::partner), core::tlp::amber);
  EXPECT_EQ(default_clearance(core::role::auditor), core::tlp::red);
  EXPECT_EQ(default_clearance(core::role::admin), core::tlp::clear);
}

TEST(MembersTest, ReadingTheFileNeedsNoKeyFiles) {
  temp_dir dir;
  auto section = setup(dir, three_members);
  auto file = read_members_file(section.members_file);
  ASSERT_EQ(file.keys.size(), 2u);
  EXPECT_EQ(file.keys[1].public_key_file, "sub/RS-1.pub.pem");  // as written
}

TEST(MembersTest, AbsoluteKeyPathIsKept) {
  temp_dir dir;
  auto elsewhere = temp_dir();
  auto key = crypto::ed25519_private_key::generate();
  auto pem = elsewhere.write("k.pem", crypto::public_key_to_pem(key.public_key()));
  auto section = setup(dir, std::string(R"(
[[members]]
code = "AT"
name = "Austria"
[[keys]]
id = "AT-1"
member = "AT"
public_key_file = ")") + pem + "\"\n");
  EXPECT_EQ(load_registry(section).keys.at(0).public_key, key.public_key());
}

TEST(MembersTest, MissingAndInvalidKeyFilesAreReportedTogether) {
  temp_dir dir;
  auto section = setup(dir, three_members);
  dir.write("keys/sub/RS-1.pub.pem", "not a key\n");  // AT-1 is missing altogether

  auto e = load_failure(section);

  ASSERT_EQ(e.problems().size(), 2u) << e.what();
  auto at_path = dir.file("keys/AT-1.pub.pem");
  EXPECT_EQ(e.problems()[0], section.members_file + ": keys[0].public_key_file: key 'AT-1': " +
                                 "expected an Ed25519 public key in PEM at " + at_path +
                                 ", got no such file");
  EXPECT_TRUE(mentions(e, "keys[1].public_key_file: key 'RS-1': expected an Ed25519 public key"));
  EXPECT_TRUE(mentions(e, "not a PEM public key"));
}

TEST(MembersTest, DuplicateMemberAndUnknownGroupMemberAreReported) {
  temp_dir dir;
  auto section = setup(dir, R"(
[[members]]
code = "AT"
name = "Austria"
[[members]]
code = "AT"
name = "Austria again"
[groups]
G = ["AT", "ZZ", "AT"]
)");
  auto e = load_failure(section);
  EXPECT_EQ(e.problems().size(), 3u) << e.what();
  EXPECT_TRUE(mentions(e, section.members_file + ": member 'AT' is listed twice"));
  EXPECT_TRUE(mentions(e, "group 'G' names unknown member 'ZZ'"));
  EXPECT_TRUE(mentions(e, "groups.G[2]: expected each member once, got 'AT' twice"));
}

TEST(MembersTest, ShapeProblemsNameTheirKeys) {
  temp_dir dir;
  auto section = setup(dir, R"(
colour = "blue"
[[members]]
code = "AT"
name = "Austria"
[[members]]
code = "BE"
[[members]]
code = 4
name = "Four"
[groups]
G = "AT"
[[principals]]
certificate = "AT.desk"
member = "AT"
rol = "desk"
[[principals]]
certificate = "boss"
role = "boss"
clearance = "PURPLE"
[[keys]]
id = "AT-1"
member = "AT"
public_key_file = "AT-1.pub.pem"
revoked = "no"
)");
  write_key(dir, "AT-1.pub.pem");
  auto e = load_failure(section);
  EXPECT_TRUE(mentions(e, ": colour: unknown section or key")) << e.what();
  EXPECT_TRUE(mentions(e, ": members[1].name: expected the member's name, got nothing"));
  EXPECT_TRUE(
      mentions(e, ": members[2].code: expected a member code such as \"AT\", got integer 4"));
  EXPECT_TRUE(mentions(e, ": groups.G: expected an array of member codes, got string \"AT\""));
  EXPECT_TRUE(mentions(e, ": principals[0].rol: unknown key"));
  EXPECT_TRUE(mentions(e,
                       ": principals[0].role: expected a role "
                       "(desk|partner|auditor|admin|coordinator), got nothing"));
  EXPECT_TRUE(mentions(e,
                       ": principals[1].role: expected a role "
                       "(desk|partner|auditor|admin|coordinator), got string \"boss\""));
  EXPECT_TRUE(mentions(e, ": principals[1].clearance: expected a TLP level"));
  EXPECT_TRUE(mentions(e, ": keys[0].revoked: expected true or false, got string \"no\""));
  EXPECT_EQ(e.problems().size(), 9u) << e.what();
}

TEST(MembersTest, RegistryCheckProblemsAreIncluded) {
  temp_dir dir;
  auto section = setup(dir, R"(
[[members]]
code = "AT"
name = "Austria"
[[principals]]
certificate = "XX.desk"
member = "XX"
role = "desk"
[[principals]]
certificate = "lonely.partner"
role = "partner"
[[keys]]
id = "XX-1"
member = "XX"
public_key_file = "XX-1.pub.pem"
)");
  write_key(dir, "XX-1.pub.pem");
  auto e = load_failure(section);
  EXPECT_EQ(e.problems().size(), 3u) << e.what();
  EXPECT_TRUE(mentions(e, "principal 'XX.desk' names unknown member 'XX'"));
  EXPECT_TRUE(mentions(e, "principal 'lonely.partner' is a desk or partner system and must name"));
  EXPECT_TRUE(mentions(e, "key 'XX-1' names unknown member 'XX'"));
}

TEST(MembersTest, MissingMembersFileIsNamed) {
  temp_dir dir;
  registry_section s{dir.file("members.toml"), dir.path()};
  auto e = load_failure(s);
  EXPECT_EQ(std::string(e.what()).rfind(s.members_file + ": cannot read the file", 0), 0u);
}

// The example configuration lists 27 members; the code never assumes it, but
// the repository's file must stay complete and consistent.
TEST(RepoMembersTest, ExampleMembersTomlIsCompleteAndConsistent) {
  auto file = read_members_file(LIAISON_SOURCE_DIR "/config/members.toml");
  EXPECT_EQ(file.members.size(), 27u);
  auto group = [&](std::string_view name) {
    auto it = std::find_if(file.groups.begin(), file.groups.end(),
                           [&](const core::group_info& g) { return g.name == name; });
    return it == file.groups.end() ? std::vector<std::string>{} : it->members;
  };
  EXPECT_EQ(group("ALL").size(), 27u);
  EXPECT_EQ(group("WB6"), (std::vector<std::string>{"AL", "BA", "ME", "MK", "RS", "XK"}));
  EXPECT_EQ(group("EU").size(), 18u);
  // 27 desks, a partner, the auditor, ops, the coordination desk.
  EXPECT_EQ(file.principals.size(), 31u);
  EXPECT_EQ(file.keys.size(), 27u);
  auto xk = std::find_if(file.members.begin(), file.members.end(),
                         [](const core::member_info& m) { return m.code == "XK"; });
  ASSERT_NE(xk, file.members.end());
  EXPECT_EQ(xk->name, "Kosovo");
  auto partner = std::find_if(file.principals.begin(), file.principals.end(),
                              [](const core::principal& p) { return p.id == "HU.partner"; });
  ASSERT_NE(partner, file.principals.end());
  EXPECT_EQ(partner->clearance, core::tlp::amber);
  // Every member falls back on the coordination desk.
  for (const auto& m : file.members)
    EXPECT_EQ(m.fallback, std::vector<std::string>{"TF.coordination"}) << m.code;
}

TEST(MembersTest, FallbacksNameKnownMembersOrPrincipals) {
  auto file = parse_members_text(R"(
[[members]]
code = "AT"
name = "Austria"
fallback = ["HU", "AT.backup"]
[[members]]
code = "HU"
name = "Hungary"
[[principals]]
certificate = "AT.backup"
member = "AT"
role = "desk"
)",
                                 "members.toml");
  EXPECT_EQ(file.members[0].fallback, (std::vector<std::string>{"HU", "AT.backup"}));
  auto problems = [](const char* text) {
    try {
      parse_members_text(text, "members.toml");
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(problems(R"(
[[members]]
code = "AT"
name = "Austria"
fallback = ["ZZ"]
)")
                .find("names fallback 'ZZ', which is neither a member code nor a principal"),
            std::string::npos);
  EXPECT_NE(problems(R"(
[[members]]
code = "AT"
name = "Austria"
fallback = ["AT"]
)")
                .find("names itself as its own fallback"),
            std::string::npos);
  EXPECT_NE(
      problems(R"(
[[members]]
code = "AT"
name = "Austria"
fallback = [1]
)")
          .find("members[0].fallback[0]: expected a member code or a principal's certificate name"),
      std::string::npos);
}

}  // namespace
}  // namespace liaison::config
