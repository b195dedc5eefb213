// `liaison publish`: build, sign and publish one alert over the native
// protocol; print the server's answer as one JSON line.
#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "client/web_client.hpp"
#include "commands.hpp"
#include "core/alert_rules.hpp"
#include "core/names.hpp"

#include <google/protobuf/util/json_util.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <thread>

namespace liaison::cli {
namespace {

namespace v1 = liaison::v1;

struct publish_options {
  std::string id_dir;
  std::string server = "127.0.0.1:7443";
  std::vector<std::string> to;
  std::string kind = "INFORMATION";
  std::string priority = "ROUTINE";
  std::string tlp = "AMBER";
  std::string restriction = "H0";
  std::string restriction_text;
  std::string category = "OTHER";
  std::string evaluation = "X4";
  std::string subject;
  std::string body;
  std::string language = "en";
  std::vector<std::string> entities;
  std::string alert_id;
  std::string in_reply_to;
  std::string case_reference;
  int expires_in_hours = 0;
  bool http = false;  // POST /v1/alerts on the HTTPS listener instead of the native protocol
  int retries = 3;
  int timeout_ms = 10000;
};

template <class Enum>
int wire_value(const std::string& text, const char* option) {
  auto v = core::parse_name<Enum>(text);
  if (!v)
    throw CLI::ValidationError(option,
                               "'" + text + "' is not one of " + core::accepted_names<Enum>());
  return static_cast<int>(*v);
}

v1::Alert build_alert(const publish_options& o, const std::string& origin) {
  v1::Alert a;
  a.set_id(o.alert_id.empty() ? client::new_uuid() : o.alert_id);
  a.set_origin(origin);
  for (const auto& r : o.to) a.add_recipients(r);
  a.set_kind(static_cast<v1::Kind>(wire_value<core::alert_kind>(o.kind, "--kind")));
  a.set_category(static_cast<v1::Category>(wire_value<core::category>(o.category, "--category")));
  a.set_priority(static_cast<v1::Priority>(wire_value<core::priority>(o.priority, "--priority")));
  a.set_tlp(static_cast<v1::Tlp>(wire_value<core::tlp>(o.tlp, "--tlp")));
  a.set_restriction(
      static_cast<v1::Restriction>(wire_value<core::restriction>(o.restriction, "--restriction")));
  a.set_restriction_text(o.restriction_text);
  if (o.evaluation.size() != 2)
    throw CLI::ValidationError("--evaluation", "expected two characters such as B2 or X4");
  a.mutable_evaluation()->set_source(static_cast<v1::SourceReliability>(
      wire_value<core::source_reliability>(o.evaluation.substr(0, 1), "--evaluation")));
  a.mutable_evaluation()->set_information(static_cast<v1::InformationReliability>(
      wire_value<core::information_reliability>(o.evaluation.substr(1, 1), "--evaluation")));
  a.set_subject(o.subject);
  a.set_body(o.body);
  a.set_language(o.language);
  for (const auto& e : o.entities) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CLI::ValidationError("--entity",
                                 "'" + e + "' is not TYPE=VALUE (e.g. VEHICLE_PLATE=W-12345X)");
    auto* out = a.add_entities();
    out->set_type(
        static_cast<v1::EntityType>(wire_value<core::entity_type>(e.substr(0, eq), "--entity")));
    out->set_value(e.substr(eq + 1));
  }
  auto now = std::chrono::system_clock::now();
  client::set_created_now(a, now);
  if (o.expires_in_hours > 0) {
    v1::Alert tmp;
    client::set_created_now(tmp, now + std::chrono::hours(o.expires_in_hours));
    *a.mutable_expires_at() = tmp.created_at();
  }
  a.set_in_reply_to(o.in_reply_to);
  a.set_case_reference(o.case_reference);
  return a;
}

std::string iso8601(const google::protobuf::Timestamp& t) {
  std::time_t secs = static_cast<std::time_t>(t.seconds());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06dZ", t.nanos() / 1000);
  return std::string(buf) + frac;
}

// POST /v1/alerts with the same signed envelope; retries only what is safe
// to retry (UNAVAILABLE, RESOURCE_EXHAUSTED, a lost connection).
int publish_over_https(const publish_options& o, const pki::identity& id,
                       const v1::Envelope& envelope) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(envelope, &body);
  for (int attempt = 0;; ++attempt) {
    std::string failure;
    try {
      auto r = client::https_request(id, o.server, "POST", "/v1/alerts", body, "application/json",
                                     std::chrono::milliseconds(o.timeout_ms));
      auto answer = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200 || r.status == 201) {
        std::cout << answer.dump() << std::endl;
        return 0;
      }
      std::string code =
          answer.is_object() ? answer.value("code", "HTTP " + std::to_string(r.status)) : "";
      std::string message = answer.is_object() ? answer.value("message", r.body) : r.body;
      if (r.status != 503 && r.status != 429) {
        std::cerr << "liaison publish: rejected: " << code << ": " << message << "\n";
        return 2;
      }
      failure = code + ": " + message;
    } catch (const client::client_error& e) {
      failure = e.what();
    }
    if (attempt >= o.retries) {
      std::cerr << "liaison publish: " << failure << " (gave up after " << attempt + 1
                << " attempts)\n";
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt, 4)));
  }
}

