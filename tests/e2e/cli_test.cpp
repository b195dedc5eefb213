// The `liaison` CLI as a duty desk uses it, against a running liaisond:
// publish prints one JSON line; subscribe prints and acknowledges, and a
// subscriber killed mid-stream resumes from its cursor without loss.
#include "e2e/alerts.hpp"
#include "e2e/server_fixture.hpp"
#include "pki/authority.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pqxx/pqxx>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

namespace liaison::testing {
namespace {

using namespace std::chrono_literals;

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The alerts `liaison subscribe` printed (it prints notices too).
std::vector<nlohmann::json> alert_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (auto& line : json_lines(text))
    if (line.value("type", "") == "alert") out.push_back(std::move(line));
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  temp_dir dir{"liaison-cli"};
  // The CLI's spool (signed alerts waiting for their outcome) in this test's folder.
  void SetUp() override { ::setenv("XDG_STATE_HOME", dir.path().c_str(), 1); }

  using result = run_result;

  std::vector<std::string> args(std::vector<std::string> rest) {
    rest.insert(rest.begin(), LIAISON_CLI_PATH);
    return rest;
  }

  result run(std::vector<std::string> argv) {
    return run_to_end(args(std::move(argv)), dir.path());
  }

  std::string id(const std::string& folder) { return shared_pki_dir() + "/" + folder; }
};

TEST_F(CliTest, PublishPrintsTheCommittedResultAsJson) {
  auto r = run({"publish",
                "--id",
                id("AT/desk"),
                "--server",
                server.native_address(),
                "--to",
                "HU,RS",
                "--priority",
                "URGENT",
                "--tlp",
                "AMBER",
                "--restriction",
                "H1",
                "--category",
                "VEHICLE",
                "--subject",
                "White van, plate W-12345X",
                "--body",
                "Seen at Nickelsdorf heading east",
                "--entity",
                "VEHICLE_PLATE=W-12345X"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["seq"], 1);
  EXPECT_EQ(lines[0]["id"].get<std::string>().size(), 36u);
  EXPECT_FALSE(lines[0]["received_at"].get<std::string>().empty());
}

TEST_F(CliTest, RejectedPublishPrintsCodeAndMessageAndFails) {
  auto r = run({"publish", "--id", id("AT/desk"), "--server", server.native_address(), "--to",
                "NOWHERE", "--subject", "to nobody"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("NOWHERE"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliTest, PublishOverHttpsAndSubscribeOverTheWebSocketStream) {
  auto r = run({"publish", "--http", "--id", id("AT/desk"), "--server", server.https_address(),
                "--to", "HU", "--subject", "over HTTPS"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto published = json_lines(r.out);
  ASSERT_EQ(published.size(), 1u);
  for (std::string format : {"json", "proto"}) {
    auto s = run({"subscribe", "--ws", "--format", format, "--id", id("partner-HU"), "--server",
                  server.https_address(), "--consumer", "ws-" + format, "--count", "1"});
    ASSERT_EQ(s.exit_code, 0) << format << ": " << s.err;
    auto lines = alert_lines(s.out);
    ASSERT_EQ(lines.size(), 1u) << format;
    EXPECT_EQ(lines[0]["id"], published[0]["id"]) << format;
    EXPECT_EQ(lines[0]["seq"], published[0]["seq"]) << format;
    EXPECT_TRUE(lines[0]["signature_verified"].get<bool>()) << format;
  }
  // A rejection over HTTPS reads like one over the native protocol.
  auto bad = run({"publish", "--http", "--id", id("AT/desk"), "--server", server.https_address(),
                  "--to", "NOWHERE", "--subject", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("INVALID_ARGUMENT"), std::string::npos) << bad.err;
}

TEST_F(CliTest, SubscriberKilledMidStreamResumesFromItsCursorWithoutLoss) {
  // Step 1: twenty alerts for Hungary.
  auto at_desk = identity("AT/desk");
  client::native_client publisher(at_desk, {server.native_address(), 10s, "e2e"});
  std::set<std::uint64_t> sent;
  auto publish = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto answer = publisher.publish(
          sign_as(at_desk, make_alert("AT", {"HU"}, "n" + std::to_string(i))), 10s);
      ASSERT_TRUE(answer.has_publish_result());
      sent.insert(answer.publish_result().seq());
    }
  };
  publish(20);
  auto subscribe = [&](const std::string& out) {
    return std::make_unique<child_process>(args({"subscribe", "--id", id("HU/desk"), "--server",
                                                 server.native_address(), "--consumer", "console"}),
                                           dir.path() + "/" + out, dir.path() + "/" + out + ".err");
  };
  // Step 2: a subscriber is killed -9 after printing a few.
  auto first = subscribe("first");
  ASSERT_TRUE(
      eventually([&] { return alert_lines(read_file(dir.path() + "/first")).size() >= 5; }, 30s));
  first->signal(SIGKILL);
  first->wait_for(10s);
  auto before = alert_lines(read_file(dir.path() + "/first"));
  // Step 3: more alerts arrive while no subscriber runs.
  publish(10);
  // Step 4: the next one picks up from the cursor and prints the rest.
  auto second = subscribe("second");
  ASSERT_TRUE(eventually(
      [&] {
        auto lines = alert_lines(read_file(dir.path() + "/second"));
        return !lines.empty() && lines.back()["seq"] == *sent.rbegin();
      },
      30s))
      << read_file(dir.path() + "/second.err");
  second->signal(SIGTERM);
  auto after = alert_lines(read_file(dir.path() + "/second"));

  std::set<std::uint64_t> seen;
  for (const auto* run : {&before, &after}) {
    std::uint64_t previous = 0;
    for (const auto& line : *run) {
      auto seq = line["seq"].get<std::uint64_t>();
      EXPECT_GT(seq, previous) << "out of order";
      previous = seq;
      EXPECT_TRUE(line["signature_verified"].get<bool>()) << line.dump();
      EXPECT_EQ(line["origin"], "AT");
      seen.insert(seq);
    }
  }
  EXPECT_EQ(seen, sent) << "an alert was lost";
  // Redelivery after the kill starts at the cursor: only alerts the first run
  // printed but had not acknowledged can appear twice.
  ASSERT_FALSE(after.empty());
  EXPECT_LE(after.front()["seq"].get<std::uint64_t>(),
            before.back()["seq"].get<std::uint64_t>() + 1);
}

// The arguments of one publish from AT to HU with a fixed id and content.
std::vector<std::string> publish_args(const std::string& cli_id, const std::string& server,
                                      const std::string& alert_id) {
  return {"publish", "--id", cli_id,      "--server",           server,
          "--to",    "HU",   "--subject", "Same content twice", "--alert-id",
          alert_id};
}

TEST_F(CliTest, PublishingTheSameAlertIdAndContentAgainReturnsTheOriginal) {
  const std::string alert_id = "4b8f2a77-1c9e-4d5a-8f3b-6e2d1c0a9b87";
  auto first = run(publish_args(id("AT/desk"), server.native_address(), alert_id));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // A second run stamps no new created_at: it sends the same signed bytes,
  // and the server answers with the original result.
  auto again = run(publish_args(id("AT/desk"), server.native_address(), alert_id));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto a = json_lines(first.out), b = json_lines(again.out);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["seq"], a[0]["seq"]);
  EXPECT_EQ(b[0]["duplicate"], true);
  EXPECT_EQ(a[0]["duplicate"], false);
  // Other content under the same id is a conflict, never a second alert.
  auto edited = publish_args(id("AT/desk"), server.native_address(), alert_id);
  edited[8] = "Edited after sending";
  auto conflict = run(edited);
  EXPECT_EQ(conflict.exit_code, 2);
  EXPECT_NE(conflict.err.find("DUPLICATE_CONFLICT"), std::string::npos) << conflict.err;
}

TEST_F(CliTest, AnUnknownOutcomeNamesTheSpoolFileAndResendingItGivesTheOriginal) {
  // The database holds the log head: the publish reaches the server, but its
  // commit waits and the CLI's one attempt times out with no answer.
  pqxx::connection blocker(db.admin_url());
  pqxx::work lock(blocker);
  lock.exec("SELECT * FROM log_head FOR UPDATE");
  auto args =
      publish_args(id("AT/desk"), server.native_address(), "9a1d3c5e-7f2b-4e6d-8c0a-1b3d5f7e9a2c");
  args.insert(args.end(), {"--retries", "0", "--timeout-ms", "1500"});
  auto lost = run(args);
  EXPECT_EQ(lost.exit_code, 3) << lost.err;
  EXPECT_NE(lost.err.find("it may or may not be stored"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("9a1d3c5e-7f2b-4e6d-8c0a-1b3d5f7e9a2c"), std::string::npos);
  // The advice names the spool file and the exact command.
  auto at = lost.err.find("--resend ");
  ASSERT_NE(at, std::string::npos) << lost.err;
  auto file = lost.err.substr(at + 9);
  file = file.substr(0, file.find_first_of(" \n"));
  ASSERT_TRUE(std::filesystem::exists(file)) << file;

  // The commit goes through once the lock is gone...
  lock.abort();
  // ...and resending the spool file gives the original result, not a second alert.
  auto resent = run(
      {"publish", "--id", id("AT/desk"), "--server", server.native_address(), "--resend", file});
  ASSERT_EQ(resent.exit_code, 0) << resent.err;
  auto line = json_lines(resent.out);
  ASSERT_EQ(line.size(), 1u);
  EXPECT_EQ(line[0]["id"], "9a1d3c5e-7f2b-4e6d-8c0a-1b3d5f7e9a2c");
  EXPECT_EQ(line[0]["duplicate"], true);
  pqxx::connection c(db.url());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM alerts")[0].as<int>(), 1);
}

TEST_F(CliTest, WhenNothingCanHaveBeenSentItSaysSoAndDoesNotRetry) {
  auto https_port = server.https_address();
  auto native_host = server.native_address().substr(0, server.native_address().rfind(':'));
  struct probe {
    std::vector<std::string> server_args;
    std::string says;
  };
  const std::vector<probe> probes = {
      {{"--server", "127.0.0.1:1"}, "cannot connect to 127.0.0.1:1"},
      {{"--server", native_host}, "is not HOST:PORT"},
      {{"--server", https_port}, "is liaisond's HTTPS port"},
      {{"--server", server.native_address(), "--http"}, "is the native port"},
  };
  for (const auto& p : probes) {
    std::vector<std::string> args = {"publish", "--id",      id("AT/desk"), "--to",
                                     "HU",      "--subject", "nothing sent"};
    args.insert(args.end(), p.server_args.begin(), p.server_args.end());
    auto started = std::chrono::steady_clock::now();
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 1) << p.says << ": " << r.err;
    EXPECT_NE(r.err.find(p.says), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was sent"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("may or may not"), std::string::npos) << r.err;
    // No retries with back-off (they would take seconds).
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << p.says;
  }
}

TEST_F(CliTest, AnExpiredCertificateIsCaughtBeforeConnecting) {
  auto dir_pki = shared_pki_dir();
  auto ca =
      pki::authority::load(read_file(dir_pki + "/ca/ca.pem"), read_file(dir_pki + "/ca/ca.key"));
  auto now = std::chrono::system_clock::now();
  auto cert = ca.issue({"AT.desk", {}, {}, pki::certificate_usage::client, now - 48h, now - 24h});
  // A copy of AT's identity folder with the expired certificate.
  auto folder = dir.path() + "/expired-desk";
  std::filesystem::copy(id("AT/desk"), folder, std::filesystem::copy_options::recursive);
  auto identity_file = read_file(folder + "/identity.toml");
  write_file(folder + "/cert.pem", cert.cert_pem);
  write_file(folder + "/key.pem", cert.key_pem);
  auto r = run({"publish", "--id", folder, "--server", server.native_address(), "--to", "HU",
                "--subject", "x"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("expired on"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PKI officer"), std::string::npos) << r.err;
}

TEST_F(CliTest, TwoProcessesDoNotStealAConsumerUnlessOneTakesItOver) {
  auto subscriber = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> a = {
        "subscribe",  "--id",  id("HU/desk"), "--server", server.native_address(),
        "--consumer", "shared"};
    a.insert(a.end(), extra.begin(), extra.end());
    return std::make_unique<child_process>(args(a), dir.path() + "/" + out,
                                           dir.path() + "/" + out + ".err");
  };
  auto first = subscriber("first", {});
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir.path() + "/first.err").find("resumes after") != std::string::npos;
      },
      20s));
  // A second process is refused with the way out, and gives up (no loop).
  auto second = run({"subscribe", "--id", id("HU/desk"), "--server", server.native_address(),
                     "--consumer", "shared"});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("held by another connection"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("--take-over"), std::string::npos) << second.err;
  // --take-over takes it once; the first is told and stops, refused in turn.
  auto third = subscriber("third", {"--take-over"});
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir.path() + "/third.err").find("resumes after") != std::string::npos;
      },
      20s));
  auto status = first->wait_for(20s);
  ASSERT_TRUE(status.has_value()) << "the first subscriber went on";
  EXPECT_EQ(child_process::exit_code(*status), 2) << read_file(dir.path() + "/first.err");
  EXPECT_NE(read_file(dir.path() + "/first.err").find("taken over"), std::string::npos);
  third->signal(SIGTERM);
  third->wait_for(10s);
}

