// The production CA of deploy/pki/ (openssl ca), end to end against
// liaisond as a process: a CA is made, the server and the AT desk request
// certificates with keys that never leave their folders, the CA issues them
// and a CRL, liaisond serves with them (and --check-config says so), the desk
// connects; then its certificate is revoked, a new CRL published and the
// server reloaded: the open connection is closed and a new one refused.
#include "e2e/process.hpp"
#include "e2e/server_fixture.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include "client/native_client.hpp"
#include "support/test_database.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace liaison::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string scripts = std::string(LIAISON_SOURCE_DIR) + "/deploy/pki/";

class PkiScriptsTest : public ::testing::Test {
 protected:
  temp_dir dir{"pki-scripts"};
  std::string ca = dir.path() + "/ca";

  void SetUp() override {
    const auto pass = dir.path() + "/passphrase";
    std::ofstream(pass) << "correct horse battery staple\n";
    ::setenv("LIAISON_CA_PASSFILE", pass.c_str(), 1);
  }

  // Runs deploy/pki/SCRIPT with `args`; fails the test with its output
  // unless it exits 0.
  void script(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"/bin/bash", scripts + name});
    const auto out = dir.path() + "/" + name + ".out";
    child_process p(args, out, out + ".err");
    auto status = p.wait_for(60s);
    ASSERT_TRUE(status) << name << " did not finish";
    ASSERT_EQ(child_process::exit_code(*status), 0) << name << ":\n"
                                                    << read_file(out) << read_file(out + ".err");
  }

  // An identity folder for the native client from a request.sh folder.
  pki::identity desk_identity(const std::string& folder) {
    pki::identity id;
    id.dir = folder;
    id.principal = "AT.desk";
    id.member = "AT";
    id.cert_file = folder + "/cert.pem";
    id.key_file = folder + "/key.pem";
    id.ca_file = ca + "/ca.pem";
    return id;
  }
};

TEST_F(PkiScriptsTest, RequestIssueConnectRevokeReloadRefused) {
  ASSERT_NO_FATAL_FAILURE(script("ca-init.sh", {ca}));
  const auto server = dir.path() + "/server";
  const auto desk = dir.path() + "/at-desk";
  ASSERT_NO_FATAL_FAILURE(script("request.sh", {"server", "liaison-server", server}));
  ASSERT_NO_FATAL_FAILURE(script("issue.sh", {ca, server + "/liaison-server.csr.pem", "server",
                                              "--ip", "127.0.0.1", "--out", server + "/cert.pem"}));
  ASSERT_NO_FATAL_FAILURE(script("request.sh", {"desk", "AT.desk", desk, "--member", "AT"}));
  ASSERT_NO_FATAL_FAILURE(script(
      "issue.sh",
      {ca, desk + "/AT.desk.csr.pem", "desk", "--members",
       std::string(LIAISON_SOURCE_DIR) + "/config/members.toml", "--out", desk + "/cert.pem"}));
  const auto crl = dir.path() + "/crl.pem";
  ASSERT_NO_FATAL_FAILURE(script("crl.sh", {ca, crl}));
  // The CA holds the request and the certificate, never the desk's key.
  EXPECT_TRUE(fs::exists(desk + "/key.pem"));
  for (const auto& f : fs::recursive_directory_iterator(ca)) {
    if (f.is_regular_file()) {
      EXPECT_NE(read_file(f.path()), read_file(desk + "/key.pem")) << f.path();
    }
  }

  test_database db;
  const std::map<std::string, std::string> tls = {
      {"tls.ca_file", nlohmann::json(ca + "/ca.pem").dump()},
      {"tls.cert_file", nlohmann::json(server + "/cert.pem").dump()},
      {"tls.key_file", nlohmann::json(server + "/key.pem").dump()},
      {"tls.crl_file", nlohmann::json(crl).dump()}};
  liaisond_process liaisond(db.url(), tls);
  const client::connect_options options{liaisond.native_address(), 10s, "pki-scripts"};

  client::native_client connected(desk_identity(desk), options);
  EXPECT_EQ(connected.welcome().principal(), "AT.desk");

  // The desk's key is compromised: revoke, publish the CRL, reload.
  ASSERT_NO_FATAL_FAILURE(script("revoke.sh", {ca, desk + "/cert.pem", "keyCompromise"}));
  ASSERT_NO_FATAL_FAILURE(script("crl.sh", {ca, crl}));
  liaisond.signal(SIGHUP);

  bool closed = false;
  try {
    for (int i = 0; i < 200; ++i) connected.receive(100ms);
  } catch (const client::client_error&) {
    closed = true;
  }
  EXPECT_TRUE(closed) << "the revoked desk's connection stayed open\n" << liaisond.log();
  try {
    client::native_client again(desk_identity(desk), options);
    ADD_FAILURE() << "a revoked certificate connected";
  } catch (const client::client_error& e) {
    SUCCEED() << e.what();
  }
}

}  // namespace
}  // namespace liaison::testing