int run_publish(const publish_options& o) {
  auto id = pki::load_identity(o.id_dir);
  if (id.signing_key_file.empty())
    throw std::runtime_error(o.id_dir + " holds no signing key: only a desk identity can publish");
  auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  // Sign once: every retry sends the same bytes under the same id, so the
  // server's idempotency turns a retry after a lost answer into the original result.
  auto envelope = client::sign_alert(build_alert(o, id.member), key, id.key_id);
  if (o.http) return publish_over_https(o, id, envelope);
  client::connect_options options{o.server, std::chrono::milliseconds(o.timeout_ms),
                                  "liaison-cli/publish"};
  for (int attempt = 0;; ++attempt) {
    try {
      client::native_client conn(id, options);
      auto answer = conn.publish(envelope, options.timeout);
      if (answer.has_publish_result()) {
        const auto& r = answer.publish_result();
        nlohmann::json line{{"id", r.alert_id()},
                            {"seq", r.seq()},
                            {"received_at", iso8601(r.received_at())},
                            {"duplicate", r.duplicate()}};
        std::cout << line.dump() << std::endl;
        return 0;
      }
      if (answer.has_error() && answer.error().code() != v1::UNAVAILABLE) {
        std::cerr << "liaison publish: rejected: " << v1::ErrorCode_Name(answer.error().code())
                  << ": " << answer.error().message() << "\n";
        return 2;
      }
      if (attempt >= o.retries) {
        std::cerr << "liaison publish: " << v1::ErrorCode_Name(answer.error().code()) << ": "
                  << answer.error().message() << " (gave up after " << attempt + 1
                  << " attempts)\n";
        return 3;
      }
    } catch (const client::client_error& e) {
      if (attempt >= o.retries) {
        std::cerr << "liaison publish: " << e.what() << " (gave up after " << attempt + 1
                  << " attempts; the alert may or may not be stored: publish again with --alert-id "
                  << build_alert(o, id.member).id() << " to find out safely)\n";
        return 3;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt, 4)));
  }
}

}  // namespace

void add_publish_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<publish_options>();
  auto* cmd = app.add_subcommand(
      "publish", "sign and publish one alert (prints id, seq, received_at as JSON)");
  cmd->add_option("--id", o->id_dir, "identity folder of a desk, e.g. .liaison/pki/AT/desk")
      ->required();
  cmd->add_option("--server", o->server,
                  "HOST:PORT of the native listener (of the HTTPS listener with --http)")
      ->capture_default_str();
  cmd->add_flag("--http", o->http, "publish with POST /v1/alerts on the HTTPS listener");
  cmd->add_option("--to", o->to,
                  "recipients: member codes and group names, e.g. HU,RS or WB6 or ALL")
      ->required()
      ->delimiter(',');
  cmd->add_option("--kind", o->kind, core::accepted_names<core::alert_kind>())
      ->capture_default_str();
  cmd->add_option("--priority", o->priority, core::accepted_names<core::priority>())
      ->capture_default_str();
  cmd->add_option("--tlp", o->tlp, core::accepted_names<core::tlp>())->capture_default_str();
  cmd->add_option("--restriction", o->restriction, "handling code H0|H1|H2|H3")
      ->capture_default_str();
  cmd->add_option("--restriction-text", o->restriction_text, "the restriction, required with H3");
  cmd->add_option("--category", o->category, core::accepted_names<core::category>())
      ->capture_default_str();
  cmd->add_option("--evaluation", o->evaluation,
                  "source reliability A|B|C|X and information reliability 1-4")
      ->capture_default_str();
  cmd->add_option("--subject", o->subject, "one line")->required();
  cmd->add_option("--body", o->body, "free text");
  cmd->add_option("--language", o->language, "BCP 47 tag of subject and body")
      ->capture_default_str();
  cmd->add_option("--entity", o->entities,
                  "TYPE=VALUE, repeatable; TYPE is " + core::accepted_names<core::entity_type>());
  cmd->add_option("--alert-id", o->alert_id,
                  "UUID to use (default: a new one); retrying with it is safe");
  cmd->add_option("--in-reply-to", o->in_reply_to,
                  "alert id this one replies to, corrects or withdraws");
  cmd->add_option("--case-ref", o->case_reference, "case reference");
  cmd->add_option("--expires-in", o->expires_in_hours, "hours until the alert expires");
  cmd->add_option("--retries", o->retries, "retries after a lost connection or UNAVAILABLE")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", o->timeout_ms, "per attempt")->capture_default_str();
  cmd->callback([o, &exit_code] {
    try {
      exit_code = run_publish(*o);
    } catch (const CLI::ValidationError&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "liaison publish: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace liaison::cli
