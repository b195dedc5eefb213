// Rapid response end to end (#12), with deadlines of a few seconds: FLASH
// overtakes a ROUTINE backlog; recipients sign receipts that reach the
// sender and the alert's timeline; a member that does not read is reminded,
// its sender told and its fallback contact escalated to, twice; a member
// with no desk on duty has its fallback told at once; presence follows the
// desks; receipts that are not the desk's to give are refused and change
// nothing but the audit log. Native protocol and the WebSocket stream.
#include "crypto/alert_signature.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/sha256.hpp"
#include "e2e/alerts.hpp"
#include "e2e/partner_client.hpp"
#include "e2e/server_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <set>

namespace liaison::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace v1 = liaison::v1;

// A connection that keeps every notice it hears and answers the server's
// Pings (as a desk's software must to stay counted on duty).
class desk {
 public:
  desk(const std::string& folder, const std::string& address, bool on_duty)
      : id_(identity(folder)), conn_(id_, {address, 10s, "e2e-rapid"}) {
    if (on_duty) {
      v1::Frame f;
      f.mutable_set_duty()->set_on_duty(true);
      auto answer = call(std::move(f));
      EXPECT_TRUE(answer.has_duty_set() && answer.duty_set().counted()) << answer.DebugString();
    }
  }

  const pki::identity& id() const { return id_; }
  client::native_client& conn() { return conn_; }

  v1::Frame call(v1::Frame request) {
    auto answer = conn_.call(std::move(request), 10s);
    return answer;
  }

  // Reads frames for up to `limit`, keeping notices and deliveries.
  void pump(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto f = conn_.receive(50ms);
      if (!f) continue;
      if (f->has_ping()) {
        v1::Frame pong;
        pong.mutable_pong()->set_nonce(f->ping().nonce());
        conn_.send(std::move(pong));
      } else if (f->has_notice()) {
        notices.push_back(f->notice());
      } else if (f->has_deliver()) {
        deliveries.push_back(f->deliver());
      }
    }
  }

  // Pumps until `pred` holds (or `limit` passes).
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      pump(100ms);
    }
    return true;
  }

  std::vector<v1::Notice> of(v1::NoticeKind kind, const std::string& alert_id = "") const {
    std::vector<v1::Notice> out;
    for (const auto& n : notices)
      if (n.kind() == kind && (alert_id.empty() || n.alert_id() == alert_id)) out.push_back(n);
    return out;
  }

  // Members named by the notices of a kind for an alert, at a level (0: any).
  std::set<std::string> members(v1::NoticeKind kind, const std::string& alert_id,
                                std::uint32_t level = 0) const {
    std::set<std::string> out;
    for (const auto& n : of(kind, alert_id))
      if (level == 0 || n.level() == level) out.insert(n.members().begin(), n.members().end());
    return out;
  }

  std::vector<v1::Notice> notices;
  std::vector<v1::Deliver> deliveries;

 private:
  pki::identity id_;
  client::native_client conn_;
};

std::string sha256_of(const std::string& bytes) {
  return std::string(crypto::as_bytes(crypto::sha256(bytes)));
}

v1::SignedReceipt receipt(const pki::identity& signer, const std::string& member,
                          const std::string& alert_id, const std::string& origin,
                          const std::string& alert_sha256, v1::ReceiptState state,
                          const std::string& note = "") {
  v1::Receipt r;
  r.set_alert_id(alert_id);
  r.set_origin(origin);
  r.set_alert_sha256(alert_sha256);
  r.set_state(state);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  r.mutable_at()->set_seconds(us / 1'000'000);
  r.set_member(member);
  r.set_note(note);
  v1::SignedReceipt out;
  out.set_payload(r.SerializeAsString());
  auto key = crypto::ed25519_private_key::load_pem_file(signer.signing_key_file);
  out.set_signature(crypto::sign_receipt(key, out.payload()));
  out.set_key_id(signer.key_id);
  return out;
}

v1::Frame send_receipt(desk& d, v1::SignedReceipt r) {
  v1::Frame f;
  *f.mutable_send_receipt()->mutable_receipt() = std::move(r);
  return d.call(std::move(f));
}

class RapidTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server = std::make_unique<liaisond_process>(
      db.url(), std::map<std::string, std::string>{{"deadlines.check_interval", "\"200ms\""},
                                                   {"presence.heartbeat", "\"1s\""},
                                                   {"presence.stall_after", "\"3s\""}});
  temp_dir dir{"liaison-rapid"};

  std::string address() const { return server->native_address(); }

  long count(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  v1::Presence presence(desk& d) {
    v1::Frame q;
    q.mutable_query_presence();
    return d.call(std::move(q)).presence();
  }
  v1::DutyState state_of(desk& d, const std::string& member) {
    const auto p = presence(d);
    for (const auto& m : p.members())
      if (m.member() == member) return m.state();
    return v1::DUTY_STATE_UNSPECIFIED;
  }
  v1::AlertStatus status(desk& d, const std::string& alert_id) {
    v1::Frame q;
    q.mutable_query_status()->set_alert_id(alert_id);
    auto answer = d.call(std::move(q));
    EXPECT_TRUE(answer.has_alert_status()) << answer.DebugString();
    return answer.alert_status();
  }

  run_result cli(std::vector<std::string> argv) {
    argv.insert(argv.begin(), LIAISON_CLI_PATH);
    return run_to_end(std::move(argv), dir.path());
  }
};