TEST_F(CliTest, AReconnectingSubscriberAcknowledgesOnlyWhatWasDeliveredAgain) {
  // Lanes at different seqs (FLASH 2, ROUTINE 1, URGENT none); after the
  // server closes the idle connection, the subscriber resumes from the
  // lowest lane and must not acknowledge the others ahead of their
  // re-delivery (the server would refuse: "cannot acknowledge").
  test_database quick_db;
  liaisond_process quick(quick_db.url(), {{"native.idle_timeout", "\"2s\""}});
  auto at_desk = identity("AT/desk");
  auto publish = [&](const std::string& subject, v1::Priority priority) {
    client::native_client conn(at_desk, {quick.native_address(), 10s, "e2e"});
    auto alert = make_alert("AT", {"HU"}, subject);
    alert.set_priority(priority);
    ASSERT_TRUE(conn.publish(sign_as(at_desk, alert), 10s).has_publish_result());
  };
  auto sub = std::make_unique<child_process>(
      args({"subscribe", "--id", id("HU/desk"), "--server", quick.native_address(), "--consumer",
            "lanes", "--no-receipts"}),
      dir.path() + "/sub", dir.path() + "/sub.err");
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir.path() + "/sub.err").find("resumes after") != std::string::npos; },
      20s));
  publish("routine", v1::PRIORITY_ROUTINE);
  publish("flash", v1::PRIORITY_FLASH);
  ASSERT_TRUE(
      eventually([&] { return alert_lines(read_file(dir.path() + "/sub")).size() == 2; }, 20s));
  ASSERT_TRUE(eventually(
      [&] {
        auto err = read_file(dir.path() + "/sub.err");
        auto again = err.find("reconnecting");
        return again != std::string::npos && err.find("resumes after", again) != std::string::npos;
      },
      30s));
  publish("after", v1::PRIORITY_ROUTINE);
  ASSERT_TRUE(
      eventually([&] { return alert_lines(read_file(dir.path() + "/sub")).size() == 3; }, 30s))
      << read_file(dir.path() + "/sub.err");
  sub->signal(SIGTERM);
  sub->wait_for(10s);
  const auto err = read_file(dir.path() + "/sub.err");
  EXPECT_EQ(err.find("cannot acknowledge"), std::string::npos) << err;
  EXPECT_EQ(alert_lines(read_file(dir.path() + "/sub")).size(), 3u) << "printed twice";
}

