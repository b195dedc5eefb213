// Seeds of the configuration and address targets: the repository's
// liaison.toml and members.toml, variants of them, host:port forms.
#include "config/config_template.hpp"
#include "seeds.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace liaison::fuzz {

namespace fs = std::filesystem;

namespace {

// The keys without defaults; everything else may be left out.
constexpr const char* required_server_keys = R"([tls]
ca_file = "pki/ca.pem"
cert_file = "pki/server.pem"
key_file = "/etc/liaison/server.key"

[database]
url = "postgresql://liaison@db:5432/liaison"

[registry]
members_file = "members.toml"
keys_dir = "keys"
)";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

seeds server_config_seeds(const fs::path& source) {
  seeds out;
  out["repo-liaison.toml"] = read_file(source / "config/liaison.toml");
  out["required-keys-only.toml"] = required_server_keys;
  liaison::config::config_template_values v;
  v.header = "# rendered by fuzz_make_corpus\n";
  v.node_id = "node-2";
  v.native_listen = "[::1]:0";
  v.https_listen = "127.0.0.1:8443";
  v.ca_file = "ca.pem";
  v.cert_file = "server.pem";
  v.key_file = "server.key";
  v.database_url = "postgresql://liaison@127.0.0.1:55432/liaison?sslmode=disable";
  v.members_file = "members.toml";
  v.keys_dir = "keys";
  out["rendered-template.toml"] = liaison::config::render_server_config(v);
  auto with = [&](const std::string& extra) { return std::string(required_server_keys) + extra; };
  out["every-limit.toml"] = with(R"(
[server]
node_id = "a.b-c_d"
[native]
listen = "0.0.0.0:7443"
max_frame_bytes = 1024
handshake_timeout = "250ms"
idle_timeout = "2h"
write_timeout = "1us"
max_connections = 1
max_connections_per_principal = 1
max_in_flight_publishes = 1
outbox_max_bytes = 1024
[https]
max_header_bytes = 1048576
max_body_bytes = 67108864
request_timeout = "7d"
[alerts]
max_recipients = 100000
max_entities = 0
max_clock_skew = "0s"
max_age = "1d"
[log]
level = "trace"
format = "json"
)");
  out["unknown-key.toml"] = with("[native]\nmax_frame_byte = 4096\n");
  out["wrong-types.toml"] =
      with("[native]\nmax_frame_bytes = \"big\"\nidle_timeout = 30\n[log]\nlevel = 3\n");
  out["out-of-range.toml"] = with(
      "[native]\nmax_frame_bytes = 10\noutbox_max_bytes = 1024\n[database]\nreconnect_min = "
      "\"9s\"\n");
  out["section-not-table.toml"] = "native = 3\n" + std::string(required_server_keys);
  out["bad-listen.toml"] = with("[https]\nlisten = \"[::1]\"\n");
  out["invalid-toml.toml"] = "[native\nlisten = ";
  out["empty.toml"] = "";
  return out;
}

seeds members_config_seeds(const fs::path& source) {
  seeds out;
  out["repo-members.toml"] = read_file(source / "config/members.toml");
  const std::string small = R"([[members]]
code = "AT"
name = "Austria"

[[members]]
code = "HU"
name = "Hungary"

[groups]
PAIR = ["AT", "HU"]

[[principals]]
certificate = "AT.desk"
member = "AT"
role = "desk"

[[principals]]
certificate = "partner-HU"
member = "HU"
role = "partner"
clearance = "AMBER+STRICT"

[[principals]]
certificate = "auditor"
role = "auditor"

[[keys]]
id = "AT-1"
member = "AT"
public_key_file = "AT-1.pem"

[[keys]]
id = "AT-0"
member = "AT"
public_key_file = "/etc/liaison/keys/AT-0.pem"
revoked = true
)";
  out["small.toml"] = small;
  out["duplicate-member.toml"] = small + "\n[[members]]\ncode = \"AT\"\nname = \"Again\"\n";
  out["unknown-group-member.toml"] = small + "\n[groups.X]\n";
  out["group-not-array.toml"] = "[[members]]\ncode = \"AT\"\nname = \"A\"\n[groups]\nG = \"AT\"\n";
  out["group-twice.toml"] =
      "[[members]]\ncode = \"AT\"\nname = \"A\"\n[groups]\nG = [\"AT\", \"AT\", 3]\n";
  out["bad-role-and-clearance.toml"] =
      small + "\n[[principals]]\ncertificate = \"x\"\nrole = \"king\"\nclearance = \"PURPLE\"\n";
  out["desk-without-member.toml"] =
      small + "\n[[principals]]\ncertificate = \"y\"\nrole = \"desk\"\n";
  out["key-of-unknown-member.toml"] =
      small + "\n[[keys]]\nid = \"XX-1\"\nmember = \"XX\"\npublic_key_file = \"k\"\n";
  out["members-not-tables.toml"] = "members = [1, \"two\"]\n";
  out["invalid-toml.toml"] = "[[members]\ncode = ";
  out["empty.toml"] = "";
  return out;
}

seeds host_port_seeds() {
  seeds out;
  const std::vector<std::string> forms = {
      "0.0.0.0:7443", "127.0.0.1:0",      "localhost:8443", "[::1]:7443",
      "[::]:65535",   "[fe80::1%eth0]:1", "host:65536",     "host:",
      ":80",          "::1:80",           "[::1]",          "[]:80",
      "host:+80",     "host:-1",          "host:80 ",       "host",
      "[:80",         "[a]]:1",
  };
  for (std::size_t i = 0; i < forms.size(); ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%02zu", i);
    out[name] = forms[i];
  }
  return out;
}

seeds http_target_seeds() {
  seeds out;
  const std::vector<std::string> targets = {
      "/healthz",
      "/metrics",
      "/v1/stream",
      "/v1/alerts",
      "/v1/audit?actor=AT.desk&limit=50",
      "/v1/audit?from=2026-06-01T00%3A00%3A00Z&to=2026-06-02T00:00:00Z&action=alert.publish",
      "/v1/alerts/3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12?justification=case+JOT-2026%2F17",
      "/v1/audit?origin=AT&origin=HU&&flag&empty=",
      "/v1/audit?q=%C3%A9t%C3%A9#fragment",
      "/caf%c3%a9/%2e%2e/x",
      "/bad?escape=%4",
      "/bad?escape=%zz",
      "/bad?nul=%00",
      "/bad?=value",
      "relative/path",
      "",
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%02zu", i);
    out[name] = targets[i];
  }
  return out;
}

}  // namespace liaison::fuzz