TEST_F(RapidTest, AFlashToHungarySerbiaAndTheWesternBalkansIsReadRemindedAndEscalated) {
  desk at("AT/desk", address(), true);
  desk hu("HU/desk", address(), true);
  desk rs("RS/desk", address(), true);
  desk xk("XK/desk", address(), /*on_duty=*/false);  // connected, nobody at the desk
  desk coordination("TF.coordination", address(), false);

  // Presence: HU and RS on duty, XK off duty, AL (nobody connected) unreachable.
  ASSERT_TRUE(eventually(
      [&] {
        return state_of(at, "HU") == v1::DUTY_STATE_ON_DUTY &&
               state_of(at, "RS") == v1::DUTY_STATE_ON_DUTY &&
               state_of(at, "XK") == v1::DUTY_STATE_OFF_DUTY;
      },
      20s));
  EXPECT_EQ(state_of(at, "AL"), v1::DUTY_STATE_UNREACHABLE);
  EXPECT_EQ(presence(at).members_size(), 27);

  // AT sends a FLASH to HU, RS and WB6, to be read within 3 seconds.
  auto alert = make_alert("AT", {"HU", "RS", "WB6"}, "Convoy crossing at Horgos tonight");
  alert.set_priority(v1::PRIORITY_FLASH);
  alert.set_read_within_seconds(3);
  auto envelope = sign_as(at.id(), alert);
  auto published = at.conn().publish(envelope, 10s);
  ASSERT_TRUE(published.has_publish_result()) << published.DebugString();
  const auto id = alert.id();
  const auto sha = sha256_of(envelope.payload());

  // At once: the members without a desk on duty (XK off duty, AL, BA, ME,
  // MK unreachable) are named to the sender and to their fallback contact.
  const std::set<std::string> unstaffed{"AL", "BA", "ME", "MK", "XK"};
  ASSERT_TRUE(at.wait([&] { return !at.of(v1::NOTICE_KIND_NO_DESK_ON_DUTY, id).empty(); }));
  EXPECT_EQ(at.members(v1::NOTICE_KIND_NO_DESK_ON_DUTY, id), unstaffed);
  ASSERT_TRUE(coordination.wait(
      [&] { return coordination.members(v1::NOTICE_KIND_NO_DESK_ON_DUTY, id) == unstaffed; }));

  // HU: the desk's software says DELIVERED, a person READ; AT hears both,
  // signed by HU and verifiable with HU's public key.
  ASSERT_TRUE(send_receipt(hu, receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_DELIVERED))
                  .has_receipt_result());
  auto read = send_receipt(hu, receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_READ));
  ASSERT_TRUE(read.has_receipt_result()) << read.DebugString();
  EXPECT_FALSE(read.receipt_result().duplicate());
  ASSERT_TRUE(at.wait([&] { return at.of(v1::NOTICE_KIND_RECEIPT, id).size() == 2; }));
  const auto hu_key =
      crypto::load_public_key_pem_file(hu.id().keys_dir + "/" + hu.id().key_id + ".pub.pem");
  for (const auto& n : at.of(v1::NOTICE_KIND_RECEIPT, id)) {
    EXPECT_TRUE(crypto::verify_receipt(hu_key, n.receipt().payload(), n.receipt().signature()));
    EXPECT_EQ(n.members(0), "HU");
  }
  // RS's software says DELIVERED; nobody there reads it.
  ASSERT_TRUE(send_receipt(rs, receipt(rs.id(), "RS", id, "AT", sha, v1::RECEIPT_STATE_DELIVERED))
                  .has_receipt_result());

  // After 3 s: RS is reminded, AT told, RS's fallback escalated to; HU,
  // which read it, is left alone. After 6 s the same at level 2, then no more.
  ASSERT_TRUE(rs.wait([&] { return rs.of(v1::NOTICE_KIND_REMINDER, id).size() == 2; }, 30s));
  EXPECT_EQ(rs.of(v1::NOTICE_KIND_REMINDER, id)[0].level(), 1u);
  EXPECT_EQ(rs.of(v1::NOTICE_KIND_REMINDER, id)[1].level(), 2u);
  ASSERT_TRUE(
      at.wait([&] { return at.members(v1::NOTICE_KIND_OVERDUE, id, 2).count("RS") == 1; }, 20s));
  auto overdue = at.members(v1::NOTICE_KIND_OVERDUE, id, 1);
  EXPECT_EQ(overdue.count("RS"), 1u);
  EXPECT_EQ(overdue.count("HU"), 0u);
  EXPECT_EQ(overdue.count("XK"), 1u);
  ASSERT_TRUE(coordination.wait(
      [&] { return coordination.members(v1::NOTICE_KIND_ESCALATION, id, 2).count("RS") == 1; }));
  EXPECT_TRUE(hu.of(v1::NOTICE_KIND_REMINDER, id).empty());
  at.pump(1500ms);  // a third deadline would have passed by now
  EXPECT_TRUE(at.members(v1::NOTICE_KIND_OVERDUE, id, 3).empty());
  EXPECT_EQ(rs.of(v1::NOTICE_KIND_REMINDER, id).size(), 2u);

  // The sender's status: HU read (deadline closed), RS delivered and twice
  // overdue, with the receipts verbatim.
  auto s = status(at, id);
  std::map<std::string, v1::RecipientStatus> rows;
  for (const auto& r : s.recipients()) rows[r.member()] = r;
  EXPECT_EQ(rows.size(), 7u);  // HU, RS and the WB6 (RS once)
  EXPECT_EQ(rows["HU"].state(), v1::RECEIPT_STATE_READ);
  EXPECT_EQ(rows["HU"].closed_by(), "read");
  EXPECT_EQ(rows["HU"].receipts_size(), 2);
  EXPECT_EQ(rows["RS"].state(), v1::RECEIPT_STATE_DELIVERED);
  EXPECT_EQ(rows["RS"].escalations(), 2u);
  EXPECT_EQ(rows["XK"].escalations(), 2u);
  // A recipient sees its own row only.
  auto rs_view = status(rs, id);
  ASSERT_EQ(rs_view.recipients_size(), 1);
  EXPECT_EQ(rs_view.recipients(0).member(), "RS");

  // Every step is in the alert's timeline, each receipt with a signature
  // the auditors' API checked; an independent verifier (Python,
  // cryptography) checks them again offline.
  partner_client auditor{identity("auditor")};
  json timeline;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = auditor.http(server->https_address(), "GET", "/v1/alerts/" + id + "?origin=AT",
                              std::nullopt, {"Liaison-Justification:rapid response review"});
        auto response = r.first("response");
        if (response.is_null() || response["status"] != 200) return false;
        timeline = json::parse(response["body"].get<std::string>())["timeline"];
        return timeline["receipts"].size() == 3;
      },
      20s));
  std::multiset<std::string> actions;
  for (const auto& e : timeline["events"]) actions.insert(e["action"].get<std::string>());
  EXPECT_EQ(actions.count("alert.publish"), 1u);
  EXPECT_EQ(actions.count("deadline.no_desk_on_duty"), 1u);
  EXPECT_EQ(actions.count("receipt.record"), 3u);
  EXPECT_EQ(actions.count("deadline.escalate"), 2u * 6u);  // RS and the five unstaffed, twice
  for (const auto& r : timeline["receipts"]) EXPECT_TRUE(r["signature_valid"].get<bool>());
  const auto receipts_file = dir.path() + "/receipts.json";
  json check{{"prefix_hex", "6c696169736f6e2e76312e7265636569707400"}, {"receipts", json::array()}};
  for (const auto& r : timeline["receipts"])
    check["receipts"].push_back(
        {{"payload", r["payload"]},
         {"signature", r["signature"]},
         {"public_key_pem",
          read_file(hu.id().keys_dir + "/" + r["key_id"].get<std::string>() + ".pub.pem")}});
  write_file(receipts_file, check.dump());
  child_process python(
      {"/usr/bin/python3", std::string(LIAISON_SOURCE_DIR) + "/tests/e2e/receipt_check.py",
       receipts_file},
      dir.path() + "/py.out", dir.path() + "/py.err");
  auto py = python.wait_for(60s);
  ASSERT_TRUE(py.has_value());
  EXPECT_EQ(child_process::exit_code(*py), 0) << read_file(dir.path() + "/py.err");
  EXPECT_EQ(read_file(dir.path() + "/py.out"), "3 receipts verified\n");
  // The deadlines escalated exactly twice each, never more, and HU's closed.
  EXPECT_EQ(count("SELECT count(*) FROM read_deadlines WHERE level = 2"), 6);
  EXPECT_EQ(count("SELECT count(*) FROM read_deadlines WHERE closed_by = 'read'"), 1);
}

