#include "pki/init.hpp"
#include "config/server_config.hpp"
#include "crypto/ed25519.hpp"
#include "pki/authority.hpp"
#include "pki/identity.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace liaison::pki {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::temp_dir;

const std::string repo_members = LIAISON_SOURCE_DIR "/config/members.toml";

init_options options(const std::string& members, const fs::path& out) {
  init_options o;
  o.members_file = members;
  o.out_dir = out.string();
  return o;
}

fs::perms mode(const fs::path& p) {
  return fs::status(p).permissions() & fs::perms::mask;
}
constexpr auto mode_0600 = fs::perms::owner_read | fs::perms::owner_write;
constexpr auto mode_0700 = fs::perms::owner_all;

// Every file under `dir` with its content.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().string()] = read_file(e.path());
  return out;
}

std::string two_members(bool with_third) {
  std::string text = R"(
[[members]]
code = "AT"
name = "Austria"
[[members]]
code = "HU"
name = "Hungary"
[[principals]]
certificate = "AT.desk"
member = "AT"
role = "desk"
[[principals]]
certificate = "HU.desk"
member = "HU"
role = "desk"
[[keys]]
id = "AT-1"
member = "AT"
public_key_file = "AT-1.pub.pem"
[[keys]]
id = "HU-1"
member = "HU"
public_key_file = "HU-1.pub.pem"
)";
  if (with_third)
    text += R"(
[[members]]
code = "RS"
name = "Serbia"
[[principals]]
certificate = "RS.desk"
member = "RS"
role = "desk"
[[keys]]
id = "RS-1"
member = "RS"
public_key_file = "RS-1.pub.pem"
)";
  return text;
}

TEST(InitTest, RepoMembersGiveACompleteLoadableLayout) {
  temp_dir dir;
  const auto out = std::filesystem::path(dir.file("pki"));

  auto report = init(options(repo_members, out.string()));

  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
  EXPECT_EQ(report.config_file, (out / "liaison.toml").string());
  EXPECT_TRUE(fs::is_regular_file(out / "ca/ca.pem"));
  EXPECT_EQ(mode(out / "ca/ca.key"), mode_0600);
  EXPECT_EQ(mode(out / "ca"), mode_0700);
  for (const char* f : {"cert.pem", "key.pem", "ca.pem"})
    EXPECT_TRUE(fs::exists(out / "server" / f));
  for (const char* folder : {"partner-HU", "auditor"}) {
    EXPECT_TRUE(fs::exists(out / folder / "identity.toml")) << folder;
    EXPECT_FALSE(fs::exists(out / folder / "signing-key.pem")) << folder;
  }

  // The generated configuration loads, and so does the registry it names.
  auto config = config::load_server_config(report.config_file);
  EXPECT_EQ(config.native.listen, "127.0.0.1:7443");
  EXPECT_EQ(config.tls.cert_file, (out / "server/cert.pem").string());
  // The server signs audit tree heads with its own key; auditors get the public half.
  EXPECT_EQ(config.audit.signing_key_file, (out / "server" / audit_signing_key_file_name).string());
  EXPECT_EQ(mode(config.audit.signing_key_file), mode_0600);
  EXPECT_EQ(
      crypto::ed25519_private_key::load_pem_file(config.audit.signing_key_file).public_key(),
      crypto::load_public_key_pem_file((out / "server" / audit_public_key_file_name).string()));
  auto data = config::load_registry(config.registry);
  EXPECT_EQ(data.members.size(), 27u);
  EXPECT_EQ(data.principals.size(), 31u);
  ASSERT_EQ(data.keys.size(), 27u);

  // Each desk holds the private half of its member's registered key.
  auto ca = authority::load(read_file(out / "ca/ca.pem"), read_file(out / "ca/ca.key"));
  EXPECT_TRUE(ca.issued_by_me(read_file(out / "server/cert.pem")));
  for (const auto& key : data.keys) {
    auto desk = out / key.member / "desk";
    auto id = load_identity(desk.string());
    EXPECT_EQ(id.principal, key.member + ".desk");
    EXPECT_EQ(id.key_id, key.key_id);
    auto signing = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
    EXPECT_EQ(signing.public_key(), key.public_key) << key.key_id;
    EXPECT_TRUE(ca.issued_by_me(read_file(id.cert_file)));
    EXPECT_EQ(mode(desk), mode_0700);
    EXPECT_EQ(mode(id.key_file), mode_0600);
    EXPECT_EQ(mode(id.signing_key_file), mode_0600);
  }
}

