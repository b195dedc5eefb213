#include "config/server_config.hpp"
#include "config/config_template.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace liaison::config {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;

// The three sections without defaults; everything else may be left out.
constexpr std::string_view required = R"(
[tls]
ca_file = "pki/ca.pem"
cert_file = "pki/server.pem"
key_file = "/etc/liaison/server.key"

[database]
url = "postgresql://liaison@db:5432/liaison"

[registry]
members_file = "members.toml"
keys_dir = "keys"
)";

// Loads `text` and returns the exception, failing the test when none is thrown.
config_error load_failure(const temp_dir& dir, std::string_view text) {
  auto file = dir.write("liaison.toml", text);
  try {
    load_server_config(file);
  } catch (const config_error& e) {
    return e;
  }
  ADD_FAILURE() << "no config_error for:\n" << text;
  return config_error(file, {});
}

bool mentions(const config_error& e, std::string_view text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

TEST(ServerConfigTest, RequiredKeysAloneGiveTheDefaults) {
  temp_dir dir;
  auto c = load_server_config(dir.write("liaison.toml", required));
  const server_config d;
  EXPECT_EQ(c.node_id, d.node_id);
  EXPECT_EQ(c.native.listen, "0.0.0.0:7443");
  EXPECT_EQ(c.native.max_frame_bytes, 1u << 20);
  EXPECT_EQ(c.native.idle_timeout, 120s);
  EXPECT_EQ(c.https.listen, "0.0.0.0:8443");
  EXPECT_EQ(c.database.batch_max, 512u);
  EXPECT_EQ(c.database.reconnect_min, 100ms);
  EXPECT_TRUE(c.database.apply_migrations);
  EXPECT_EQ(c.alerts.max_age, 7 * 24h);
  EXPECT_EQ(c.publish_rate.per_member, 2000u);
  EXPECT_EQ(c.publish_rate.burst_per_member, 4000u);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.tls.crl_file, "");
  EXPECT_EQ(c.database.url, "postgresql://liaison@db:5432/liaison");
}

TEST(ServerConfigTest, RelativePathsResolveAgainstTheFilesDirectory) {
  temp_dir dir;
  auto c = load_server_config(dir.write("etc/liaison.toml", required));
  auto etc = std::filesystem::path(dir.file("etc"));
  EXPECT_EQ(c.tls.ca_file, (etc / "pki/ca.pem").string());
  EXPECT_EQ(c.tls.cert_file, (etc / "pki/server.pem").string());
  EXPECT_EQ(c.tls.key_file, "/etc/liaison/server.key");  // absolute stays
  EXPECT_EQ(c.registry.members_file, (etc / "members.toml").string());
  EXPECT_EQ(c.registry.keys_dir, (etc / "keys").string());
}