TEST_F(RapidTest, ReceiptsThatAreNotTheDesksToGiveAreRefusedAndChangeNothingButTheAuditLog) {
  desk at("AT/desk", address(), false);
  desk hu("HU/desk", address(), false);
  desk rs("RS/desk", address(), false);
  auto alert = make_alert("AT", {"HU"}, "for HU only");
  auto envelope = sign_as(at.id(), alert);
  ASSERT_TRUE(at.conn().publish(envelope, 10s).has_publish_result());
  const auto id = alert.id();
  const auto sha = sha256_of(envelope.payload());
  auto code = [](const v1::Frame& f) {
    return f.has_error() ? f.error().code() : v1::ERROR_CODE_UNSPECIFIED;
  };
  ASSERT_TRUE(send_receipt(hu, receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_READ))
                  .has_receipt_result());
  const long receipts = count("SELECT count(*) FROM receipts");
  const long audits = count("SELECT count(*) FROM audit_log WHERE action = 'receipt.record'");

  // RS was not sent it.
  EXPECT_EQ(code(send_receipt(rs, receipt(rs.id(), "RS", id, "AT", sha, v1::RECEIPT_STATE_READ))),
            v1::PERMISSION_DENIED);
  // HU's desk signing with RS's key, for HU.
  EXPECT_EQ(code(send_receipt(hu, receipt(rs.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_READ))),
            v1::PERMISSION_DENIED);
  // HU's desk answering for RS.
  EXPECT_EQ(code(send_receipt(hu, receipt(hu.id(), "RS", id, "AT", sha, v1::RECEIPT_STATE_READ))),
            v1::PERMISSION_DENIED);
  // An alert that does not exist, the wrong SHA-256, a forged signature.
  EXPECT_EQ(code(send_receipt(hu, receipt(hu.id(), "HU", "00000000-0000-4000-8000-000000000000",
                                          "AT", sha, v1::RECEIPT_STATE_READ))),
            v1::NOT_FOUND);
  EXPECT_EQ(code(send_receipt(hu, receipt(hu.id(), "HU", id, "AT", std::string(32, 'x'),
                                          v1::RECEIPT_STATE_ACTIONED))),
            v1::INVALID_ARGUMENT);
  auto forged = receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_ACTIONED);
  forged.set_signature(std::string(64, '\0'));
  EXPECT_EQ(code(send_receipt(hu, forged)), v1::BAD_SIGNATURE);
  // Going backwards: DELIVERED after READ.
  auto backwards =
      send_receipt(hu, receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_DELIVERED));
  EXPECT_EQ(code(backwards), v1::FAILED_PRECONDITION);
  // Bytes that are not a Receipt.
  v1::SignedReceipt garbage;
  garbage.set_payload("\xff\xff not a receipt");
  EXPECT_EQ(code(send_receipt(hu, garbage)), v1::INVALID_ARGUMENT);
  EXPECT_EQ(count("SELECT count(*) FROM receipts"), receipts);

  // A replay of the very same bytes, and READ again: duplicates, nothing new.
  auto again = receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_ACTIONED, "stopped at A4");
  auto first = send_receipt(hu, again);
  ASSERT_TRUE(first.has_receipt_result());
  auto replay = send_receipt(hu, again);
  ASSERT_TRUE(replay.has_receipt_result());
  EXPECT_TRUE(replay.receipt_result().duplicate());
  EXPECT_EQ(replay.receipt_result().id(), first.receipt_result().id());
  EXPECT_TRUE(send_receipt(hu, receipt(hu.id(), "HU", id, "AT", sha, v1::RECEIPT_STATE_READ))
                  .receipt_result()
                  .duplicate());
  EXPECT_EQ(count("SELECT count(*) FROM receipts"), receipts + 1);
  // Every attempt is on the record: 8 refusals, 3 accepted (one new, two duplicates).
  ASSERT_TRUE(eventually(
      [&] {
        return count("SELECT count(*) FROM audit_log WHERE action = 'receipt.record'") ==
               audits + 11;
      },
      10s));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'receipt.record' AND outcome "
                  "= 'PERMISSION_DENIED'"),
            3);
}

