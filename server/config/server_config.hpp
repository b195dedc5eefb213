// The server's configuration, parsed once from TOML into immutable sections.
// Each module receives only its own section. Durations in the files are
// strings with a unit ("250ms", "30s", "5m", "2h", "7d"); sizes are integers
// in bytes; secrets and key material are file paths, never inline values.
#pragma once

#include "core/alert_rules.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::config {

using core::duration;
using namespace std::chrono_literals;

// [native]: length-prefixed protobuf frames over mutual TLS 1.3.
struct native_section {
  std::string listen = "0.0.0.0:7443";      // HOST:PORT; port 0 picks a free port
  std::uint32_t max_frame_bytes = 1 << 20;  // larger frames get TOO_LARGE and a close
  duration handshake_timeout = 5s;          // TLS handshake, then again for Hello
  duration idle_timeout = 120s;             // no frame from the client for this long: close
  duration write_timeout = 30s;             // one write to the socket
  std::size_t max_connections = 4096;       // authenticated, all principals together
  std::size_t max_connections_per_principal = 16;
  std::size_t max_pending_connections = 512;  // not yet authenticated, all addresses together
  std::size_t max_pending_per_address = 64;   // not yet authenticated, from one source address
  std::size_t max_in_flight_publishes = 256;  // per connection; reading pauses beyond it
  std::size_t outbox_max_bytes =
      8 << 20;  // per connection; a consumer beyond it reads from the database
  std::size_t max_consumers_per_connection = 16;  // durable consumers one connection may hold
};

// [https]: HTTPS API and WebSocket stream (Beast), same identity rules.
struct https_section {
  std::string listen = "0.0.0.0:8443";
  std::size_t max_header_bytes = 16 * 1024;  // request line and headers; beyond: 431
  std::size_t max_body_bytes =
      1 << 20;                      // request body or WebSocket message; beyond: 413 / close 1009
  duration handshake_timeout = 5s;  // the TLS handshake
  duration header_timeout = 10s;    // the request line and headers of each request
  duration request_timeout = 30s;   // the body of a request, and its response
  std::size_t max_header_fields = 100;        // header fields of one request; beyond: 431
  std::size_t max_header_line_bytes = 8192;   // one header field (name and value); beyond: 431
  std::size_t max_connections = 4096;         // with a registered certificate, all together
  std::size_t max_pending_connections = 512;  // handshaking or without a registered certificate
  std::size_t max_pending_per_address = 64;   // ...from one source address
  std::size_t max_streams_per_principal = 8;  // concurrent WebSocket streams of one principal
  duration stream_idle_timeout =
      60s;  // a stream with no traffic (not even a pong) for this long is closed
  duration stream_ping_interval = 20s;  // the server pings an otherwise quiet stream this often
  std::size_t stream_outbox_max_bytes =
      8 << 20;  // per stream; a consumer beyond it reads from the database
  std::size_t stream_max_in_flight_publishes = 256;  // per stream; reading pauses beyond it
  std::size_t max_consumers_per_stream = 16;         // durable consumers one stream may hold
};

// [tls]: files of the task force PKI.
struct tls_section {
  std::string ca_file;    // CA that issues client and server certificates
  std::string cert_file;  // the server's certificate chain
  std::string key_file;   // the server's private key
  std::string crl_file;   // optional certificate revocation list (PEM)
};

// [database]
struct database_section {
  std::string url;  // libpq URI, e.g. postgresql://liaison@127.0.0.1:5432/liaison
  // The owner role's URI: migrations run as it, and it grants the runtime
  // role of `url` its privileges. Empty: migrations run with `url`.
  std::string owner_url;
  // Serve even when the role of `url` could rewrite the record (owns the
  // tables, holds UPDATE/DELETE/TRUNCATE on them): development only.
  bool allow_privileged_role = false;
  std::size_t batch_max = 512;     // publishes per group-commit transaction
  std::size_t queue_max = 20000;   // queued requests before RESOURCE_EXHAUSTED
  std::size_t reader_threads = 2;  // connections serving backlog reads
  std::size_t backlog_page = 256;  // alerts per backlog read
  duration reconnect_min = 100ms;  // back-off after a lost connection...
  duration reconnect_max = 5s;     // ...doubling up to this
  bool apply_migrations = true;    // at start-up
  // Committed alerts waiting in memory for live fan-out; beyond it the
  // newest are read back from the database (store/log_follower.hpp).
  std::size_t live_queue_max = 65536;
};