TEST(ServerConfigTest, EveryKeyIsRead) {
  temp_dir dir;
  auto c = load_server_config(dir.write("liaison.toml", std::string(required) + R"(
[server]
node_id = "node-b"
[native]
listen = "[::1]:0"
max_frame_bytes = 2048
handshake_timeout = "3s"
idle_timeout = "2m"
write_timeout = "1500ms"
max_connections = 10
max_connections_per_principal = 2
max_in_flight_publishes = 8
outbox_max_bytes = 4096
[https]
listen = "localhost:9443"
max_header_bytes = 8192
max_body_bytes = 65536
request_timeout = "10s"
[alerts]
max_recipients = 5
max_entities = 0
max_subject_bytes = 100
max_body_bytes = 1000
max_entity_value_bytes = 50
max_restriction_text_bytes = 60
max_case_reference_bytes = 70
max_clock_skew = "0s"
max_age = "1d"
publish_rate_per_member = 5
publish_burst_per_member = 7
[log]
level = "debug"
format = "json"
)"));
  EXPECT_EQ(c.node_id, "node-b");
  EXPECT_EQ(c.native.listen, "[::1]:0");
  EXPECT_EQ(c.native.max_frame_bytes, 2048u);
  EXPECT_EQ(c.native.handshake_timeout, 3s);
  EXPECT_EQ(c.native.idle_timeout, 2min);
  EXPECT_EQ(c.native.write_timeout, 1500ms);
  EXPECT_EQ(c.native.max_connections, 10u);
  EXPECT_EQ(c.native.max_connections_per_principal, 2u);
  EXPECT_EQ(c.native.max_in_flight_publishes, 8u);
  EXPECT_EQ(c.native.outbox_max_bytes, 4096u);
  EXPECT_EQ(c.https.listen, "localhost:9443");
  EXPECT_EQ(c.https.max_header_bytes, 8192u);
  EXPECT_EQ(c.https.max_body_bytes, 65536u);
  EXPECT_EQ(c.https.request_timeout, 10s);
  EXPECT_EQ(c.alerts.max_recipients, 5u);
  EXPECT_EQ(c.alerts.max_entities, 0u);
  EXPECT_EQ(c.alerts.max_subject_bytes, 100u);
  EXPECT_EQ(c.alerts.max_body_bytes, 1000u);
  EXPECT_EQ(c.alerts.max_entity_value_bytes, 50u);
  EXPECT_EQ(c.alerts.max_restriction_text_bytes, 60u);
  EXPECT_EQ(c.alerts.max_case_reference_bytes, 70u);
  EXPECT_EQ(c.alerts.max_clock_skew, 0s);
  EXPECT_EQ(c.alerts.max_age, 24h);
  EXPECT_EQ(c.publish_rate.per_member, 5u);
  EXPECT_EQ(c.publish_rate.burst_per_member, 7u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, "json");
}

TEST(ServerConfigTest, UnknownKeyIsAnErrorNamingFileAndKey) {
  temp_dir dir;
  auto e = load_failure(dir, std::string(required) + "[native]\nidel_timeout = \"5s\"\n");
  ASSERT_EQ(e.problems().size(), 1u);
  EXPECT_EQ(
      e.problems()[0].rfind(dir.file("liaison.toml") + ": native.idel_timeout: unknown key", 0), 0u)
      << e.problems()[0];
  EXPECT_TRUE(mentions(e, "idle_timeout"));  // the list of known keys helps spot the typo
}

TEST(ServerConfigTest, UnknownSectionAndTopLevelKeyAreErrors) {
  temp_dir dir;
  auto e =
      load_failure(dir, std::string("node_id = \"x\"\n") + std::string(required) + "[nativ]\n");
  EXPECT_EQ(e.problems().size(), 2u);
  EXPECT_TRUE(mentions(e, ": node_id: unknown section or key"));
  EXPECT_TRUE(mentions(e, ": nativ: unknown section or key"));
}

TEST(ServerConfigTest, WrongTypesAreErrors) {
  temp_dir dir;
  auto e = load_failure(dir, R"(
[tls]
ca_file = "a"
cert_file = ["b"]
key_file = "c"
[registry]
members_file = "m"
keys_dir = "k"
[database]
url = "postgresql:///liaison"
apply_migrations = "yes"
[native]
max_frame_bytes = "1MiB"
listen = 7443
[https]
request_timeout = 30
[log]
level = 3
)");
  EXPECT_EQ(e.problems().size(), 6u) << e.what();
  EXPECT_TRUE(mentions(e, "tls.cert_file: expected a file path, got an array"));
  EXPECT_TRUE(mentions(e, "database.apply_migrations: expected true or false, got string \"yes\""));
  EXPECT_TRUE(mentions(e,
                       "native.max_frame_bytes: expected an integer from 1024 to 67108864, "
                       "got string \"1MiB\""));
  EXPECT_TRUE(mentions(e, "native.listen: expected a string, got integer 7443"));
  EXPECT_TRUE(mentions(e, "https.request_timeout: expected a duration"));
  EXPECT_TRUE(mentions(e, "got integer 30"));
  EXPECT_TRUE(mentions(e, "log.level: expected one of \"trace\""));
  EXPECT_TRUE(mentions(e, "got string \"1MiB\" (line 13)"));
}

TEST(ServerConfigTest, SectionThatIsNotATableIsAnError) {
  temp_dir dir;
  auto e = load_failure(dir, std::string("native = 5\n") + std::string(required));
  EXPECT_TRUE(mentions(e, "native: expected a table, got integer 5"));
}

TEST(ServerConfigTest, BadDurationsAreErrors) {
  temp_dir dir;
  auto e = load_failure(dir, std::string(required) + R"(
[native]
idle_timeout = "120"
write_timeout = "0s"
handshake_timeout = "1.5s"
)");
  EXPECT_EQ(e.problems().size(), 3u) << e.what();
  EXPECT_TRUE(mentions(e, "native.idle_timeout: expected a duration such as \"250ms\""));
  EXPECT_TRUE(mentions(e, "got string \"120\""));
  EXPECT_TRUE(mentions(
      e, "native.write_timeout: expected a duration greater than zero, got string \"0s\""));
  EXPECT_TRUE(mentions(e, "native.handshake_timeout: expected a duration"));
}

TEST(ServerConfigTest, MissingRequiredKeysAreAllReported) {
  temp_dir dir;
  auto e = load_failure(dir, "[tls]\nca_file = \"ca.pem\"\n[registry]\nkeys_dir = \"\"\n");
  EXPECT_EQ(e.problems().size(), 5u) << e.what();
  EXPECT_TRUE(
      mentions(e, "tls.cert_file: expected a file path, got nothing (the key is required)"));
  EXPECT_TRUE(mentions(e, "tls.key_file: expected a file path, got nothing"));
  EXPECT_TRUE(mentions(e, "database.url: expected a string, got nothing"));
  EXPECT_TRUE(mentions(e, "registry.members_file: expected a file path, got nothing"));
  EXPECT_TRUE(mentions(e, "registry.keys_dir: expected a file path (not empty), got string \"\""));
}

TEST(ServerConfigTest, RangesAreChecked) {
  temp_dir dir;
  auto e = load_failure(dir, std::string(required) + R"(
[server]
node_id = "node 1"
[native]
listen = "7443"
max_frame_bytes = 100
outbox_max_bytes = 2048
[https]
listen = "::1:8443"
[alerts]
max_recipients = -1
[log]
format = "xml"
)");
  EXPECT_EQ(e.problems().size(), 7u) << e.what();
  EXPECT_TRUE(mentions(e, "server.node_id: expected 1 to 64 letters"));
  // Compared with the default frame size, since the given one was refused.
  EXPECT_TRUE(
      mentions(e, "native.outbox_max_bytes: expected at least native.max_frame_bytes (1048576)"));
  EXPECT_TRUE(mentions(e, "native.listen: expected HOST:PORT"));
  EXPECT_TRUE(mentions(
      e, "native.max_frame_bytes: expected an integer from 1024 to 67108864, got integer 100"));
  EXPECT_TRUE(mentions(e, "https.listen: expected HOST:PORT"));
  EXPECT_TRUE(mentions(e, "alerts.max_recipients: expected an integer from 1"));
  EXPECT_TRUE(mentions(e, "log.format: expected one of \"text\", \"json\", got string \"xml\""));
}

TEST(ServerConfigTest, PublishRateZeroTurnsTheLimitOff) {
  temp_dir dir;
  auto c = load_server_config(dir.write("liaison.toml", std::string(required) + R"(
[alerts]
publish_rate_per_member = 0
publish_burst_per_member = 1
)"));
  EXPECT_EQ(c.publish_rate.per_member, 0u);
  EXPECT_EQ(c.publish_rate.burst_per_member, 1u);
}

TEST(ServerConfigTest, BadPublishRatesAreErrors) {
  temp_dir dir;
  auto e = load_failure(dir, std::string(required) + R"(
[alerts]
publish_rate_per_member = -5
publish_burst_per_member = 0
)");
  EXPECT_EQ(e.problems().size(), 2u) << e.what();
  EXPECT_TRUE(mentions(e,
                       "alerts.publish_rate_per_member: expected an integer from 0 to 1000000, "
                       "got integer -5"))
      << e.what();
  EXPECT_TRUE(mentions(e,
                       "alerts.publish_burst_per_member: expected an integer from 1 to "
                       "1000000000, got integer 0"))
      << e.what();
  e = load_failure(dir, std::string(required) + R"(
[alerts]
publish_rate_per_member = "100/s"
publish_burst_per_member = 1.5
publish_rate = 10
)");
  EXPECT_EQ(e.problems().size(), 3u) << e.what();
  EXPECT_TRUE(mentions(e,
                       "alerts.publish_rate_per_member: expected an integer from 0 to 1000000, "
                       "got string \"100/s\""))
      << e.what();
  EXPECT_TRUE(mentions(e, "alerts.publish_burst_per_member: expected an integer from 1"));
  EXPECT_TRUE(mentions(e, "alerts.publish_rate: unknown key"));
  e = load_failure(dir, std::string(required) + "[alerts]\npublish_rate_per_member = 2000001\n");
  EXPECT_TRUE(mentions(e, "got integer 2000001")) << e.what();
}

TEST(ServerConfigTest, CrossFieldRanges) {
  temp_dir dir;
  auto e = load_failure(dir, R"(
[tls]
ca_file = "a"
cert_file = "b"
key_file = "c"
[registry]
members_file = "m"
keys_dir = "k"
[native]
max_frame_bytes = 65536
outbox_max_bytes = 4096
[database]
url = "postgresql:///liaison"
batch_max = 0
reconnect_min = "10s"
reconnect_max = "1s"
)");
  EXPECT_EQ(e.problems().size(), 3u) << e.what();
  EXPECT_TRUE(
      mentions(e, "native.outbox_max_bytes: expected at least native.max_frame_bytes (65536)"));
  EXPECT_TRUE(mentions(e, "database.batch_max: expected an integer from 1"));
  EXPECT_TRUE(mentions(e, "database.reconnect_max: expected a duration not shorter than"));
}

TEST(ServerConfigTest, WhatListsOneProblemPerLine) {
  temp_dir dir;
  auto e = load_failure(dir, "[log]\nlevel = \"loud\"\n");
  std::string what = e.what();
  auto lines = static_cast<std::size_t>(std::count(what.begin(), what.end(), '\n')) + 1;
  EXPECT_EQ(lines, e.problems().size());
  EXPECT_EQ(e.problems().size(), 7u);  // log.level, 3 TLS files, the URL, 2 registry keys
}

TEST(ServerConfigTest, UnreadableOrInvalidFileIsNamed) {
  temp_dir dir;
  auto missing = dir.file("nope.toml");
  try {
    load_server_config(missing);
    FAIL();
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(missing + ": cannot read the file", 0), 0u) << e.what();
  }
  auto e = load_failure(dir, "[native\nlisten = 1\n");
  EXPECT_TRUE(mentions(e, "liaison.toml: line 1, column")) << e.what();
}

TEST(ParseDurationTest, Table) {
  struct row {
    std::string_view text;
    std::optional<duration> want;
  };
  const row rows[] = {
      {"250ms", 250ms},
      {"30s", 30s},
      {"5m", 5min},
      {"2h", 2h},
      {"7d", 7 * 24h},
      {"0s", 0s},
      {"15us", 15us},
      {"", std::nullopt},
      {"s", std::nullopt},
      {"10", std::nullopt},
      {"1.5s", std::nullopt},
      {"-1s", std::nullopt},
      {" 1s", std::nullopt},
      {"1s ", std::nullopt},
      {"1S", std::nullopt},
      {"1w", std::nullopt},
      {"1h30m", std::nullopt},
      {"999999999999999d", std::nullopt},  // overflows 64-bit microseconds
  };
  for (const auto& r : rows) EXPECT_EQ(parse_duration(r.text), r.want) << "'" << r.text << "'";
}

TEST(ParseDurationTest, FormatIsItsInverse) {
  for (duration d : {duration(0s), duration(250ms), duration(90s), duration(5min),
                     duration(7 * 24h), duration(1500us)})
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(100ms), "100ms");
}