TEST_F(RapidTest, AFlashOvertakesARoutineBacklogOnALanedConsumer) {
  desk at("AT/desk", address(), false);
  // 2,000 ROUTINE alerts of 8 kB wait for HU: 16 MB, more than the
  // connection's outbox (8 MiB) and the kernel's socket buffers hold, so
  // that ROUTINE alerts are still waiting in the server when the FLASH
  // comes, however fast the server has written until then.
  constexpr int backlog = 2000;
  std::vector<std::uint64_t> routine;
  for (int i = 0; i < backlog; ++i) {
    auto a = make_alert("AT", {"HU"}, "routine " + std::to_string(i));
    a.set_priority(v1::PRIORITY_ROUTINE);
    a.set_body(std::string(8000, 'r'));
    auto r = at.conn().publish(sign_as(at.id(), a), 10s);
    ASSERT_TRUE(r.has_publish_result());
    routine.push_back(r.publish_result().seq());
  }
  client::native_client hu(identity("HU/desk"), {address(), 10s, "e2e-lanes"});
  v1::Subscribe sub;
  sub.set_consumer("console");
  sub.mutable_stored_cursor();
  sub.set_lanes(true);
  auto answer = hu.subscribe(sub, 10s);
  ASSERT_TRUE(answer.has_subscribed());
  EXPECT_EQ(answer.subscribed().lanes_size(), 3);
  // Read a few, then a FLASH is committed while the rest of the backlog waits.
  std::vector<v1::Deliver> got;
  while (got.size() < 10) {
    auto f = hu.receive(10s);
    ASSERT_TRUE(f.has_value());
    if (f->has_deliver()) got.push_back(f->deliver());
  }
  auto flash = make_alert("AT", {"HU"}, "FLASH");
  flash.set_priority(v1::PRIORITY_FLASH);
  auto committed = at.conn().publish(sign_as(at.id(), flash), 10s);
  ASSERT_TRUE(committed.has_publish_result());
  const auto flash_seq = committed.publish_result().seq();
  // Acknowledge per lane as we go; the FLASH arrives long before the backlog ends.
  std::size_t routine_before_flash = 0;
  bool flash_seen = false;
  std::uint64_t last_routine = 0;
  while (!flash_seen || got.size() < backlog + 1) {
    auto f = hu.receive(20s);
    ASSERT_TRUE(f.has_value()) << "after " << got.size() << " deliveries";
    if (!f->has_deliver()) continue;
    const auto& d = f->deliver();
    got.push_back(d);
    if (d.seq() == flash_seq) {
      flash_seen = true;
      EXPECT_EQ(d.lane(), v1::PRIORITY_FLASH);
      routine_before_flash = got.size() - 1;
      v1::Frame ack;
      ack.mutable_ack()->set_consumer("console");
      ack.mutable_ack()->set_up_to_seq(d.seq());
      ack.mutable_ack()->set_lane(v1::PRIORITY_FLASH);
      hu.send(std::move(ack));
    } else {
      EXPECT_EQ(d.lane(), v1::PRIORITY_ROUTINE);
      EXPECT_GT(d.seq(), last_routine);  // each lane in seq order
      last_routine = d.seq();
    }
  }
  // Every ROUTINE alert was committed before the FLASH: each one delivered
  // after it was overtaken. Those before it had left the server already
  // (outbox and socket buffers), which no priority can undo.
  EXPECT_LT(routine_before_flash, static_cast<std::size_t>(backlog))
      << "the FLASH waited behind the whole ROUTINE backlog";
  std::cout << "FLASH delivered after " << routine_before_flash << " of " << backlog
            << " ROUTINE alerts committed before it\n";
  // Each alert exactly once.
  std::set<std::uint64_t> seqs;
  for (const auto& d : got) seqs.insert(d.seq());
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(backlog + 1));
  // A lane-less Ack on a laned consumer is refused, with the rule.
  v1::Frame bare;
  bare.mutable_ack()->set_consumer("console");
  bare.mutable_ack()->set_up_to_seq(routine.back());
  auto refused = hu.call(std::move(bare), 10s);
  ASSERT_TRUE(refused.has_error());
  EXPECT_NE(refused.error().message().find("name the lane"), std::string::npos);
  // Acknowledge the ROUTINE lane; reconnecting resumes each lane from its cursor.
  v1::Frame ack;
  ack.mutable_ack()->set_consumer("console");
  ack.mutable_ack()->set_up_to_seq(routine[backlog / 2]);
  ack.mutable_ack()->set_lane(v1::PRIORITY_ROUTINE);
  hu.send(std::move(ack));
  ASSERT_TRUE(eventually(
      [&] {
        return count("SELECT routine_cursor FROM consumers WHERE name = 'console'") ==
                   static_cast<long>(routine[backlog / 2]) &&
               count("SELECT flash_cursor FROM consumers WHERE name = 'console'") ==
                   static_cast<long>(flash_seq);
      },
      10s));
  hu.close();
  client::native_client again(identity("HU/desk"), {address(), 10s, "e2e-lanes"});
  answer = again.subscribe(sub, 10s);
  ASSERT_TRUE(answer.has_subscribed()) << answer.DebugString();
  std::map<v1::Priority, std::uint64_t> resume;
  for (const auto& l : answer.subscribed().lanes()) resume[l.lane()] = l.resume_after();
  EXPECT_EQ(resume[v1::PRIORITY_FLASH], flash_seq);
  EXPECT_EQ(resume[v1::PRIORITY_ROUTINE], routine[backlog / 2]);
  auto next = again.receive(10s);
  ASSERT_TRUE(next.has_value() && next->has_deliver());
  EXPECT_EQ(next->deliver().seq(), routine[backlog / 2 + 1]);
}

