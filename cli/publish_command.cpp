// `liaison publish`: build, sign and publish one alert over the native
// protocol; print the server's answer as one JSON line.
#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "client/web_client.hpp"
#include "commands.hpp"
#include "core/alert_rules.hpp"
#include "core/names.hpp"
#include "crypto/ed25519.hpp"
#include "receipts.hpp"

#include <google/protobuf/util/json_util.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
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
  bool http = false;     // POST /v1/alerts on the HTTPS listener instead of the native protocol
  bool dry_run = false;  // who would receive it; nothing is stored
  std::string resend;    // a spool file: send exactly its signed bytes again
  std::string spool;     // default: default_spool()
  int retries = 3;
  int timeout_ms = 10000;
};

// Exit codes (README, "The liaison CLI").
constexpr int stored = 0;
constexpr int not_sent = 1;  // a local problem or an unreachable server: nothing was sent
constexpr int refused = 2;   // the server refused it with a typed error: nothing stored
constexpr int unknown = 3;   // sent, but no answer: it may be stored; resend the spool file

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

// The spool: every signed envelope is written here before it is sent, so
// that an ambiguous outcome can always be resolved by sending exactly the
// same bytes again (the server answers a repeat with the original result).
// <spool>/<alert id>.json until the server says it is stored, then
// <spool>/sent/<alert id>.json.
namespace fs = std::filesystem;

struct spool_entry {
  std::string alert_id;
  v1::Envelope envelope;
};

spool_entry read_spool(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the spool file " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  spool_entry e;
  if (!j.is_object() || !j.contains("envelope") ||
      !google::protobuf::util::JsonStringToMessage(j["envelope"].dump(), &e.envelope).ok())
    throw std::runtime_error(file + " is not a spool file of `liaison publish`");
  v1::Alert a;
  if (!a.ParseFromString(e.envelope.payload()))
    throw std::runtime_error(file + ": the spooled payload is not an Alert");
  e.alert_id = a.id();
  return e;
}

void write_spool(const std::string& file, const spool_entry& e) {
  std::string envelope;
  (void)google::protobuf::util::MessageToJsonString(e.envelope, &envelope);
  nlohmann::json j{{"alert_id", e.alert_id}, {"envelope", nlohmann::json::parse(envelope)}};
  fs::create_directories(fs::path(file).parent_path());
  auto tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write the spool file " + tmp);
  }
  fs::rename(tmp, file);
}

// The content of an alert apart from the times the CLI stamps on each run.
std::string content_of(v1::Alert a) {
  a.clear_created_at();
  a.clear_expires_at();
  return a.SerializeAsString();
}

// What to send: a spooled envelope (--resend, or an earlier run with the same
// --alert-id and the same content), or a newly signed one, spooled first.
// Returns the entry and its spool file.
std::pair<spool_entry, std::string> prepare(const publish_options& o, const pki::identity& id,
                                            const std::string& spool_dir) {
  if (!o.resend.empty()) {
    auto e = read_spool(o.resend);
    std::cerr << "liaison publish: resending alert " << e.alert_id << " from " << o.resend
              << " (the same signed bytes)\n";
    return {e, o.resend};
  }
  auto alert = build_alert(o, id.member);
  const auto pending = (fs::path(spool_dir) / (alert.id() + ".json")).string();
  const auto sent = (fs::path(spool_dir) / "sent" / (alert.id() + ".json")).string();
  if (!o.alert_id.empty()) {
    for (const auto& earlier : {pending, sent}) {
      if (!fs::exists(earlier)) continue;
      auto e = read_spool(earlier);
      v1::Alert before;
      before.ParseFromString(e.envelope.payload());
      if (content_of(before) == content_of(alert)) {
        std::cerr << "liaison publish: alert " << alert.id()
                  << " was prepared before with this content; sending the same signed bytes ("
                  << earlier << ")\n";
        return {e, earlier};
      }
    }
  }
  auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  spool_entry e{alert.id(), client::sign_alert(alert, key, id.key_id)};
  write_spool(pending, e);
  return {e, pending};
}

// $XDG_STATE_HOME/liaison/spool/<principal> (~/.local/state/... when it is
// not set); the identity folder's spool/ when there is no home either.
std::string default_spool(const pki::identity& id) {
  const char* state = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  fs::path base;
  if (state && *state)
    base = fs::path(state) / "liaison" / "spool";
  else if (home && *home)
    base = fs::path(home) / ".local" / "state" / "liaison" / "spool";
  else
    return (fs::path(id.cert_file).parent_path() / "spool").string();
  return (base / id.principal).string();
}

// The server stored it: the spool file moves to sent/.
void mark_sent(const std::string& file, const std::string& spool_dir) {
  const auto sent_dir = fs::path(spool_dir) / "sent";
  if (fs::path(file).parent_path() != fs::path(spool_dir)) return;  // elsewhere, or in sent/
  std::error_code ec;
  fs::create_directories(sent_dir, ec);
  fs::rename(file, sent_dir / fs::path(file).filename(), ec);
}

