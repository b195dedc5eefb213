#include "config/server_config.hpp"

#include "config/toml_reader.hpp"
#include "core/host_port.hpp"

#include <filesystem>
#include <limits>

namespace liaison::config {
namespace {

namespace fs = std::filesystem;
using detail::table_reader;

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t mib = 1024 * kib;
constexpr std::uint64_t gib = 1024 * mib;
// Counts have no natural ceiling; this one only catches a stray digit.
constexpr std::uint64_t huge = std::uint64_t{1} << 40;

std::string prefixed(const std::string& file, const std::string& problem) {
  return file + ": " + problem;
}

std::vector<std::string> prefix_all(const std::string& file, std::vector<std::string> problems) {
  for (auto& p : problems) p = prefixed(file, p);
  return problems;
}

std::string join_lines(const std::vector<std::string>& lines, const std::string& file) {
  if (lines.empty()) return file + ": invalid configuration";
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

bool valid_node_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void read_listen(table_reader& r, std::string& out) {
  std::string text = out;
  if (!r.read_string("listen", text)) return;
  if (!core::parse_host_port(text)) {
    r.expected("listen", "HOST:PORT such as \"0.0.0.0:7443\" or \"[::1]:7443\"", *r.node("listen"));
    return;
  }
  out = text;
}

void read_server(table_reader r, server_config& c) {
  std::string id = c.node_id;
  if (r.read_string("node_id", id)) {
    if (valid_node_id(id))
      c.node_id = id;
    else
      r.expected("node_id", "1 to 64 letters, digits, '.', '-' or '_'", *r.node("node_id"));
  }
  r.finish();
}

void read_native(table_reader r, native_section& n) {
  read_listen(r, n.listen);
  r.read_count("max_frame_bytes", n.max_frame_bytes, kib, 64 * mib);
  r.read_duration("handshake_timeout", n.handshake_timeout, core::duration{1});
  r.read_duration("idle_timeout", n.idle_timeout, core::duration{1});
  r.read_duration("write_timeout", n.write_timeout, core::duration{1});
  r.read_count("max_connections", n.max_connections, 1, huge);
  r.read_count("max_connections_per_principal", n.max_connections_per_principal, 1, huge);
  r.read_count("max_pending_connections", n.max_pending_connections, 1, huge);
  r.read_count("max_pending_per_address", n.max_pending_per_address, 1, huge);
  r.read_count("max_in_flight_publishes", n.max_in_flight_publishes, 1, huge);
  if (r.read_count("outbox_max_bytes", n.outbox_max_bytes, kib, 16 * gib) &&
      n.outbox_max_bytes < n.max_frame_bytes)
    r.expected("outbox_max_bytes",
               "at least native.max_frame_bytes (" + std::to_string(n.max_frame_bytes) + ")",
               *r.node("outbox_max_bytes"));
  r.read_count("max_consumers_per_connection", n.max_consumers_per_connection, 1, 4096);
  r.finish();
}

void read_https(table_reader r, https_section& h) {
  read_listen(r, h.listen);
  r.read_count("max_header_bytes", h.max_header_bytes, kib, mib);
  r.read_count("max_body_bytes", h.max_body_bytes, kib, 64 * mib);
  r.read_duration("handshake_timeout", h.handshake_timeout, core::duration{1});
  r.read_duration("header_timeout", h.header_timeout, core::duration{1});
  r.read_duration("request_timeout", h.request_timeout, core::duration{1});
  r.read_count("max_header_fields", h.max_header_fields, 1, 100000);
  r.read_count("max_header_line_bytes", h.max_header_line_bytes, 64, mib);
  r.read_count("max_connections", h.max_connections, 1, huge);
  r.read_count("max_pending_connections", h.max_pending_connections, 1, huge);
  r.read_count("max_pending_per_address", h.max_pending_per_address, 1, huge);
  r.read_count("max_streams_per_principal", h.max_streams_per_principal, 1, huge);
  r.read_duration("stream_idle_timeout", h.stream_idle_timeout, core::duration{1});
  if (r.read_duration("stream_ping_interval", h.stream_ping_interval, core::duration{1}) &&
      h.stream_ping_interval >= h.stream_idle_timeout)
    r.expected("stream_ping_interval", "a duration shorter than https.stream_idle_timeout",
               *r.node("stream_ping_interval"));
  if (r.read_count("stream_outbox_max_bytes", h.stream_outbox_max_bytes, kib, 16 * gib) &&
      h.stream_outbox_max_bytes < h.max_body_bytes)
    r.expected("stream_outbox_max_bytes",
               "at least https.max_body_bytes (" + std::to_string(h.max_body_bytes) + ")",
               *r.node("stream_outbox_max_bytes"));
  r.read_count("stream_max_in_flight_publishes", h.stream_max_in_flight_publishes, 1, huge);
  r.read_count("max_consumers_per_stream", h.max_consumers_per_stream, 1, 4096);
  r.finish();
}

void read_tls(table_reader r, tls_section& t, const fs::path& base) {
  r.read_path("ca_file", t.ca_file, base, true);
  r.read_path("cert_file", t.cert_file, base, true);
  r.read_path("key_file", t.key_file, base, true);
  r.read_path("crl_file", t.crl_file, base, false);
  r.finish();
}

void read_database(table_reader r, database_section& d) {
  r.read_string("url", d.url, true);
  r.read_string("owner_url", d.owner_url, false);
  r.read_bool("allow_privileged_role", d.allow_privileged_role);
  r.read_count("batch_max", d.batch_max, 1, huge);
  r.read_count("queue_max", d.queue_max, 1, huge);
  r.read_count("reader_threads", d.reader_threads, 1, 256);
  r.read_count("backlog_page", d.backlog_page, 1, huge);
  r.read_duration("reconnect_min", d.reconnect_min, core::duration{1});
  if (r.read_duration("reconnect_max", d.reconnect_max, core::duration{1}) &&
      d.reconnect_max < d.reconnect_min)
    r.expected("reconnect_max", "a duration not shorter than database.reconnect_min",
               *r.node("reconnect_max"));
  r.read_bool("apply_migrations", d.apply_migrations);
  r.read_count("live_queue_max", d.live_queue_max, 1, huge);
  r.finish();
}

void read_registry(table_reader r, registry_section& g, const fs::path& base) {
  r.read_path("members_file", g.members_file, base, true);
  r.read_path("keys_dir", g.keys_dir, base, true);
  r.finish();
}

void read_alerts(table_reader r, core::alert_limits& a, publish_rate_section& rate) {
  r.read_count("max_recipients", a.max_recipients, 1, 100000);
  r.read_count("max_entities", a.max_entities, 0, 100000);
  r.read_count("max_subject_bytes", a.max_subject_bytes, 1, 64 * mib);
  r.read_count("max_body_bytes", a.max_body_bytes, 1, 64 * mib);
  r.read_count("max_entity_value_bytes", a.max_entity_value_bytes, 1, 64 * mib);
  r.read_count("max_restriction_text_bytes", a.max_restriction_text_bytes, 1, 64 * mib);
  r.read_count("max_case_reference_bytes", a.max_case_reference_bytes, 1, 64 * mib);
  r.read_duration("max_clock_skew", a.max_clock_skew, core::duration{0});
  r.read_duration("max_age", a.max_age, core::duration{1});
  r.read_count("publish_rate_per_member", rate.per_member, 0, 1'000'000);
  r.read_count("publish_burst_per_member", rate.burst_per_member, 1, 1'000'000'000);
  r.finish();
}

void read_audit(table_reader r, audit_section& a, const fs::path& base) {
  r.read_path("signing_key_file", a.signing_key_file, base, false);
  r.read_count("tree_head_every_entries", a.tree_head_every_entries, 1, huge);
  r.read_duration("tree_head_interval", a.tree_head_interval,
                  core::duration{std::chrono::seconds(1)});
  r.read_count("query_threads", a.query_threads, 1, 64);
  r.read_duration("query_timeout", a.query_timeout, core::duration{std::chrono::milliseconds(100)});
  r.read_count("max_page_rows", a.max_page_rows, 10, 100000);
  r.read_duration("delivery_row_interval", a.delivery_row_interval,
                  core::duration{std::chrono::milliseconds(1)});
  r.read_count("delivery_row_max_seqs", a.delivery_row_max_seqs, 1, 1'000'000);
  r.read_duration("failure_summary_interval", a.failure_summary_interval,
                  core::duration{std::chrono::seconds(1)});
  r.finish();
}

// "none" or a duration.
void read_optional_duration(table_reader& r, std::string_view key, std::optional<duration>& out) {
  const auto* node = r.node(key);
  if (!node) return;
  const auto* text = node->as_string();
  if (text && text->get() == "none") {
    out.reset();
    return;
  }
  auto d = text ? parse_duration(text->get()) : std::nullopt;
  if (!d || d->count() <= 0) {
    r.expected(key, "a duration such as \"15m\" or \"none\"", *node);
    return;
  }
  out = *d;
}

void read_deadlines(table_reader r, deadlines_section& d) {
  read_optional_duration(r, "flash", d.flash);
  read_optional_duration(r, "urgent", d.urgent);
  read_optional_duration(r, "routine", d.routine);
  r.read_count("max_escalations", d.max_escalations, 1, 100);
  r.read_duration("check_interval", d.check_interval,
                  core::duration{std::chrono::milliseconds(100)});
  r.finish();
}

void read_presence(table_reader r, presence_section& p) {
  r.read_duration("stall_after", p.stall_after, core::duration{std::chrono::seconds(1)});
  r.read_duration("heartbeat", p.heartbeat, core::duration{std::chrono::seconds(1)});
  r.finish();
}

void read_log(table_reader r, log_section& l) {
  r.read_choice("level", l.level, {"trace", "debug", "info", "warn", "error"});
  r.read_choice("format", l.format, {"text", "json"});
  r.finish();
}

// The one code path of load_server_config and parse_server_config_text.
server_config parse_server_config(const toml::table& root, const std::string& path) {
  const auto base = fs::absolute(path).parent_path();
  detail::problem_list problems;
  table_reader top(&root, "", problems);
  server_config c;
  read_server(top.section("server"), c);
  read_native(top.section("native"), c.native);
  read_https(top.section("https"), c.https);
  read_tls(top.section("tls"), c.tls, base);
  read_database(top.section("database"), c.database);
  read_registry(top.section("registry"), c.registry, base);
  read_alerts(top.section("alerts"), c.alerts, c.publish_rate);
  read_audit(top.section("audit"), c.audit, base);
  read_deadlines(top.section("deadlines"), c.deadlines);
  read_presence(top.section("presence"), c.presence);
  read_log(top.section("log"), c.log);
  top.finish();
  if (!problems.empty()) throw config_error(path, std::move(problems));
  return c;
}

}  // namespace

config_error::config_error(const std::string& file, std::vector<std::string> problems)
    : std::runtime_error(join_lines(prefix_all(file, problems), file)),
      problems_(prefix_all(file, std::move(problems))) {}

std::optional<duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;  // 15 digits cannot overflow below
  std::int64_t n = 0;
  for (std::size_t i = 0; i < digits; ++i) n = n * 10 + (text[i] - '0');
  auto unit = text.substr(digits);
  std::int64_t micros_per_unit = 0;
  if (unit == "us")
    micros_per_unit = 1;
  else if (unit == "ms")
    micros_per_unit = 1000;
  else if (unit == "s")
    micros_per_unit = 1000 * 1000;
  else if (unit == "m")
    micros_per_unit = std::int64_t{60} * 1000 * 1000;
  else if (unit == "h")
    micros_per_unit = std::int64_t{3600} * 1000 * 1000;
  else if (unit == "d")
    micros_per_unit = std::int64_t{86400} * 1000 * 1000;
  else
    return std::nullopt;
  if (n > std::numeric_limits<std::int64_t>::max() / micros_per_unit) return std::nullopt;
  return duration{n * micros_per_unit};
}

std::string format_duration(duration d) {
  struct unit {
    std::int64_t micros;
    const char* suffix;
  };
  constexpr unit units[] = {{std::int64_t{86400} * 1000 * 1000, "d"},
                            {std::int64_t{3600} * 1000 * 1000, "h"},
                            {std::int64_t{60} * 1000 * 1000, "m"},
                            {1000 * 1000, "s"},
                            {1000, "ms"}};
  const auto n = d.count();
  if (n == 0) return "0s";
  for (const auto& u : units)
    if (n % u.micros == 0) return std::to_string(n / u.micros) + u.suffix;
  return std::to_string(n) + "us";
}

server_config load_server_config(const std::string& path) {
  return parse_server_config(detail::parse_toml_file(path), path);
}

server_config parse_server_config_text(std::string_view toml, const std::string& name) {
  return parse_server_config(detail::parse_toml_text(toml, name), name);
}

}  // namespace liaison::config