TEST_F(RapidTest, ADeskThatStopsAnsweringStopsCountingAsOnDuty) {
  desk at("AT/desk", address(), false);
  // HU's desk declares itself on duty, then never answers a Ping.
  client::native_client silent(identity("HU/desk"), {address(), 10s, "e2e-silent"});
  v1::Frame duty;
  duty.mutable_set_duty()->set_on_duty(true);
  ASSERT_TRUE(silent.call(std::move(duty), 10s).duty_set().counted());
  ASSERT_TRUE(eventually([&] { return state_of(at, "HU") == v1::DUTY_STATE_ON_DUTY; }, 10s));
  // stall_after is 3 s: within a few seconds HU is off duty (connected, not counted).
  ASSERT_TRUE(eventually([&] { return state_of(at, "HU") == v1::DUTY_STATE_OFF_DUTY; }, 15s));
  // An URGENT to HU now goes to HU's fallback at once.
  auto alert = make_alert("AT", {"HU"}, "while HU is away");
  ASSERT_TRUE(at.conn().publish(sign_as(at.id(), alert), 10s).has_publish_result());
  ASSERT_TRUE(at.wait(
      [&] { return at.members(v1::NOTICE_KIND_NO_DESK_ON_DUTY, alert.id()).count("HU") == 1; }));
  // Both changes are on the record.
  EXPECT_GE(count("SELECT count(*) FROM audit_log WHERE action = 'presence.change' AND subject = "
                  "'HU' AND detail::jsonb->>'to' = 'OFF_DUTY'"),
            1);
  EXPECT_GE(count("SELECT count(*) FROM audit_log WHERE action = 'presence.change' AND subject = "
                  "'HU' AND outcome = 'stalled'"),
            1);
  // Traffic again: counted again.
  v1::Frame ping;
  ping.mutable_ping()->set_nonce(7);
  ASSERT_TRUE(silent.call(std::move(ping), 10s).has_pong());
  ASSERT_TRUE(eventually([&] { return state_of(at, "HU") == v1::DUTY_STATE_ON_DUTY; }, 10s));
}