TEST(InitTest, SecondRunCreatesNothingAndChangesNothing) {
  temp_dir dir;
  const auto out = dir.file("pki");
  init(options(repo_members, out));
  auto before = snapshot(out);

  auto again = init(options(repo_members, out));

  EXPECT_TRUE(again.created.empty()) << again.created.front();
  EXPECT_TRUE(again.warnings.empty()) << again.warnings.front();
  EXPECT_EQ(again.reused.size(), before.size());
  EXPECT_EQ(snapshot(out), before);
}

TEST(InitTest, AddedMemberGetsOnlyItsOwnFiles) {
  temp_dir dir;
  const auto out = std::filesystem::path(dir.file("pki"));
  auto members = dir.write("members.toml", two_members(false));
  init(options(members, out.string()));
  auto before = snapshot(out);

  dir.write("members.toml", two_members(true));
  auto report = init(options(members, out.string()));

  for (const auto& f : report.created)
    EXPECT_TRUE(f.rfind("RS/", 0) == 0 || f == "keys/RS-1.pub.pem") << f;
  EXPECT_TRUE(fs::exists(out / "RS/desk/signing-key.pem"));
  for (const auto& [file, text] : before) EXPECT_EQ(read_file(file), text) << file;
  // liaison.toml is kept as it was, yet the registry it names now has RS.
  auto config = config::load_server_config(report.config_file);
  EXPECT_EQ(config::load_registry(config.registry).members.size(), 3u);
}

TEST(InitTest, LostPublicKeyIsRederivedFromTheDesksPrivateKey) {
  temp_dir dir;
  const auto out = std::filesystem::path(dir.file("pki"));
  auto members = dir.write("members.toml", two_members(false));
  init(options(members, out.string()));
  auto pub = read_file(out / "keys/AT-1.pub.pem");
  fs::remove(out / "keys/AT-1.pub.pem");

  auto report = init(options(members, out.string()));

  EXPECT_EQ(report.created, std::vector<std::string>{"keys/AT-1.pub.pem"});
  EXPECT_EQ(read_file(out / "keys/AT-1.pub.pem"), pub);
}

TEST(InitTest, InvalidOptionsAreRejected) {
  temp_dir dir;
  auto members = dir.write("members.toml", two_members(false));
  auto bad = options(members, std::filesystem::path(dir.file("pki")));
  bad.native_listen = "7443";
  EXPECT_THROW(init(bad), std::invalid_argument);
  EXPECT_THROW(init(options(dir.file("none.toml"), dir.path())), config::config_error);
}

TEST(IdentityTest, LoadsADeskFolder) {
  temp_dir dir;
  const auto out = std::filesystem::path(dir.file("pki"));
  init(options(dir.write("members.toml", two_members(false)), out.string()));

  auto id = load_identity((out / "HU/desk").string());

  EXPECT_EQ(id.dir, (out / "HU/desk").string());
  EXPECT_EQ(id.principal, "HU.desk");
  EXPECT_EQ(id.member, "HU");
  EXPECT_EQ(id.role, core::role::desk);
  EXPECT_EQ(id.key_id, "HU-1");
  EXPECT_EQ(id.cert_file, (out / "HU/desk/cert.pem").string());
  EXPECT_EQ(id.key_file, (out / "HU/desk/key.pem").string());
  EXPECT_EQ(id.ca_file, (out / "HU/desk/ca.pem").string());
  EXPECT_EQ(id.signing_key_file, (out / "HU/desk/signing-key.pem").string());
  EXPECT_EQ(id.keys_dir, (out / "keys").string());
}

TEST(IdentityTest, MissingPartsAreNamed) {
  temp_dir dir;
  const auto out = std::filesystem::path(dir.file("pki"));
  init(options(dir.write("members.toml", two_members(false)), out.string()));
  auto message = [](const fs::path& folder) {
    try {
      load_identity(folder.string());
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };

  EXPECT_EQ(message(out / "XX"),
            "identity folder " + (out / "XX").string() + ": no such directory");
  fs::remove(out / "AT/desk/cert.pem");
  fs::remove(out / "AT/desk/signing-key.pem");
  EXPECT_EQ(message(out / "AT/desk"), "identity folder " + (out / "AT/desk").string() +
                                          ": missing cert.pem, signing-key.pem");
  fs::remove(out / "HU/desk/identity.toml");
  EXPECT_NE(message(out / "HU/desk").find("missing identity.toml"), std::string::npos);
}

}  // namespace
}  // namespace liaison::pki
