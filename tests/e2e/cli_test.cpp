// The `liaison` CLI as a duty desk uses it, against a running liaisond:
// publish prints one JSON line; subscribe prints and acknowledges, and a
// subscriber killed mid-stream resumes from its cursor without loss.
#include "e2e/alerts.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <set>
#include <sstream>

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

class CliTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  temp_dir dir{"liaison-cli"};
  int runs = 0;

  struct result {
    int exit_code;
    std::string out;
    std::string err;
  };

  std::vector<std::string> args(std::vector<std::string> rest) {
    rest.insert(rest.begin(), LIAISON_CLI_PATH);
    return rest;
  }

  result run(std::vector<std::string> argv) {
    auto n = std::to_string(++runs);
    child_process p(args(std::move(argv)), dir.path() + "/out" + n, dir.path() + "/err" + n);
    auto status = p.wait_for(60s);
    EXPECT_TRUE(status.has_value()) << "the CLI did not finish";
    return {status ? child_process::exit_code(*status) : -1, read_file(dir.path() + "/out" + n),
            read_file(dir.path() + "/err" + n)};
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
    auto lines = json_lines(s.out);
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
      eventually([&] { return json_lines(read_file(dir.path() + "/first")).size() >= 5; }, 30s));
  first->signal(SIGKILL);
  first->wait_for(10s);
  auto before = json_lines(read_file(dir.path() + "/first"));
  // Step 3: more alerts arrive while no subscriber runs.
  publish(10);
  // Step 4: the next one picks up from the cursor and prints the rest.
  auto second = subscribe("second");
  ASSERT_TRUE(eventually(
      [&] {
        auto lines = json_lines(read_file(dir.path() + "/second"));
        return !lines.empty() && lines.back()["seq"] == *sent.rbegin();
      },
      30s))
      << read_file(dir.path() + "/second.err");
  second->signal(SIGTERM);
  auto after = json_lines(read_file(dir.path() + "/second"));

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

}  // namespace
}  // namespace liaison::testing
