// End to end against a running liaisond over real TLS with development
// certificates and a real PostgreSQL: every member receives exactly what is
// addressed to it, in seq order, and nothing is lost across disconnects.
#include "config/server_config.hpp"
#include "e2e/alerts.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace liaison::testing {
namespace {

namespace v1 = liaison::v1;
using namespace std::chrono_literals;

client::connect_options at(const liaisond_process& server) {
  return {server.native_address(), 10s, "e2e"};
}

v1::Subscribe consumer_named(const std::string& name) {
  v1::Subscribe s;
  s.set_consumer(name);
  s.mutable_stored_cursor();
  return s;
}

core::registry_data members() {
  return config::load_registry(
      {std::string(LIAISON_SOURCE_DIR) + "/config/members.toml", shared_pki_dir() + "/keys"});
}

// Recipients as the brief defines them, computed independently of the server:
// a group reaches its members but never the sender; a member named explicitly
// is reached, even the sender itself.
std::set<std::string> expected_recipients(const core::registry_data& reg, const std::string& origin,
                                          const std::vector<std::string>& to) {
  std::set<std::string> out;
  for (const auto& name : to) {
    auto g = std::find_if(reg.groups.begin(), reg.groups.end(),
                          [&](const auto& x) { return x.name == name; });
    if (g == reg.groups.end()) {
      out.insert(name);
      continue;
    }
    for (const auto& m : g->members)
      if (m != origin) out.insert(m);
  }
  return out;
}

struct received {
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> ids;
};

// Reads deliveries until `expected` alerts arrived or `limit` passed,
// acknowledging each.
received consume(client::native_client& conn, const std::string& consumer, std::size_t expected,
                 std::chrono::seconds limit) {
  received out;
  auto until = std::chrono::steady_clock::now() + limit;
  while (out.ids.size() < expected && std::chrono::steady_clock::now() < until) {
    auto frame = conn.receive(500ms);
    if (!frame || !frame->has_deliver()) continue;
    v1::Alert a;
    EXPECT_TRUE(a.ParseFromString(frame->deliver().envelope().payload()));
    out.seqs.push_back(frame->deliver().seq());
    out.ids.push_back(a.id());
    conn.ack(consumer, frame->deliver().seq());
  }
  return out;
}

class DeliveryTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server = std::make_unique<liaisond_process>(db.url());
};

TEST_F(DeliveryTest, AllDesksExchangeAndEachReceivesExactlyWhatIsAddressedToIt) {
  auto reg = members();
  std::vector<std::string> codes;
  for (const auto& m : reg.members) codes.push_back(m.code);
  ASSERT_EQ(codes.size(), 27u);

  // Step 1: every desk connects a durable consumer before anything is sent.
  std::map<std::string, client::native_client> subscribers;
  for (const auto& code : codes) {
    auto [it, ok] =
        subscribers.emplace(code, client::native_client(identity(code + "/desk"), at(*server)));
    auto answer = it->second.subscribe(consumer_named("e2e"), 10s);
    ASSERT_TRUE(answer.has_subscribed()) << code << ": " << answer.DebugString();
  }

  // Step 2: all 27 desks publish at once: one alert to a single member, one to
  // a group, one to ALL.
  const std::vector<std::string> groups = {"WB6", "EU"};
  std::map<std::string, std::set<std::string>> expected;  // member -> alert ids
  std::mutex expected_mutex;
  std::vector<std::future<void>> publishers;
  std::atomic<int> published{0};
  for (std::size_t i = 0; i < codes.size(); ++i) {
    publishers.push_back(std::async(std::launch::async, [&, i] {
      const auto& origin = codes[i];
      auto id = identity(origin + "/desk");
      client::native_client conn(id, at(*server));
      std::vector<std::vector<std::string>> targets = {
          {codes[(i + 1) % codes.size()]}, {groups[i % 2]}, {"ALL"}};
      for (const auto& to : targets) {
        auto alert = make_alert(origin, to, origin + " to " + to.front());
        auto answer = conn.publish(sign_as(id, alert), 20s);
        ASSERT_TRUE(answer.has_publish_result()) << origin << ": " << answer.DebugString();
        ++published;
        std::lock_guard lock(expected_mutex);
        for (const auto& m : expected_recipients(reg, origin, to)) expected[m].insert(alert.id());
      }
    }));
  }
  for (auto& p : publishers) p.get();
  ASSERT_EQ(published.load(), 81);

  // Step 3: every member receives exactly its alerts, in seq order, once.
  std::vector<std::future<std::pair<std::string, received>>> readers;
  for (auto& [code, conn] : subscribers) {
    auto want = expected[code].size();
    readers.push_back(std::async(std::launch::async, [&, code = code, want] {
      return std::make_pair(code, consume(subscribers.at(code), "e2e", want, 60s));
    }));
  }
  for (auto& r : readers) {
    auto [code, got] = r.get();
    std::set<std::string> ids(got.ids.begin(), got.ids.end());
    EXPECT_EQ(ids.size(), got.ids.size()) << code << " received a duplicate";
    EXPECT_EQ(ids, expected[code]) << code << " did not receive exactly its alerts";
    EXPECT_TRUE(std::is_sorted(got.seqs.begin(), got.seqs.end()))
        << code << " received out of order";
  }
  // And nothing more arrives afterwards.
  for (auto& [code, conn] : subscribers) {
    auto extra = conn.receive(50ms);
    EXPECT_FALSE(extra && extra->has_deliver()) << code << " received an alert not addressed to it";
  }
}

