// `liaison receipt`, `liaison status` and `liaison presence`: the rapid
// response from a desk's (or coordinator's) terminal, over the native
// protocol or the WebSocket stream.
#include "client/native_client.hpp"
#include "client/web_client.hpp"
#include "commands.hpp"
#include "core/names.hpp"
#include "key_ring.hpp"
#include "receipts.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

namespace liaison::cli {
namespace {

namespace v1 = liaison::v1;
using ms = std::chrono::milliseconds;

struct connection_options {
  std::string id_dir;
  std::string server = "127.0.0.1:7443";
  bool ws = false;
  std::string format = "proto";
  int timeout_ms = 10000;
};

void add_connection_options(CLI::App* cmd, connection_options& o) {
  cmd->add_option("--id", o.id_dir, "identity folder, e.g. .liaison/pki/HU/desk")->required();
  cmd->add_option("--server", o.server,
                  "HOST:PORT of the native listener (of the HTTPS listener with --ws)")
      ->capture_default_str();
  cmd->add_flag("--ws", o.ws, "use the WebSocket stream instead of the native protocol");
  cmd->add_option("--format", o.format, "WebSocket subprotocol: proto or json")
      ->check(CLI::IsMember({"proto", "json"}))
      ->capture_default_str();
  cmd->add_option("--timeout-ms", o.timeout_ms, "connect and request timeout")
      ->capture_default_str();
}

// Runs `body(call)` on a fresh connection; `call` sends one request and
// returns its answer. Exit codes as for publish: 0 ok, 1 nothing sent
// (local problem, unreachable), 2 refused by the server, 3 unknown outcome.
template <class Body>
int with_connection(const std::string& command, const connection_options& o, Body body) {
  try {
    auto id = pki::load_identity(o.id_dir);
    auto run = [&](auto& conn) {
      auto call = [&](v1::Frame request) {
        auto answer = conn.call(std::move(request), ms(o.timeout_ms));
        if (answer.has_error())
          throw std::invalid_argument(v1::ErrorCode_Name(answer.error().code()) + ": " +
                                      answer.error().message());
        return answer;
      };
      return body(id, call);
    };
    if (o.ws) {
      client::stream_client conn(
          id, o.server,
          o.format == "json" ? client::stream_format::json : client::stream_format::proto,
          ms(o.timeout_ms), "liaison-cli/" + command);
      return run(conn);
    }
    client::native_client conn(id, {o.server, ms(o.timeout_ms), "liaison-cli/" + command});
    return run(conn);
  } catch (const std::invalid_argument& e) {
    std::cerr << "liaison " << command << ": refused: " << e.what() << "\n";
    return 2;
  } catch (const client::client_error& e) {
    std::cerr << "liaison " << command << ": " << e.what() << "\n";
    return e.nothing_sent() ? 1 : 3;
  } catch (const std::exception& e) {
    std::cerr << "liaison " << command << ": " << e.what() << "\n";
    return 1;
  }
}

struct receipt_options {
  connection_options c;
  std::string alert_id;
  std::string origin;
  std::string state;
  std::string note;
};

int run_receipt(const receipt_options& o) {
  return with_connection("receipt", o.c, [&](const pki::identity& id, auto& call) {
    // The receipt names the alert's signed bytes by their SHA-256, which
    // the status of the alert gives.
    v1::Frame q;
    q.mutable_query_status()->set_alert_id(o.alert_id);
    q.mutable_query_status()->set_origin(o.origin);
    auto status = call(std::move(q)).alert_status();
    const auto state = o.state == "read" ? v1::RECEIPT_STATE_READ : v1::RECEIPT_STATE_ACTIONED;
    v1::Frame r;
    *r.mutable_send_receipt()->mutable_receipt() =
        sign_receipt(id, status.alert_id(), status.origin(), status.alert_sha256(), state, o.note);
    auto answer = call(std::move(r)).receipt_result();
    std::cout << nlohmann::json{{"type", "receipt_result"},
                                {"alert_id", answer.alert_id()},
                                {"origin", status.origin()},
                                {"state", o.state == "read" ? "READ" : "ACTIONED"},
                                {"id", answer.id()},
                                {"duplicate", answer.duplicate()},
                                {"recorded_at", rfc3339(answer.recorded_at())}}
                     .dump()
              << std::endl;
    return 0;
  });
}

struct status_options {
  connection_options c;
  std::string alert_id;
  std::string origin;
  std::string keys_dir;
};

int run_status(const status_options& o) {
  return with_connection("status", o.c, [&](const pki::identity& id, auto& call) {
    v1::Frame q;
    q.mutable_query_status()->set_alert_id(o.alert_id);
    q.mutable_query_status()->set_origin(o.origin);
    auto status = call(std::move(q)).alert_status();
    key_ring keys(o.keys_dir.empty() ? id.keys_dir : o.keys_dir);
    std::cout << describe_status(status, keys).dump() << std::endl;
    return 0;
  });
}

struct presence_options {
  connection_options c;
  bool json = false;
};

int run_presence(const presence_options& o) {
  return with_connection("presence", o.c, [&](const pki::identity&, auto& call) {
    v1::Frame q;
    q.mutable_query_presence();
    const nlohmann::json p = describe_presence(call(std::move(q)).presence());
    if (o.json) {
      std::cout << p.dump() << std::endl;
      return 0;
    }
    std::cout << std::left << std::setw(8) << "MEMBER" << std::setw(13) << "STATE" << std::setw(30)
              << "SINCE"
              << "DESKS (ON DUTY/CONNECTED)\n";
    for (const auto& m : p["members"]) {
      std::string since = m["since"].is_null() ? "-" : m["since"].get<std::string>();
      std::cout << std::left << std::setw(8) << m["member"].get<std::string>() << std::setw(13)
                << m["state"].get<std::string>() << std::setw(30) << since
                << m["desks_on_duty"].get<unsigned>() << "/" << m["desks_connected"].get<unsigned>()
                << "\n";
    }
    return 0;
  });
}

}  // namespace

void add_rapid_commands(CLI::App& app, int& exit_code) {
  {
    auto o = std::make_shared<receipt_options>();
    auto* cmd = app.add_subcommand(
        "receipt", "sign and send READ or ACTIONED for an alert your member received");
    add_connection_options(cmd, o->c);
    cmd->add_option("--alert-id", o->alert_id, "the alert's id (UUID)")->required();
    cmd->add_option("--origin", o->origin,
                    "the alert's origin member (needed only when two alerts share the id)");
    cmd->add_option("--state", o->state, "read (a person opened it) or actioned")
        ->required()
        ->check(CLI::IsMember({"read", "actioned"}));
    cmd->add_option("--note", o->note, "with actioned: what was done, at most 280 bytes");
    cmd->callback([o, &exit_code] { exit_code = run_receipt(*o); });
  }
  {
    auto o = std::make_shared<status_options>();
    auto* cmd = app.add_subcommand(
        "status", "each recipient's receipts (checked offline), deadline and escalations");
    add_connection_options(cmd, o->c);
    cmd->add_option("--alert-id", o->alert_id, "the alert's id (UUID)")->required();
    cmd->add_option("--origin", o->origin,
                    "the alert's origin member (default: the alert your member sent or received; "
                    "required for auditors and coordinators)");
    cmd->add_option("--keys", o->keys_dir,
                    "folder of the members' public keys (default: the identity's)");
    cmd->callback([o, &exit_code] { exit_code = run_status(*o); });
  }
  {
    auto o = std::make_shared<presence_options>();
    auto* cmd = app.add_subcommand(
        "presence", "every member: on duty, off duty or unreachable, and since when");
    add_connection_options(cmd, o->c);
    cmd->add_flag("--json", o->json, "one JSON object instead of a table");
    cmd->callback([o, &exit_code] { exit_code = run_presence(*o); });
  }
}

}  // namespace liaison::cli
