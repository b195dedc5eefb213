// pq_ceiling: what PostgreSQL alone allows on this machine. Writes the rows
// liaisond writes for each published alert (an alerts row with the signed
// bytes, its alert_recipients rows, its hash-chained audit row) in
// group-commit transactions that lock and advance log_head and audit_head,
// with synchronous_commit on: no network clients, no TLS, no signatures, no
// server. The database must have liaisond's migrations applied.
//
//   pq_ceiling --db URL [--alerts N] [--batch B] [--recipients R] [--body BYTES]
//              [--method unnest|binary|values] [--json FILE]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using field = std::optional<std::string>;
using row = std::vector<field>;

struct table {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::string> types;
};

const table alerts_table{
    "alerts",
    {"seq",         "origin",         "alert_id",   "payload",          "signature",
     "key_id",      "payload_sha256", "kind",       "category",         "priority",
     "tlp",         "restriction",    "subject",    "created_at",       "expires_at",
     "in_reply_to", "case_reference", "recipients", "named_recipients", "received_at",
     "published_by"},
    {"bigint",      "text", "uuid", "bytea",  "bytea",  "text",        "bytea",
     "text",        "text", "text", "text",   "text",   "text",        "timestamptz",
     "timestamptz", "uuid", "text", "text[]", "text[]", "timestamptz", "text"}};
const table recipients_table{
    "alert_recipients", {"member", "seq", "lane"}, {"text", "bigint", "smallint"}};
const table audit_table{
    "audit_log",
    {"id", "at", "actor", "actor_member", "action", "subject", "outcome", "detail", "prev_hash",
     "row_hash"},
    {"bigint", "timestamptz", "text", "text", "text", "text", "text", "text", "bytea", "bytea"}};

std::mt19937_64 rng(std::random_device{}());

std::string hex_bytes(std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\x";
  for (std::size_t i = 0; i < n; ++i) {
    auto b = rng();
    out += digits[b & 15];
    out += digits[(b >> 4) & 15];
  }
  return out;
}

std::string uuid() {
  std::string h = hex_bytes(16).substr(2);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) +
         "-" + h.substr(20);
}

// "{"a","b"}" with quoting, as an array literal or an array element.
std::string array_literal(const std::vector<field>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

const std::vector<std::string> members = {"AL", "AT", "BA", "BE", "BG", "CH", "CY", "CZ", "DE",
                                          "DK", "FR", "GR", "HR", "HU", "IT", "MD", "ME", "MK",
                                          "NL", "PL", "RO", "RS", "SE", "SI", "SK", "TR", "XK"};

struct batch_rows {
  std::vector<row> alerts, recipients, audit;
};

batch_rows make_batch(std::uint64_t first_seq, std::uint64_t first_audit, std::size_t n,
                      std::size_t recipients, std::size_t body) {
  batch_rows b;
  const std::string now = "2025-01-01 12:00:00.000000+00";
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = first_seq + i;
    const std::string& origin = members[seq % members.size()];
    std::vector<field> to;
    for (std::size_t r = 0; r < recipients; ++r)
      to.push_back(members[(seq + 1 + r) % members.size()]);
    b.alerts.push_back({std::to_string(seq),
                        origin,
                        uuid(),
                        hex_bytes(body + 180),
                        hex_bytes(64),
                        origin + "-1",
                        hex_bytes(32),
                        "INFORMATION",
                        "SMUGGLING_ROUTE",
                        "ROUTINE",
                        "AMBER",
                        "H0",
                        "Benchmark alert from " + origin,
                        now,
                        std::nullopt,
                        std::nullopt,
                        "t=123456789",
                        array_literal(to),
                        "{}",
                        now,
                        origin + ".desk"});
    for (const auto& m : to)
      b.recipients.push_back({*m, std::to_string(seq), "3"});  // ROUTINE lane
    std::string detail = R"({"category":"SMUGGLING_ROUTE","duplicate":false,"key_id":")" + origin +
                         R"(-1","kind":"INFORMATION","named_recipients":[],"origin":")" + origin +
                         R"(","payload_sha256":")" + hex_bytes(32).substr(2) +
                         R"(","priority":"ROUTINE","recipients":)" + array_literal(to) +
                         R"(,"restriction":"H0","seq":)" + std::to_string(seq) +
                         R"(,"tlp":"AMBER"})";
    b.audit.push_back({std::to_string(first_audit + i), now, origin + ".desk", origin,
                       "alert.publish", *b.alerts.back()[2], "ok", detail, hex_bytes(32),
                       hex_bytes(32)});
  }
  return b;
}

