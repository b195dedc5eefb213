// `liaison admin connections|consumers|members`: the operators' view
// (GET /v1/admin/...) as a table on a terminal, or the JSON answer with
// --json. Read-only; the server allows it to the admin principal only.
#include "auditor_requests.hpp"
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>

namespace liaison::cli {
namespace {

struct admin_options {
  std::string id_dir;
  std::string server = "127.0.0.1:8443";
  bool json = false;
  int limit = 0;
  int timeout_ms = 30000;
};

std::string text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_connections(const nlohmann::json& body) {
  std::cout << std::left << std::setw(10) << "TRANSPORT" << std::setw(28) << "PRINCIPAL"
            << std::setw(8) << "MEMBER" << std::setw(12) << "ROLE" << std::setw(40) << "ADDRESS"
            << "SINCE\n";
  for (const auto& c : body["connections"])
    std::cout << std::left << std::setw(10) << text(c["transport"]) << std::setw(28)
              << text(c["principal"]) << std::setw(8) << text(c["member"]) << std::setw(12)
              << text(c["role"]) << std::setw(40) << text(c["address"]) << text(c["since"]) << "\n";
  const auto& n = body["counts"];
  std::cout << body["connections"].size() << " connection(s) on " << text(body["node"])
            << "; handshaking: native " << n["native_handshaking"] << ", https "
            << n["https_handshaking"] << "\n";
}

// One number, or each lane's when a consumer with lanes has them apart.
std::string cursors(const nlohmann::json& c) {
  const auto& l = c["lanes"];
  if (l["FLASH"] == l["URGENT"] && l["URGENT"] == l["ROUTINE"]) return c["cursor"].dump();
  return "F" + l["FLASH"].dump() + " U" + l["URGENT"].dump() + " R" + l["ROUTINE"].dump();
}

void print_consumers(const nlohmann::json& body) {
  std::cout << std::left << std::setw(28) << "PRINCIPAL" << std::setw(20) << "CONSUMER"
            << std::setw(8) << "MEMBER" << std::setw(22) << "CURSOR" << std::setw(10) << "PENDING"
            << std::setw(14) << "OLDEST (s)" << std::setw(12) << "HERE"
            << "LAST ACK\n";
  for (const auto& c : body["consumers"]) {
    std::string pending = c["pending"].dump() + (c["pending_more"].get<bool>() ? "+" : "");
    std::string age = "-";
    if (c["oldest_pending_age_seconds"].is_number()) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(1) << c["oldest_pending_age_seconds"].get<double>();
      age = s.str();
    }
    std::string here = !c["held_here"].get<bool>() ? "no"
                       : c["live"].get<bool>()     ? "live"
                                                   : "catching up";
    std::cout << std::left << std::setw(28) << text(c["principal"]) << std::setw(20)
              << text(c["consumer"]) << std::setw(8) << text(c["member"]) << std::setw(22)
              << cursors(c) << std::setw(10) << pending << std::setw(14) << age << std::setw(12)
              << here << text(c["last_ack_at"]) << "\n";
  }
  std::cout << body["consumers"].size() << " consumer(s); log head " << body["log_head"]
            << (body["truncated"].get<bool>() ? "; more exist (raise --limit)" : "") << "\n";
}

void print_members(const nlohmann::json& body) {
  std::cout << std::left << std::setw(8) << "MEMBER" << std::setw(24) << "NAME" << std::setw(13)
            << "DUTY" << std::setw(12) << "ON DUTY" << std::setw(8) << "HERE" << std::setw(12)
            << "PRINCIPALS"
            << "SIGNING KEYS\n";
  for (const auto& m : body["members"]) {
    std::string keys;
    for (const auto& k : m["signing_keys"])
      keys += (keys.empty() ? "" : ",") + k["key_id"].get<std::string>() +
              (k["revoked"].get<bool>() ? "(revoked)" : "");
    const auto& d = m["duty"];
    std::string on_duty =
        d.is_null() ? "-" : d["desks_on_duty"].dump() + "/" + d["desks_connected"].dump();
    std::cout << std::left << std::setw(8) << text(m["member"]) << std::setw(24) << text(m["name"])
              << std::setw(13) << (d.is_null() ? "UNREACHABLE" : text(d["state"])) << std::setw(12)
              << on_duty << std::setw(8) << m["connections_here"].dump() << std::setw(12)
              << m["principals"].size() << (keys.empty() ? "-" : keys) << "\n";
  }
}

int run_admin(const std::string& what, const admin_options& o) {
  auto id = pki::load_identity(o.id_dir);
  query q;
  if (o.limit > 0) {
    if (what != "consumers") throw command_failure(exit_error, "--limit applies to consumers");
    q.emplace_back("limit", std::to_string(o.limit));
  }
  auto body = get_json(id, o.server, target("/v1/admin/" + what, q),
                       std::chrono::milliseconds(o.timeout_ms));
  if (o.json) {
    std::cout << body.dump(2) << std::endl;
  } else if (what == "connections") {
    print_connections(body);
  } else if (what == "consumers") {
    print_consumers(body);
  } else {
    print_members(body);
  }
  return 0;
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto* admin = app.add_subcommand(
      "admin", "the operators' view of a node (admin principal; exit 1 error, 2 refused)");
  admin->require_subcommand(1);
  const std::pair<const char*, const char*> views[] = {
      {"connections", "who is connected to this node, from where, since when"},
      {"consumers", "every durable consumer: cursor, pending alerts, age of the oldest, last ack"},
      {"members", "each member: duty state, desks on duty, principals, signing keys"}};
  for (const auto& [name, help] : views) {
    auto o = std::make_shared<admin_options>();
    auto* cmd = admin->add_subcommand(name, help);
    cmd->add_option("--id", o->id_dir, "identity folder of the admin, e.g. .liaison/pki/ops")
        ->required();
    cmd->add_option("--server", o->server, "HOST:PORT of the HTTPS listener")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "print the server's JSON answer instead of a table");
    if (std::string(name) == "consumers")
      cmd->add_option("--limit", o->limit, "at most this many consumers (server default 1000)")
          ->check(CLI::Range(1, 10000));
    cmd->add_option("--timeout-ms", o->timeout_ms, "deadline of each network step")
        ->capture_default_str();
    cmd->callback([o, what = std::string(name), &exit_code] {
      try {
        exit_code = run_admin(what, *o);
      } catch (const command_failure& e) {
        std::cerr << "liaison admin " << what << ": " << e.what() << "\n";
        exit_code = e.code();
      }
    });
  }
}

}  // namespace liaison::cli