TEST_F(DeliveryTest, ReconnectingConsumerResumesAfterItsAcknowledgedCursor) {
  auto at_desk = identity("AT/desk");
  client::native_client publisher(at_desk, at(*server));
  std::vector<std::uint64_t> seqs;
  auto publish = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto answer = publisher.publish(
          sign_as(at_desk, make_alert("AT", {"HU"}, "alert " + std::to_string(i))), 10s);
      ASSERT_TRUE(answer.has_publish_result());
      seqs.push_back(answer.publish_result().seq());
    }
  };
  publish(5);

  // Step 1: HU reads all five but acknowledges only the first three.
  {
    client::native_client hu(identity("HU/desk"), at(*server));
    ASSERT_TRUE(hu.subscribe(consumer_named("resume"), 10s).has_subscribed());
    std::vector<std::uint64_t> got;
    while (got.size() < 5) {
      auto f = hu.receive(10s);
      ASSERT_TRUE(f.has_value()) << "timed out waiting for deliveries";
      if (f->has_deliver()) got.push_back(f->deliver().seq());
    }
    EXPECT_EQ(got, seqs);
    hu.ack("resume", seqs[2]);
    // A Ping answered means the Ack before it was processed.
    v1::Frame ping;
    ping.mutable_ping()->set_nonce(7);
    ASSERT_TRUE(hu.call(ping, 10s).has_pong());
  }
  // Step 2: more alerts arrive while HU is away.
  publish(3);
  // Step 3: HU comes back and gets the two unacknowledged and the three new, in order.
  client::native_client hu(identity("HU/desk"), at(*server));
  auto answer = hu.subscribe(consumer_named("resume"), 10s);
  ASSERT_TRUE(answer.has_subscribed());
  EXPECT_EQ(answer.subscribed().cursor(), seqs[2]);
  std::vector<std::uint64_t> got;
  while (got.size() < 5) {
    auto f = hu.receive(10s);
    ASSERT_TRUE(f.has_value()) << "timed out waiting for redelivery";
    if (f->has_deliver()) got.push_back(f->deliver().seq());
  }
  EXPECT_EQ(got, std::vector<std::uint64_t>(seqs.begin() + 3, seqs.end()));
}