std::string column_list(const table& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// INSERT ... SELECT FROM unnest(one array per column): one prepared statement
// of fixed arity, whatever the batch size. Array-typed columns travel as the
// text of each array and are cast back.
void prepare_unnest(pqxx::connection& c, const table& t) {
  std::string args, select;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const bool is_array = t.types[i].ends_with("[]");
    args +=
        (i ? ", $" : "$") + std::to_string(i + 1) + "::" + (is_array ? "text" : t.types[i]) + "[]";
    select += (i ? ", c" : "c") + std::to_string(i + 1) + (is_array ? "::" + t.types[i] : "");
  }
  std::string names;
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    names += (i ? ", c" : "c") + std::to_string(i + 1);
  c.prepare("unnest_" + t.name, "INSERT INTO " + t.name + " (" + column_list(t) + ") SELECT " +
                                    select + " FROM unnest(" + args + ") AS u(" + names + ")");
}

void insert_unnest(pqxx::work& tx, const table& t, const std::vector<row>& rows) {
  std::vector<std::string> arrays;
  for (std::size_t col = 0; col < t.columns.size(); ++col) {
    std::vector<field> values;
    values.reserve(rows.size());
    for (const auto& r : rows) values.push_back(r[col]);
    arrays.push_back(array_literal(values));
  }
  tx.exec_prepared("unnest_" + t.name, pqxx::prepare::make_dynamic_params(arrays));
}