void print_result(const std::string& id, std::uint64_t seq, const std::string& received_at,
                  bool duplicate, nlohmann::json left_out) {
  nlohmann::json line{
      {"id", id}, {"seq", seq}, {"received_at", received_at}, {"duplicate", duplicate}};
  if (!left_out.empty()) line["left_out"] = std::move(left_out);
  std::cout << line.dump() << std::endl;
}

int ambiguous(const std::string& why, int attempts, const spool_entry& e, const std::string& file,
              const publish_options& o) {
  std::cerr
      << "liaison publish: " << why << " (gave up after " << attempts
      << " attempts). The outcome of alert " << e.alert_id
      << " is unknown: it may or may not be stored. Its signed bytes are in " << file
      << "; sending exactly them again can never create a second alert:\n  liaison publish --id "
      << o.id_dir << " --server " << o.server << (o.http ? " --http" : "") << " --resend " << file
      << "\n";
  return unknown;
}

// POST /v1/alerts with the same signed envelope; retries only what is safe
// to retry (UNAVAILABLE, RESOURCE_EXHAUSTED, a lost connection).
int publish_over_https(const publish_options& o, const pki::identity& id, const spool_entry& e,
                       const std::string& file, const std::string& spool_dir) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(e.envelope, &body);
  for (int attempt = 0;; ++attempt) {
    std::string failure;
    try {
      auto r = client::https_request(id, o.server, "POST", "/v1/alerts", body, "application/json",
                                     std::chrono::milliseconds(o.timeout_ms));
      auto answer = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200 || r.status == 201) {
        mark_sent(file, spool_dir);
        print_result(answer.value("id", e.alert_id), answer.value("seq", std::uint64_t{0}),
                     answer.value("received_at", ""), answer.value("duplicate", false),
                     answer.value("left_out", nlohmann::json::array()));
        return stored;
      }
      std::string code =
          answer.is_object() ? answer.value("code", "HTTP " + std::to_string(r.status)) : "";
      std::string message = answer.is_object() ? answer.value("message", r.body) : r.body;
      if (r.status != 503 && r.status != 429) {
        std::cerr << "liaison publish: rejected: " << code << ": " << message << "\n";
        return refused;
      }
      failure = code + ": " + message;
    } catch (const client::client_error& ce) {
      if (ce.nothing_sent()) {
        std::cerr << "liaison publish: " << ce.what() << "\n";
        return not_sent;
      }
      failure = ce.what();
    }
    if (attempt >= o.retries) return ambiguous(failure, attempt + 1, e, file, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt, 4)));
  }
}

// The native RecipientPreview in the JSON shape of POST /v1/alerts/dry-run.
nlohmann::json preview_json(const v1::RecipientPreview& p) {
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : p.recipients()) {
    nlohmann::json withheld = nlohmann::json::array();
    for (const auto& w : r.withheld())
      withheld.push_back({{"principal", w.member()}, {"reason", w.reason()}});
    std::string duty = v1::DutyState_Name(r.duty());
    duty = duty.substr(std::string("DUTY_STATE_").size());
    recipients.push_back(
        {{"member", r.member()},
         {"duty", duty},
         {"desks_on_duty", r.desks_on_duty()},
         {"principals", std::vector<std::string>(r.principals().begin(), r.principals().end())},
         {"withheld", withheld},
         {"fallback", std::vector<std::string>(r.fallback().begin(), r.fallback().end())}});
  }
  nlohmann::json left_out = nlohmann::json::array();
  for (const auto& l : p.left_out())
    left_out.push_back({{"member", l.member()}, {"reason", l.reason()}});
  return {{"dry_run", true},
          {"id", p.alert_id()},
          {"recipients", recipients},
          {"left_out", left_out},
          {"read_within_seconds", p.read_within_seconds()}};
}

// --dry-run: signed like a publish (so every check applies) but not
// spooled, and sent once: nothing is stored, so there is nothing to retry.
int run_dry_run(const publish_options& o, const pki::identity& id) {
  auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  const auto envelope = client::sign_alert(build_alert(o, id.member), key, id.key_id);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  try {
    if (o.http) {
      std::string body;
      (void)google::protobuf::util::MessageToJsonString(envelope, &body);
      auto r = client::https_request(id, o.server, "POST", "/v1/alerts/dry-run", body,
                                     "application/json", timeout);
      auto answer = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200) {
        std::cout << answer.dump() << std::endl;
        return stored;
      }
      std::cerr << "liaison publish --dry-run: rejected: "
                << (answer.is_object()
                        ? answer.value("code", "") + ": " + answer.value("message", r.body)
                        : r.body)
                << "\n";
      return refused;
    }
    client::native_client conn(id, {o.server, timeout, "liaison-cli/publish"});
    v1::Frame f;
    *f.mutable_publish()->mutable_envelope() = envelope;
    f.mutable_publish()->set_dry_run(true);
    auto answer = conn.call(std::move(f), timeout);
    if (answer.has_recipient_preview()) {
      std::cout << preview_json(answer.recipient_preview()).dump() << std::endl;
      return stored;
    }
    std::cerr << "liaison publish --dry-run: rejected: "
              << v1::ErrorCode_Name(answer.error().code()) << ": " << answer.error().message()
              << "\n";
    return refused;
  } catch (const client::client_error& ce) {
    std::cerr << "liaison publish --dry-run: " << ce.what() << "\n";
    return not_sent;
  }
}

