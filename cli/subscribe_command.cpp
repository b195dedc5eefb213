// `liaison subscribe`: a durable consumer with priority lanes, on the native
// protocol or the WebSocket stream. Prints one JSON line per delivered alert
// (after checking its signature locally), acknowledges it once printed,
// answers it with a signed DELIVERED receipt, prints the notices the
// exchange sends (receipts, reminders, escalations, presence), declares the
// desk on duty, and resumes after a lost connection.
#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "client/web_client.hpp"
#include "commands.hpp"
#include "core/hex.hpp"
#include "core/names.hpp"
#include "crypto/alert_signature.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/sha256.hpp"
#include "key_ring.hpp"
#include "receipts.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

namespace liaison::cli {
namespace {

namespace v1 = liaison::v1;
using ms = std::chrono::milliseconds;

struct subscribe_options {
  std::string id_dir;
  std::string server = "127.0.0.1:7443";
  std::string consumer;
  std::uint64_t from_seq = 0;
  bool only_new = false;
  std::uint64_t count = 0;
  std::string keys_dir;
  bool no_ack = false;
  bool ws = false;               // the WebSocket stream instead of the native protocol
  std::string format = "proto";  // its subprotocol: proto or json
  bool reconnect = true;
  bool take_over = false;  // take the consumer from another connection, once
  bool off_duty = false;   // do not count this desk as on duty
  bool no_receipts = false;
  int ping_seconds = 30;
  int timeout_ms = 10000;
};

// Where this process stands in each lane: what a reconnect resumes from.
struct progress {
  std::uint64_t printed = 0;  // alerts printed so far
  // Per lane (FLASH, URGENT, ROUTINE): the last seq printed (and
  // acknowledged unless --no-ack), or where the first Subscribed started.
  std::array<std::uint64_t, 3> last{};
  bool subscribed = false;
};

std::size_t lane_of(v1::Priority p) {
  return p >= v1::PRIORITY_FLASH && p <= v1::PRIORITY_ROUTINE ? static_cast<std::size_t>(p) - 1 : 2;
}

template <class Enum, class Wire>
std::string name_of(Wire value) {
  if (static_cast<int>(value) == 0) return "";
  return std::string(core::to_string(static_cast<Enum>(value)));
}

nlohmann::json describe(const v1::Deliver& d, key_ring& keys) {
  nlohmann::json line{{"type", "alert"}, {"seq", d.seq()}, {"consumer", d.consumer()}};
  v1::Alert a;
  if (!a.ParseFromString(d.envelope().payload())) {
    line["error"] = "payload is not an Alert";
    return line;
  }
  const auto* key = keys.find(d.envelope().key_id());
  line["id"] = a.id();
  line["origin"] = a.origin();
  line["recipients"] = std::vector<std::string>(d.recipients().begin(), d.recipients().end());
  line["kind"] = name_of<core::alert_kind>(a.kind());
  line["category"] = name_of<core::category>(a.category());
  line["priority"] = name_of<core::priority>(a.priority());
  line["tlp"] = name_of<core::tlp>(a.tlp());
  line["restriction"] = name_of<core::restriction>(a.restriction());
  if (!a.restriction_text().empty()) line["restriction_text"] = a.restriction_text();
  line["evaluation"] = name_of<core::source_reliability>(a.evaluation().source()) +
                       name_of<core::information_reliability>(a.evaluation().information());
  line["subject"] = a.subject();
  line["body"] = a.body();
  line["language"] = a.language();
  nlohmann::json entities = nlohmann::json::array();
  for (const auto& e : a.entities())
    entities.push_back({{"type", name_of<core::entity_type>(e.type())}, {"value", e.value()}});
  line["entities"] = entities;
  line["created_at"] = rfc3339(a.created_at());
  line["received_at"] = rfc3339(d.received_at());
  if (!a.in_reply_to().empty()) line["in_reply_to"] = a.in_reply_to();
  if (!a.case_reference().empty()) line["case_reference"] = a.case_reference();
  line["key_id"] = d.envelope().key_id();
  line["payload_sha256"] = core::to_hex(crypto::as_bytes(crypto::sha256(d.envelope().payload())));
  line["signature_verified"] = key != nullptr && crypto::verify_alert(*key, d.envelope().payload(),
                                                                      d.envelope().signature());
  return line;
}

// One connection's worth of consuming. Returns true when --count was reached.
template <class Connection>
bool consume(Connection& conn, const subscribe_options& o, const pki::identity& id, key_ring& keys,
             progress& at, const std::string& instance) {
  v1::Subscribe sub;
  sub.set_consumer(o.consumer);
  sub.set_client_instance(instance);
  sub.set_lanes(true);
  // The first connection starts where the options say. A reconnect goes on
  // from the lowest lane's last printed seq (or where the first Subscribed
  // started it), so that --only-new and --from-seq keep their meaning and
  // no lane misses anything; what a lane printed before is skipped (the
  // stored cursors may lag behind acknowledgements lost with the old
  // connection).
  if (at.subscribed)
    sub.set_from_seq(*std::min_element(at.last.begin(), at.last.end()) + 1);
  else if (o.from_seq > 0)
    sub.set_from_seq(o.from_seq);
  else if (o.only_new)
    sub.mutable_only_new();
  else
    sub.mutable_stored_cursor();
  sub.set_take_over(o.take_over && !at.subscribed);
  v1::Frame request;
  *request.mutable_subscribe() = sub;
  auto answer = conn.call(std::move(request), ms(o.timeout_ms));
  if (answer.has_error())
    throw std::invalid_argument(v1::ErrorCode_Name(answer.error().code()) + ": " +
                                answer.error().message());
  if (!at.subscribed)
    for (const auto& l : answer.subscribed().lanes()) at.last[lane_of(l.lane())] = l.resume_after();
  at.subscribed = true;
  std::cerr << "liaison subscribe: consumer '" << o.consumer << "' of " << id.principal
            << " resumes after seq " << answer.subscribed().resume_after() << " (lowest lane)\n";
  auto ack = [&](std::size_t lane, std::uint64_t seq) {
    if (o.no_ack || seq == 0) return;
    v1::Frame f;
    f.mutable_ack()->set_consumer(o.consumer);
    f.mutable_ack()->set_up_to_seq(seq);
    f.mutable_ack()->set_lane(static_cast<v1::Priority>(lane + 1));
    conn.send(std::move(f));
  };
  // An acknowledgement lost with the old connection is given again: now for
  // the lanes the server resumes at (anything later is delivered again
  // first, and acknowledged as it comes, below; acknowledging it before
  // would be refused as beyond what was delivered).
  if (at.printed > 0) {
    const auto resumed_at = *std::min_element(at.last.begin(), at.last.end());
    for (std::size_t lane = 0; lane < at.last.size(); ++lane)
      if (at.last[lane] == resumed_at) ack(lane, at.last[lane]);
  }
  // A desk on duty says so; the server then pings it when quiet.
  const bool desk = id.role == core::role::desk;
  if (desk && !o.off_duty) {
    v1::Frame duty;
    duty.mutable_set_duty()->set_on_duty(true);
    conn.send(std::move(duty));
  }
  auto last_traffic = std::chrono::steady_clock::now();
  for (;;) {
    if (o.count > 0 && at.printed >= o.count) return true;
    auto frame = conn.receive(ms(1000));
    if (!frame) {
      if (std::chrono::steady_clock::now() - last_traffic > std::chrono::seconds(o.ping_seconds)) {
        v1::Frame ping;
        ping.mutable_ping()->set_nonce(1);
        conn.send(ping);
        last_traffic = std::chrono::steady_clock::now();
      }
      continue;
    }
    last_traffic = std::chrono::steady_clock::now();
    if (frame->has_ping()) {  // the server checks that a desk on duty is there
      v1::Frame pong;
      pong.mutable_pong()->set_nonce(frame->ping().nonce());
      conn.send(std::move(pong));
      continue;
    }
    if (frame->has_notice()) {
      std::cout << describe_notice(frame->notice(), keys).dump() << std::endl;
      continue;
    }
    if (frame->has_error()) {
      // The answer to a receipt may be an error (e.g. an alert not for us);
      // only an unsolicited one ends the consumer.
      if (frame->correlation_id() != 0) {
        std::cerr << "liaison subscribe: " << v1::ErrorCode_Name(frame->error().code()) << ": "
                  << frame->error().message() << "\n";
        continue;
      }
      throw std::runtime_error(v1::ErrorCode_Name(frame->error().code()) + ": " +
                               frame->error().message());
    }
    if (!frame->has_deliver()) continue;
    const auto& d = frame->deliver();
    const std::size_t lane = lane_of(d.lane());
    if (d.seq() <= at.last[lane]) {  // printed before a reconnect
      ack(lane, d.seq());
      continue;
    }
    auto line = describe(d, keys);
    line["lane"] = line["priority"];
    std::cout << line.dump() << std::endl;
    ++at.printed;
    at.last[lane] = d.seq();
    ack(lane, d.seq());
    // The desk's software has it: a signed DELIVERED receipt for the sender.
    if (desk && !o.no_receipts && line.value("signature_verified", false)) {
      v1::Alert a;
      a.ParseFromString(d.envelope().payload());
      v1::Frame r;
      *r.mutable_send_receipt()->mutable_receipt() =
          sign_receipt(id, a.id(), a.origin(),
                       std::string(crypto::as_bytes(crypto::sha256(d.envelope().payload()))),
                       v1::RECEIPT_STATE_DELIVERED, "");
      conn.send(std::move(r));
    } else if (desk && !o.no_receipts) {
      // Never silently: the sender would wait for a DELIVERED that cannot come.
      std::cerr << "liaison subscribe: no DELIVERED receipt sent for alert seq " << d.seq()
                << ": its signature (key " << d.envelope().key_id()
                << ") could not be verified with the keys in this identity's keys folder "
                   "(add the member's public key, or pass --keys)\n";
    }
  }
}

int run_subscribe(const subscribe_options& o) {
  auto id = pki::load_identity(o.id_dir);
  key_ring keys(o.keys_dir.empty() ? id.keys_dir : o.keys_dir);
  progress at;
  // Names this process to the server: its own reconnects resume the
  // consumer; another process is refused unless it takes it over.
  const auto instance = client::new_uuid();
  for (int attempt = 0;; ++attempt) {
    try {
      bool done = false;
      if (o.ws) {
        auto format =
            o.format == "json" ? client::stream_format::json : client::stream_format::proto;
        client::stream_client conn(id, o.server, format, ms(o.timeout_ms), "liaison-cli/subscribe");
        done = consume(conn, o, id, keys, at, instance);
      } else {
        client::native_client conn(id, {o.server, ms(o.timeout_ms), "liaison-cli/subscribe"});
        done = consume(conn, o, id, keys, at, instance);
      }
      if (done) return 0;
    } catch (const std::invalid_argument& e) {
      std::cerr << "liaison subscribe: refused: " << e.what() << "\n";
      return 2;
    } catch (const client::client_error& e) {
      // A local problem or the wrong port will not go away by reconnecting.
      if (e.what_kind() == client::client_error::kind::local ||
          e.what_kind() == client::client_error::kind::wrong_port || !o.reconnect) {
        std::cerr << "liaison subscribe: " << e.what() << "\n";
        return e.nothing_sent() ? 1 : 3;
      }
      std::cerr << "liaison subscribe: " << e.what() << "; reconnecting\n";
    } catch (const std::exception& e) {
      if (!o.reconnect) {
        std::cerr << "liaison subscribe: " << e.what() << "\n";
        return 3;
      }
      std::cerr << "liaison subscribe: " << e.what() << "; reconnecting\n";
    }
    std::this_thread::sleep_for(ms(500 << std::min(attempt, 4)));
  }
}

}  // namespace

void add_subscribe_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<subscribe_options>();
  auto* cmd = app.add_subcommand(
      "subscribe",
      "receive alerts for your member (FLASH first) and the exchange's notices as JSON lines");
  cmd->add_option("--id", o->id_dir, "identity folder, e.g. .liaison/pki/HU/desk")->required();
  cmd->add_option("--server", o->server,
                  "HOST:PORT of the native listener (of the HTTPS listener with --ws)")
      ->capture_default_str();
  cmd->add_flag("--ws", o->ws,
                "use the WebSocket stream (wss://SERVER/v1/stream) instead of the native protocol");
  cmd->add_option("--format", o->format,
                  "WebSocket subprotocol: proto (liaison.v1.proto) or json (liaison.v1.json)")
      ->check(CLI::IsMember({"proto", "json"}))
      ->capture_default_str();
  cmd->add_option("--consumer", o->consumer, "durable consumer name (1-64 of A-Z a-z 0-9 . _ -)")
      ->required();
  auto* from = cmd->add_option("--from-seq", o->from_seq,
                               "replay from this seq (1 or more) instead of the stored cursor")
                   ->check(CLI::Validator(
                       [](const std::string& v) -> std::string {
                         return v == "0" ? "--from-seq counts from 1 (seq 1 is the first alert); "
                                           "leave it out to resume after the stored cursor"
                                         : "";
                       },
                       "SEQ >= 1"));
  cmd->add_flag("--only-new", o->only_new, "skip the backlog")->excludes(from);
  cmd->add_flag("--take-over", o->take_over,
                "take the consumer from another connection that holds it (without this, a "
                "consumer held elsewhere is refused)");
  cmd->add_option("--count", o->count, "exit after this many alerts (0: never)");
  cmd->add_option("--keys", o->keys_dir,
                  "folder of the members' public keys (default: the identity's)");
  cmd->add_flag("--no-ack", o->no_ack,
                "do not acknowledge (the alerts are delivered again next time)");
  cmd->add_flag("--off-duty", o->off_duty,
                "do not count this desk as on duty (by default a desk's subscribe declares it "
                "on duty: FLASH and URGENT alerts then reach it rather than its fallback)");
  cmd->add_flag("--no-receipts", o->no_receipts,
                "do not send a signed DELIVERED receipt for each alert");
  cmd->add_flag("!--no-reconnect", o->reconnect,
                "exit instead of reconnecting after a lost connection");
  cmd->add_option("--timeout-ms", o->timeout_ms, "connect and request timeout")
      ->capture_default_str();
  cmd->callback([o, &exit_code] {
    try {
      exit_code = run_subscribe(*o);
    } catch (const std::exception& e) {
      std::cerr << "liaison subscribe: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace liaison::cli