// config/liaison.toml documents the defaults: it must load and yield them.
TEST(RepoConfigTest, ExampleLiaisonTomlLoadsWithTheDefaults) {
  const std::string dir = LIAISON_SOURCE_DIR "/config";
  auto c = load_server_config(dir + "/liaison.toml");
  const server_config d;
  EXPECT_EQ(c.node_id, d.node_id);
  EXPECT_EQ(c.native.listen, d.native.listen);
  EXPECT_EQ(c.native.idle_timeout, d.native.idle_timeout);
  EXPECT_EQ(c.database.batch_max, d.database.batch_max);
  EXPECT_EQ(c.alerts.max_body_bytes, d.alerts.max_body_bytes);
  EXPECT_EQ(c.publish_rate.per_member, d.publish_rate.per_member);
  EXPECT_EQ(c.publish_rate.burst_per_member, d.publish_rate.burst_per_member);
  EXPECT_EQ(c.registry.members_file, dir + "/members.toml");
  EXPECT_EQ(c.tls.ca_file, std::string(LIAISON_SOURCE_DIR) + "/.liaison/pki/server/ca.pem");
}

// The repository's example and `liaison pki init` share one template; this
// keeps the checked-in file from drifting away from it.
TEST(RepoConfigTest, ExampleLiaisonTomlIsTheRenderedTemplate) {
  config_template_values v;
  v.header =
      "# The example configuration of the repository, for development: the paths point\n"
      "# to the PKI that `liaison pki init --members config/members.toml --out .liaison/pki`\n"
      "# makes. Generated from server/config/config_template.cpp; a unit test keeps it so.\n#\n";
  v.ca_file = "../.liaison/pki/server/ca.pem";
  v.cert_file = "../.liaison/pki/server/cert.pem";
  v.key_file = "../.liaison/pki/server/key.pem";
  v.database_url = "postgresql://liaison@127.0.0.1:5432/liaison";
  v.members_file = "members.toml";
  v.keys_dir = "../.liaison/pki/keys";
  v.audit_signing_key_file = "../.liaison/pki/server/audit-signing-key.pem";
  auto want = render_server_config(v);
  auto have = testing::read_file(LIAISON_SOURCE_DIR "/config/liaison.toml");
  if (have != want) {
    auto fresh = std::filesystem::temp_directory_path() / "liaison.toml.expected";
    std::ofstream(fresh) << want;
    FAIL() << "config/liaison.toml differs from the template; the expected text is in " << fresh;
  }
}

}  // namespace
}  // namespace liaison::config