TEST_F(CliTest, OnlyNewStaysOnlyNewAfterAReconnect) {
  test_database quick_db;
  liaisond_process quick(quick_db.url(), {{"native.idle_timeout", "\"2s\""}});
  auto at_desk = identity("AT/desk");
  auto publish = [&](const std::string& subject) {
    client::native_client conn(at_desk, {quick.native_address(), 10s, "e2e"});
    auto answer = conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, subject)), 10s);
    ASSERT_TRUE(answer.has_publish_result());
  };
  for (int i = 0; i < 5; ++i) publish("backlog " + std::to_string(i));
  auto sub = std::make_unique<child_process>(
      args({"subscribe", "--id", id("HU/desk"), "--server", quick.native_address(), "--consumer",
            "fresh", "--only-new", "--no-ack"}),
      dir.path() + "/sub", dir.path() + "/sub.err");
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir.path() + "/sub.err").find("resumes after") != std::string::npos; },
      20s));
  publish("new 1");
  ASSERT_TRUE(
      eventually([&] { return alert_lines(read_file(dir.path() + "/sub")).size() == 1; }, 20s));
  // The server closes the quiet connection (idle timeout of 2 s, shorter
  // than the CLI's pings); the subscriber reconnects by itself.
  ASSERT_TRUE(eventually(
      [&] { return read_file(dir.path() + "/sub.err").find("reconnecting") != std::string::npos; },
      30s));
  ASSERT_TRUE(eventually(
      [&] {
        auto err = read_file(dir.path() + "/sub.err");
        return err.find("resumes after", err.find("reconnecting")) != std::string::npos;
      },
      30s));
  publish("new 2");
  ASSERT_TRUE(
      eventually([&] { return alert_lines(read_file(dir.path() + "/sub")).size() >= 2; }, 30s))
      << read_file(dir.path() + "/sub.err");
  sub->signal(SIGTERM);
  sub->wait_for(10s);
  auto lines = alert_lines(read_file(dir.path() + "/sub"));
  ASSERT_EQ(lines.size(), 2u) << "the backlog was replayed: " << read_file(dir.path() + "/sub");
  EXPECT_EQ(lines[0]["subject"], "new 1");
  EXPECT_EQ(lines[1]["subject"], "new 2");
}