TEST_F(DeliveryTest, SlowConsumerFallsBackToTheDatabaseWithoutLossOrDelayingOthers) {
  // A tiny outbound queue forces the slow consumer off the live path.
  server = std::make_unique<liaisond_process>(
      db.url(), std::map<std::string, std::string>{{"native.outbox_max_bytes", "4096"},
                                                   {"native.max_frame_bytes", "4096"}});
  client::native_client slow(identity("HU/desk"), at(*server));
  client::native_client fast(identity("RS/desk"), at(*server));
  ASSERT_TRUE(slow.subscribe(consumer_named("slow"), 10s).has_subscribed());
  ASSERT_TRUE(fast.subscribe(consumer_named("fast"), 10s).has_subscribed());

  // Step 1: 300 alerts to both while the slow consumer reads nothing.
  auto at_desk = identity("AT/desk");
  client::native_client publisher(at_desk, at(*server));
  constexpr int total = 300;
  for (int i = 0; i < total; ++i) {
    auto answer = publisher.publish(
        sign_as(at_desk, make_alert("AT", {"HU", "RS"}, "n" + std::to_string(i))), 10s);
    ASSERT_TRUE(answer.has_publish_result());
  }
  // Step 2: the fast consumer has everything without waiting for the slow one.
  auto fast_got = consume(fast, "fast", total, 60s);
  EXPECT_EQ(fast_got.ids.size(), static_cast<std::size_t>(total));
  // Step 3: the slow consumer finally reads, and gets all of it, in order.
  auto slow_got = consume(slow, "slow", total, 60s);
  ASSERT_EQ(slow_got.ids.size(), static_cast<std::size_t>(total));
  EXPECT_TRUE(std::is_sorted(slow_got.seqs.begin(), slow_got.seqs.end()));
  EXPECT_EQ(std::set<std::uint64_t>(slow_got.seqs.begin(), slow_got.seqs.end()).size(),
            static_cast<std::size_t>(total));
}

TEST_F(DeliveryTest, ADurableConsumerIsHeldByOneConnectionAndTakenOverOnlyOnRequest) {
  client::native_client first(identity("HU/desk"), at(*server));
  auto as_first = consumer_named("console");
  as_first.set_client_instance("process-1");
  ASSERT_TRUE(first.subscribe(as_first, 10s).has_subscribed());

  // Another process asking for the same consumer is refused, naming the way out.
  client::native_client second(identity("HU/desk"), at(*server));
  auto as_second = consumer_named("console");
  as_second.set_client_instance("process-2");
  auto refused = second.subscribe(as_second, 10s);
  ASSERT_TRUE(refused.has_error()) << refused.DebugString();
  EXPECT_EQ(refused.error().code(), v1::FAILED_PRECONDITION);
  EXPECT_NE(refused.error().message().find("held by another connection"), std::string::npos);
  EXPECT_NE(refused.error().message().find("take_over"), std::string::npos);

  // The same process reconnecting (its old connection not noticed gone yet) resumes it.
  client::native_client again(identity("HU/desk"), at(*server));
  ASSERT_TRUE(again.subscribe(as_first, 10s).has_subscribed());
  auto notice = first.receive(10s);
  ASSERT_TRUE(notice.has_value() && notice->has_error());
  EXPECT_NE(notice->error().message().find("taken over"), std::string::npos);

  // An explicit take-over takes it, once; the holder is told.
  as_second.set_take_over(true);
  ASSERT_TRUE(second.subscribe(as_second, 10s).has_subscribed());
  notice = again.receive(10s);
  ASSERT_TRUE(notice.has_value() && notice->has_error());
  EXPECT_EQ(notice->error().code(), v1::FAILED_PRECONDITION);
  EXPECT_NE(notice->error().message().find("taken over"), std::string::npos);
}

TEST_F(DeliveryTest, FromSeqZeroIsRefused) {
  client::native_client conn(identity("HU/desk"), at(*server));
  auto sub = consumer_named("console");
  sub.set_from_seq(0);
  auto answer = conn.subscribe(sub, 10s);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::INVALID_ARGUMENT);
  EXPECT_NE(answer.error().message().find("from_seq starts at 1"), std::string::npos);
}

}  // namespace
}  // namespace liaison::testing
