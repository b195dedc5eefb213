// `liaisond --check-config FILE`, run as a process: a sound configuration
// passes with its warnings named; each broken file is named with what is
// wrong and the exit code is 2; the server never starts listening.
#include "e2e/process.hpp"
#include "e2e/server_fixture.hpp"
#include "pki/authority.hpp"
#include "support/temp_dir.hpp"
#include "support/toml_edit.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace liaison::testing {
namespace {

using namespace std::chrono_literals;

struct check_result {
  int exit_code = -1;
  std::string output;
};

class CheckConfigTest : public ::testing::Test {
 protected:
  temp_dir dir{"check-config"};
  std::string base = read_file(shared_pki_dir() + "/liaison.toml");
  pki::authority ca = pki::authority::load(read_file(shared_pki_dir() + "/ca/ca.pem"),
                                           read_file(shared_pki_dir() + "/ca/ca.key"));

  // Writes the configuration with `overrides` ("section.key" -> TOML value)
  // and runs liaisond --check-config on it.
  check_result check(const std::map<std::string, std::string>& overrides = {}) {
    std::string text = base;
    for (const auto& [k, v] : overrides) text = set_toml(text, k, v);
    const auto file = dir.path() + "/liaison.toml";
    std::ofstream(file, std::ios::trunc) << text;
    return run({LIAISOND_PATH, "--check-config", file});
  }

  check_result run(std::vector<std::string> argv) {
    const auto out = dir.path() + "/out.txt";
    child_process p(std::move(argv), out, dir.path() + "/err.txt");
    auto status = p.wait_for(60s);
    check_result r;
    if (status) r.exit_code = child_process::exit_code(*status);
    r.output = read_file(out) + read_file(dir.path() + "/err.txt");
    return r;
  }

  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir.path() + "/" + name;
    std::ofstream(path, std::ios::trunc) << content;
    return nlohmann::json(path).dump();  // as a TOML string
  }
};

bool has(const check_result& r, const std::string& text) {
  return r.output.find(text) != std::string::npos;
}

TEST_F(CheckConfigTest, TheDemoConfigurationPassesAndNamesItsWarnings) {
  auto r = check();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r, "0 problems")) << r.output;
  EXPECT_TRUE(has(r, "27 members")) << r.output;
  EXPECT_TRUE(has(r, "the key matches the certificate")) << r.output;
  EXPECT_TRUE(has(r, "warning  no [tls] crl_file")) << r.output;
}

TEST_F(CheckConfigTest, AKeyThatIsNotTheCertificatesIsAProblem) {
  auto r = check({{"tls.key_file", nlohmann::json(identity("AT/desk").key_file).dump()}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "PROBLEM  cannot load the server private key")) << r.output;
}

TEST_F(CheckConfigTest, ACertificateExpiringSoonIsAWarningAndAnotherCasIsAProblem) {
  const auto now = std::chrono::system_clock::now();
  auto soon = ca.issue(
      {"liaisond", {"localhost"}, {}, pki::certificate_usage::server, now - 1h, now + 24h * 10});
  auto r = check({{"tls.cert_file", write("soon.pem", soon.cert_pem)},
                  {"tls.key_file", write("soon.key", soon.key_pem)}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r, "warning  the server certificate")) << r.output;
  EXPECT_TRUE(has(r, "renew it")) << r.output;

  auto stranger = pki::authority::create("another CA", now - 1h, now + 24h * 365);
  auto foreign = stranger.issue(
      {"liaisond", {"localhost"}, {}, pki::certificate_usage::server, now - 1h, now + 24h * 365});
  r = check({{"tls.cert_file", write("foreign.pem", foreign.cert_pem)},
             {"tls.key_file", write("foreign.key", foreign.key_pem)}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "does not verify against")) << r.output;
}

TEST_F(CheckConfigTest, AnOverdueCrlAndACrlOfAnotherCaAreProblems) {
  const auto now = std::chrono::system_clock::now();
  auto r = check({{"tls.crl_file", write("fresh.pem", ca.issue_crl({}, now + 24h * 30))}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r, "ok       the revocation list")) << r.output;

  r = check({{"tls.crl_file", write("overdue.pem", ca.issue_crl({}, now - 1h, now - 2h))}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "every handshake would fail")) << r.output;

  auto stranger = pki::authority::create("another CA", now - 1h, now + 24h * 365);
  r = check({{"tls.crl_file", write("foreign-crl.pem", stranger.issue_crl({}, now + 24h * 30))}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "is not signed by the CA")) << r.output;
}

TEST_F(CheckConfigTest, ADatabaseUrlThatDoesNotParseIsAProblem) {
  auto r = check({{"database.url", "\"host=localhost no_such_option=1\""}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "PROBLEM  [database] url does not parse")) << r.output;
  EXPECT_TRUE(has(r, "no_such_option")) << r.output;
}

TEST_F(CheckConfigTest, MissingFilesAndUnknownKeysAreNamed) {
  auto r = check({{"audit.signing_key_file", "\"/nonexistent/audit.pem\""}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "/nonexistent/audit.pem")) << r.output;

  r = check({{"native.no_such_key", "1"}});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r, "does not load")) << r.output;
  EXPECT_TRUE(has(r, "no_such_key")) << r.output;

  r = run({LIAISOND_PATH, "--check-config", dir.path() + "/absent.toml"});
  EXPECT_EQ(r.exit_code, 64) << r.output;
}

}  // namespace
}  // namespace liaison::testing