TEST_F(RapidTest, AWithdrawnAlertStopsItsDeadlines) {
  desk at("AT/desk", address(), false);
  auto alert = make_alert("AT", {"HU"}, "to be withdrawn");
  alert.set_priority(v1::PRIORITY_FLASH);
  alert.set_read_within_seconds(2);
  ASSERT_TRUE(at.conn().publish(sign_as(at.id(), alert), 10s).has_publish_result());
  auto withdrawal = make_alert("AT", {"HU"}, "withdrawn: wrong plate");
  withdrawal.set_kind(v1::KIND_WITHDRAWAL);
  withdrawal.set_in_reply_to(alert.id());
  withdrawal.set_priority(v1::PRIORITY_ROUTINE);
  ASSERT_TRUE(at.conn().publish(sign_as(at.id(), withdrawal), 10s).has_publish_result());
  at.pump(4s);
  EXPECT_TRUE(at.of(v1::NOTICE_KIND_OVERDUE, alert.id()).empty());
  EXPECT_EQ(count("SELECT count(*) FROM read_deadlines WHERE closed_by = 'withdrawn'"), 1);
  EXPECT_TRUE(status(at, alert.id()).withdrawn());
}

TEST_F(RapidTest, TheCliSendsReceiptsAndShowsStatusAndPresenceOverBothTransports) {
  desk at("AT/desk", address(), true);
  auto alert = make_alert("AT", {"HU"}, "for the CLI");
  ASSERT_TRUE(at.conn().publish(sign_as(at.id(), alert), 10s).has_publish_result());
  const auto hu = shared_pki_dir() + "/HU/desk";
  auto r = cli(
      {"receipt", "--id", hu, "--server", address(), "--alert-id", alert.id(), "--state", "read"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["state"], "READ");
  r = cli({"receipt", "--ws", "--format", "json", "--id", hu, "--server", server->https_address(),
           "--alert-id", alert.id(), "--state", "actioned", "--note", "vehicle stopped at Horgos"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Going backwards is refused with exit code 2.
  r = cli({"receipt", "--id", shared_pki_dir() + "/RS/desk", "--server", address(), "--alert-id",
           alert.id(), "--state", "read"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;  // RS neither sent nor got it

  for (bool ws : {false, true}) {
    std::vector<std::string> argv{
        "status",   "--id",     shared_pki_dir() + "/AT/desk",           "--alert-id",
        alert.id(), "--server", ws ? server->https_address() : address()};
    if (ws) argv.push_back("--ws");
    r = cli(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto s = json::parse(r.out);
    ASSERT_EQ(s["recipients"].size(), 1u);
    EXPECT_EQ(s["recipients"][0]["state"], "ACTIONED");
    ASSERT_EQ(s["recipients"][0]["receipts"].size(), 2u);
    for (const auto& x : s["recipients"][0]["receipts"])
      EXPECT_TRUE(x["signature_verified"].get<bool>()) << x;
    EXPECT_EQ(s["recipients"][0]["receipts"][1]["note"], "vehicle stopped at Horgos");
  }
  r = cli(
      {"presence", "--id", shared_pki_dir() + "/TF.coordination", "--server", address(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto p = json::parse(r.out);
  ASSERT_EQ(p["members"].size(), 27u);
  std::map<std::string, std::string> states;
  for (const auto& m : p["members"]) states[m["member"]] = m["state"];
  EXPECT_EQ(states["AT"], "ON_DUTY");
  EXPECT_EQ(states["XK"], "UNREACHABLE");
  r = cli({"presence", "--id", shared_pki_dir() + "/TF.coordination", "--server", address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MEMBER"), std::string::npos);
  // The HTTPS endpoint for operators says the same.
  partner_client ops{identity("ops")};
  auto http = ops.http(server->https_address(), "GET", "/v1/presence", std::nullopt, {});
  auto response = http.first("response");
  ASSERT_FALSE(response.is_null()) << http.stderr_text;
  EXPECT_EQ(response["status"], 200);
  EXPECT_EQ(json::parse(response["body"].get<std::string>())["members"].size(), 27u);
}

TEST_F(RapidTest, TheCliSubscriberAnswersWithDeliveredAndPrintsNotices) {
  desk at("AT/desk", address(), true);
  child_process sub({LIAISON_CLI_PATH, "subscribe", "--id", shared_pki_dir() + "/HU/desk",
                     "--server", address(), "--consumer", "console"},
                    dir.path() + "/sub", dir.path() + "/sub.err");
  ASSERT_TRUE(eventually([&] { return state_of(at, "HU") == v1::DUTY_STATE_ON_DUTY; }, 20s))
      << read_file(dir.path() + "/sub.err");
  auto alert = make_alert("AT", {"HU"}, "urgent for HU");
  alert.set_read_within_seconds(2);
  ASSERT_TRUE(at.conn().publish(sign_as(at.id(), alert), 10s).has_publish_result());
  // AT hears HU's DELIVERED, sent by the CLI by itself.
  ASSERT_TRUE(at.wait([&] { return !at.of(v1::NOTICE_KIND_RECEIPT, alert.id()).empty(); }));
  // HU's subscriber prints the alert and, 2 s later, the reminder.
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir.path() + "/sub").find("\"type\":\"reminder\"") != std::string::npos;
      },
      20s))
      << read_file(dir.path() + "/sub");
  EXPECT_NE(read_file(dir.path() + "/sub").find("\"type\":\"alert\""), std::string::npos);
  // A desk that publishes through short connections (the CLI) is connected
  // for a moment and never on duty: audited, but HU's officer is not paged.
  auto once = cli({"publish", "--id", shared_pki_dir() + "/RS/desk", "--server", address(), "--to",
                   "AT", "--subject", "from a short connection", "--spool", dir.path() + "/spool"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  ASSERT_TRUE(eventually(
      [&] {
        return count(
                   "SELECT count(*) FROM audit_log WHERE action = 'presence.change' AND "
                   "subject = 'RS'") >= 2;
      },
      20s));
  std::this_thread::sleep_for(500ms);  // a notice would have been pushed with the audit rows
  EXPECT_EQ(read_file(dir.path() + "/sub").find("\"members\":[\"RS\"]"), std::string::npos)
      << read_file(dir.path() + "/sub");
  sub.signal(SIGTERM);
  sub.wait_for(10s);
}

}  // namespace
}  // namespace liaison::testing