TEST_F(CliTest, AnIdleWebSocketSubscriptionStaysOpenAndGetsTheNextAlertAtOnce) {
  auto sub = std::make_unique<child_process>(
      args({"subscribe", "--ws", "--id", id("partner-HU"), "--server", server.https_address(),
            "--consumer", "idle", "--only-new"}),
      dir.path() + "/idle", dir.path() + "/idle.err");
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir.path() + "/idle.err").find("resumes after") != std::string::npos;
      },
      20s));
  // Thirty seconds of silence (longer than the client's read waits).
  std::this_thread::sleep_for(30s);
  auto at_desk = identity("AT/desk");
  client::native_client conn(at_desk, {server.native_address(), 10s, "e2e"});
  auto started = std::chrono::steady_clock::now();
  auto answer =
      conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "after a quiet spell")), 10s);
  ASSERT_TRUE(answer.has_publish_result());
  ASSERT_TRUE(
      eventually([&] { return !alert_lines(read_file(dir.path() + "/idle")).empty(); }, 20s));
  std::cout << "delivered "
            << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                   .count()
            << " ms after the publish was sent (not asserted)\n";
  sub->signal(SIGTERM);
  sub->wait_for(10s);
  auto err = read_file(dir.path() + "/idle.err");
  EXPECT_EQ(err.find("reconnecting"), std::string::npos) << "the stream was dropped: " << err;
  // One stream.open in the audit log: no reconnects.
  pqxx::connection c(db.url());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE action = 'stream.open'")[0].as<int>(),
            1);
}

TEST_F(CliTest, UsageErrorsVersionAndUnknownFilterValues) {
  auto zero = run({"subscribe", "--id", id("HU/desk"), "--consumer", "c", "--from-seq", "0"});
  EXPECT_EQ(zero.exit_code, 64);
  EXPECT_NE(zero.err.find("--from-seq counts from 1"), std::string::npos) << zero.err;
  auto bad = run({"publish", "--bogus"});
  EXPECT_EQ(bad.exit_code, 64);
  auto version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("liaison ", 0), 0u) << version.out;
  EXPECT_NE(version.out.find("commit"), std::string::npos) << version.out;
  // An origin that is no member is named, not answered with nothing.
  auto unknown = run({"history", "--id", id("auditor"), "--server", server.https_address(),
                      "--justification", "e2e", "--origin", "XX"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("'XX' is not a member"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace liaison::testing