int run_publish(const publish_options& o) {
  auto id = pki::load_identity(o.id_dir);
  if (id.signing_key_file.empty())
    throw std::runtime_error(o.id_dir + " holds no signing key: only a desk identity can publish");
  if (o.dry_run) return run_dry_run(o, id);
  const auto spool_dir = o.spool.empty() ? default_spool(id) : o.spool;
  // Signed once and spooled before anything is sent: every retry, and any
  // later --resend, sends the same bytes under the same id, which the
  // server's idempotency turns into the original result.
  auto [entry, file] = prepare(o, id, spool_dir);
  if (o.http) return publish_over_https(o, id, entry, file, spool_dir);
  client::connect_options options{o.server, std::chrono::milliseconds(o.timeout_ms),
                                  "liaison-cli/publish"};
  std::string failure;
  for (int attempt = 0;; ++attempt) {
    std::optional<client::native_client> conn;
    try {
      conn.emplace(id, options);
    } catch (const client::client_error& ce) {
      // Nothing was sent. A local problem, an unreachable server or the
      // wrong port will not go away by trying again.
      if (ce.what_kind() != client::client_error::kind::lost) {
        std::cerr << "liaison publish: " << ce.what() << "\n";
        return not_sent;
      }
      failure = ce.what();
    }
    if (conn) {
      try {
        auto answer = conn->publish(entry.envelope, options.timeout);
        if (answer.has_publish_result()) {
          const auto& r = answer.publish_result();
          mark_sent(file, spool_dir);
          nlohmann::json left_out = nlohmann::json::array();
          for (const auto& l : r.left_out())
            left_out.push_back({{"member", l.member()}, {"reason", l.reason()}});
          print_result(r.alert_id(), r.seq(), rfc3339(r.received_at()), r.duplicate(),
                       std::move(left_out));
          return stored;
        }
        const auto code = answer.error().code();
        if (code != v1::UNAVAILABLE && code != v1::RESOURCE_EXHAUSTED) {
          std::cerr << "liaison publish: rejected: " << v1::ErrorCode_Name(code) << ": "
                    << answer.error().message() << "\n";
          return refused;
        }
        failure = v1::ErrorCode_Name(code) + ": " + answer.error().message();
      } catch (const client::client_error& ce) {
        failure = ce.what();
      }
    }
    if (attempt >= o.retries) return ambiguous(failure, attempt + 1, entry, file, o);
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
  auto* dry = cmd->add_flag("--dry-run", o->dry_run,
                            "who would receive it (members, duty state, principals, fallback "
                            "contacts), with every check of a publish; nothing is stored");
  auto* to = cmd->add_option("--to", o->to,
                             "recipients: member codes and group names, e.g. HU,RS or WB6 or ALL")
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
  auto* subject = cmd->add_option("--subject", o->subject, "one line");
  auto* resend = cmd->add_option(
      "--resend", o->resend,
      "a spool file: send exactly its signed bytes again (after an unknown outcome)");
  resend->check(CLI::ExistingFile);
  to->excludes(resend);
  subject->excludes(resend);
  dry->excludes(resend);
  cmd->add_option("--spool", o->spool,
                  "where signed alerts wait for their outcome (default: "
                  "$XDG_STATE_HOME/liaison/spool/PRINCIPAL, else "
                  "~/.local/state/liaison/spool/PRINCIPAL)");
  cmd->add_option("--body", o->body, "free text");
  cmd->add_option("--language", o->language, "BCP 47 tag of subject and body")
      ->capture_default_str();
  cmd->add_option("--entity", o->entities,
                  "TYPE=VALUE, repeatable; TYPE is " + core::accepted_names<core::entity_type>());
  cmd->add_option("--alert-id", o->alert_id,
                  "UUID to use (default: a new one); publishing the same content with it again "
                  "sends the same signed bytes and returns the original result");
  cmd->add_option("--in-reply-to", o->in_reply_to,
                  "alert id this one replies to, corrects or withdraws");
  cmd->add_option("--case-ref", o->case_reference, "case reference");
  cmd->add_option("--expires-in", o->expires_in_hours, "hours until the alert expires");
  cmd->add_option("--retries", o->retries, "retries after a lost connection or UNAVAILABLE")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", o->timeout_ms, "per attempt")->capture_default_str();
  cmd->callback([o, &exit_code, to, subject] {
    if (o->resend.empty() && (to->count() == 0 || subject->count() == 0))
      throw CLI::ValidationError("publish", "--to and --subject are required (or --resend FILE)");
    try {
      exit_code = run_publish(*o);
    } catch (const CLI::ValidationError&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "liaison publish: " << e.what() << "; nothing was sent\n";
      exit_code = not_sent;
    }
  });
}

}  // namespace liaison::cli