// The binary wire form of a bytea[] parameter (PostgreSQL's array_recv):
// header, then each element as a 4-byte length and its raw bytes.
std::string binary_bytea_array(const std::vector<row>& rows, std::size_t col) {
  auto put32 = [](std::string& out, std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    out.append(b, 4);
  };
  std::string out;
  put32(out, 1);   // dimensions
  put32(out, 0);   // no NULLs
  put32(out, 17);  // element type: bytea
  put32(out, static_cast<std::uint32_t>(rows.size()));
  put32(out, 1);  // lower bound
  for (const auto& r : rows) {
    // The rows hold "\x<hex>": decode back to raw bytes.
    const std::string& hex = *r[col];
    put32(out, static_cast<std::uint32_t>((hex.size() - 2) / 2));
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 2; i + 1 < hex.size(); i += 2)
      out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

// As insert_unnest, with the bytea columns sent as binary parameters: no hex
// text to build, send and parse, half the bytes.
void insert_binary(pqxx::work& tx, const table& t, const std::vector<row>& rows) {
  // libpqxx 6 has no non-deprecated way to mix binary and text parameters
  // whose number and order vary per table at run time.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::prepare::invocation call = tx.prepared("unnest_" + t.name);
#pragma GCC diagnostic pop
  std::vector<std::string> texts;
  texts.reserve(t.columns.size());
  for (std::size_t col = 0; col < t.columns.size(); ++col) {
    if (t.types[col] == "bytea") {
      const std::string bin = binary_bytea_array(rows, col);
      call(pqxx::binarystring(bin.data(), bin.size()));
      continue;
    }
    std::vector<field> values;
    values.reserve(rows.size());
    for (const auto& r : rows) values.push_back(r[col]);
    call(array_literal(values));
  }
  call.exec();
}

void insert_values(pqxx::work& tx, const table& t, const std::vector<row>& rows) {
  const std::size_t per = 65535 / t.columns.size();
  for (std::size_t start = 0; start < rows.size(); start += per) {
    const std::size_t n = std::min(per, rows.size() - start);
    std::string sql = "INSERT INTO " + t.name + " (" + column_list(t) + ") VALUES ";
    std::vector<field> params;
    for (std::size_t i = 0; i < n; ++i) {
      sql += i ? ",(" : "(";
      for (std::size_t col = 0; col < t.columns.size(); ++col) {
        params.push_back(rows[start + i][col]);
        sql += (col ? ",$" : "$") + std::to_string(params.size()) + "::" + t.types[col];
      }
      sql += ")";
    }
    tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pq_ceiling: liaisond's rows written by a plain batched libpqxx writer"};
  std::string url, method = "binary", json_file;
  std::size_t alerts = 100000, batch = 512, recipients = 1, body = 1024;
  app.add_option("--db", url, "PostgreSQL URL of a database with liaisond's migrations")
      ->required();
  app.add_option("--alerts", alerts, "alerts to write (default 100000)");
  app.add_option("--batch", batch, "alerts per transaction (default 512)");
  app.add_option("--recipients", recipients, "recipients per alert (default 1)");
  app.add_option("--body", body, "alert body bytes (default 1024)");
  app.add_option(
         "--method", method,
         "binary (default: unnest, bytea columns in binary format), unnest (all text) or values "
         "(multi-row VALUES)")
      ->check(CLI::IsMember({"unnest", "binary", "values"}));
  app.add_option("--json", json_file, "also write the result here");
  CLI11_PARSE(app, argc, argv);

  try {
    pqxx::connection c(url);
    pqxx::nontransaction(c).exec("SET synchronous_commit = on");
    for (const auto* t : {&alerts_table, &recipients_table, &audit_table}) prepare_unnest(c, *t);
    auto insert = method == "values"   ? insert_values
                  : method == "binary" ? insert_binary
                                       : insert_unnest;
    std::uint64_t rows = 0;
    double build_seconds = 0, insert_seconds = 0, commit_seconds = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t done = 0; done < alerts;) {
      const std::size_t n = std::min(batch, alerts - done);
      pqxx::work tx(c);
      const auto head = tx.exec1("SELECT last_seq FROM log_head FOR UPDATE")[0].as<std::uint64_t>();
      const auto audit_head =
          tx.exec1("SELECT last_id FROM audit_head FOR UPDATE")[0].as<std::uint64_t>();
      const auto b0 = std::chrono::steady_clock::now();
      auto b = make_batch(head + 1, audit_head + 1, n, recipients, body);
      build_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
      const auto i0 = std::chrono::steady_clock::now();
      insert(tx, alerts_table, b.alerts);
      insert(tx, recipients_table, b.recipients);
      insert(tx, audit_table, b.audit);
      insert_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - i0).count();
      tx.exec("UPDATE log_head SET last_seq = " + std::to_string(head + n));
      tx.exec("UPDATE audit_head SET last_id = " + std::to_string(audit_head + n) +
              ", last_hash = '" + hex_bytes(32) + "'::bytea");
      const auto c0 = std::chrono::steady_clock::now();
      tx.commit();
      commit_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
      rows += b.alerts.size() + b.recipients.size() + b.audit.size();
      done += n;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double db_seconds = seconds - build_seconds;
    std::printf(
        "pq_ceiling (%s, batch %zu, %zu recipient(s), body %zu B): %zu alerts, %llu rows in %.2f "
        "s\n",
        method.c_str(), batch, recipients, body, alerts, static_cast<unsigned long long>(rows),
        seconds);
    std::printf("  %.0f alerts/s, %.0f rows/s (%.0f alerts/s counting only database time)\n",
                static_cast<double>(alerts) / seconds, static_cast<double>(rows) / seconds,
                static_cast<double>(alerts) / db_seconds);
    const double batches = std::ceil(static_cast<double>(alerts) / static_cast<double>(batch));
    std::printf("  per batch: %.1f ms in the INSERTs, %.1f ms in COMMIT, %.1f ms building rows\n",
                insert_seconds * 1e3 / batches, commit_seconds * 1e3 / batches,
                build_seconds * 1e3 / batches);
    if (!json_file.empty()) {
      nlohmann::json j = {{"method", method},
                          {"batch", batch},
                          {"recipients", recipients},
                          {"body_bytes", body},
                          {"alerts", alerts},
                          {"rows", rows},
                          {"seconds", seconds},
                          {"alerts_per_s", static_cast<double>(alerts) / seconds},
                          {"rows_per_s", static_cast<double>(rows) / seconds},
                          {"db_only_alerts_per_s", static_cast<double>(alerts) / db_seconds},
                          {"insert_seconds", insert_seconds},
                          {"commit_seconds", commit_seconds}};
      std::ofstream(json_file) << j.dump(2) << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pq_ceiling: %s\n", e.what());
    return 1;
  }
  return 0;
}