// [registry]: who takes part.
struct registry_section {
  std::string members_file;  // members.toml: members, groups, principals, keys
  std::string keys_dir;      // directory of the public key files named in members.toml
};

// [alerts] publish_rate_per_member and publish_burst_per_member: how fast one
// member (all its desks and connections together) may publish; the excess
// gets RESOURCE_EXHAUSTED before its signature is even checked.
struct publish_rate_section {
  std::uint64_t per_member = 2000;        // alerts per second, sustained; 0: no limit
  std::uint64_t burst_per_member = 4000;  // accepted back to back after a quiet spell
};

// [audit]: the auditors' HTTPS API and the signed Merkle tree over the audit log.
struct audit_section {
  std::string signing_key_file;  // Ed25519 key (PEM) signing tree heads; empty: none
  std::uint64_t tree_head_every_entries = 1000;  // a head at least every N audit rows...
  duration tree_head_interval = 60s;             // ...and this often while rows arrive
  std::size_t query_threads = 2;                 // connections serving auditors
  duration query_timeout = 30s;                  // statement_timeout of one query
  std::size_t max_page_rows = 1000;              // rows of a JSON page (largest limit)
  // Deliveries are audited per consumer in one row for all the seqs written
  // within this interval (and at the connection's end)...
  duration delivery_row_interval = 250ms;
  // ...or sooner, once a connection has written this many deliveries.
  std::size_t delivery_row_max_seqs = 4096;
  // Failed authentications of strangers are written as one summary row per
  // port, source address and outcome this often ("auth.failures").
  duration failure_summary_interval = 1min;
};

// [log]
// Read deadlines for each priority (nullopt: none); see rapid/deadlines.hpp.
struct deadlines_section {
  std::optional<duration> flash = std::chrono::minutes(15);
  std::optional<duration> urgent = std::chrono::hours(2);
  std::optional<duration> routine;
  std::uint32_t max_escalations = 2;  // deadlines per recipient, one window apart
  duration check_interval = 1s;       // how often passed deadlines are looked for
};

struct presence_section {
  // A desk on duty that sends nothing, not even a Pong to the server's Ping,
  // for this long stops counting as on duty (until it answers again).
  duration stall_after = 45s;
  // How often this node refreshes its desks' presence in the database;
  // another node's rows count for three times this.
  duration heartbeat = 10s;
};

struct log_section {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json
};

struct server_config {
  std::string node_id = "node-1";  // names this process in logs and audit rows
  native_section native;
  https_section https;
  tls_section tls;
  database_section database;
  registry_section registry;
  core::alert_limits alerts;          // [alerts]: limits on one alert
  publish_rate_section publish_rate;  // [alerts]: limits on a member's publishes
  audit_section audit;
  deadlines_section deadlines;
  presence_section presence;
  log_section log;
};

// A configuration that cannot be used. what() lists every problem, one per
// line, each naming the file and the key and saying what was expected.
class config_error : public std::runtime_error {
 public:
  // Each of `problems` ("key.path: expected ..., got ...") is stored and
  // reported prefixed with "FILE: ".
  config_error(const std::string& file, std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Parses and validates liaison.toml. Relative paths in the file are resolved
// against the file's directory. Throws config_error.
server_config load_server_config(const std::string& path);
// The same from text already in memory (fuzzing, tests): `name` is the file
// named in messages, and relative paths resolve against its directory; it
// must not be empty. Throws config_error.
server_config parse_server_config_text(std::string_view toml, const std::string& name);

// Parses members.toml and loads the public key files it names from
// `section.keys_dir`; checks the result with core::registry::check.
// Throws config_error listing every problem.
core::registry_data load_registry(const registry_section& section);

// Parses "250ms", "30s", "5m", "2h", "7d"; nullopt otherwise.
std::optional<duration> parse_duration(std::string_view text);
// The inverse: the largest unit that divides `d` exactly ("250ms", "2m", "7d").
std::string format_duration(duration d);

}  // namespace liaison::config
