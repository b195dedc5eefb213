// `liaison history`: the alert history for auditors (GET /v1/alerts and
// /v1/alerts/{id}), one JSON page or a whole export streamed as NDJSON or CSV.
#include "auditor_requests.hpp"
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace liaison::cli {
namespace {

struct history_options {
  std::string id_dir;
  std::string server = "127.0.0.1:8443";
  std::string justification;
  std::string format = "json";
  std::string alert;
  std::vector<std::string> origin, recipient, category, priority, kind, handling, entity;
  std::string from, to, text, cursor;
  int limit = 0;
  int timeout_ms = 30000;
};

int run_history(const history_options& o) {
  auto id = pki::load_identity(o.id_dir);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  query q{{"justification", o.justification}};
  if (!o.alert.empty()) {
    if (o.origin.size() > 1)
      throw command_failure(exit_error, "--alert takes at most one --origin");
    if (!o.origin.empty()) q.emplace_back("origin", o.origin.front());
    std::cout << get_json(id, o.server, target("/v1/alerts/" + o.alert, q), timeout).dump(2)
              << std::endl;
    return 0;
  }
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"origin", &o.origin},     {"recipient", &o.recipient}, {"category", &o.category},
      {"priority", &o.priority}, {"kind", &o.kind},           {"handling", &o.handling},
      {"entity", &o.entity}};
  for (const auto& [key, values] : lists)
    for (const auto& v : *values) q.emplace_back(key, v);
  const std::pair<const char*, const std::string*> singles[] = {
      {"from", &o.from}, {"to", &o.to}, {"q", &o.text}, {"cursor", &o.cursor}};
  for (const auto& [key, value] : singles)
    if (!value->empty()) q.emplace_back(key, *value);
  if (o.format == "json") {
    if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
    std::cout << get_json(id, o.server, target("/v1/alerts", q), timeout).dump(2) << std::endl;
    return 0;
  }
  if (o.limit > 0)
    throw command_failure(exit_error, "--limit applies to --format json; exports return every row");
  q.emplace_back("format", o.format);
  get_to_stdout(id, o.server, target("/v1/alerts", q), timeout);
  return 0;
}

}  // namespace

void add_history_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<history_options>();
  auto* cmd = app.add_subcommand(
      "history",
      "query or export the alert history as an auditor (exit 1 error, 2 refused by the server)");
  cmd->add_option("--id", o->id_dir, "identity folder of an auditor, e.g. .liaison/pki/auditor")
      ->required();
  cmd->add_option("--server", o->server, "HOST:PORT of the HTTPS listener")->capture_default_str();
  cmd->add_option("--justification", o->justification,
                  "why this consultation is made (written to the audit log)")
      ->required();
  cmd->add_option("--format", o->format,
                  "json (one page), ndjson or csv (the whole result, streamed)")
      ->check(CLI::IsMember({"json", "ndjson", "csv"}))
      ->capture_default_str();
  cmd->add_option("--alert", o->alert,
                  "one alert by id: its fields, envelope, signature check and timeline");
  cmd->add_option("--origin", o->origin, "member codes of the sender")->delimiter(',');
  cmd->add_option("--recipient", o->recipient, "member codes among the recipients")->delimiter(',');
  cmd->add_option("--category", o->category, "categories, e.g. VEHICLE,SMUGGLING_ROUTE")
      ->delimiter(',');
  cmd->add_option("--priority", o->priority, "FLASH, URGENT, ROUTINE")->delimiter(',');
  cmd->add_option("--kind", o->kind, "kinds, e.g. WARNING")->delimiter(',');
  cmd->add_option("--handling", o->handling,
                  "TLP levels and restrictions, e.g. RED,AMBER+STRICT,H2")
      ->delimiter(',');
  cmd->add_option("--entity", o->entity, "TYPE:VALUE, e.g. VEHICLE_PLATE:W-12345X (repeatable)");
  cmd->add_option("--from", o->from, "committed at or after (RFC 3339 or YYYY-MM-DD)");
  cmd->add_option("--to", o->to, "committed before (RFC 3339 or YYYY-MM-DD)");
  cmd->add_option("--q", o->text, "full-text search over subject, body and entity values");
  cmd->add_option("--limit", o->limit, "alerts on the JSON page (server default 100)");
  cmd->add_option("--cursor", o->cursor, "next_cursor of the previous page");
  cmd->add_option("--timeout-ms", o->timeout_ms, "deadline of each network step")
      ->capture_default_str();
  cmd->callback([o, &exit_code] {
    try {
      exit_code = run_history(*o);
    } catch (const command_failure& e) {
      std::cerr << "liaison history: " << e.what() << "\n";
      exit_code = e.code();
    }
  });
}

}  // namespace liaison::cli
