// Found by the fault-injection harness: client::native_client::receive()
// with a short timeout must not lose a frame that arrives as the timeout
// expires. (Publishers of the harness saw answers vanish; a subscriber that
// acknowledges cumulatively would skip the alert in a vanished Deliver.)
#include "client/native_client.hpp"
#include "e2e/server_fixture.hpp"
#include "faults/pg_cluster.hpp"
#include "faults/server_process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>

namespace liaison::faults {
namespace {

namespace v1 = liaison::v1;
using namespace std::chrono_literals;

class ClientReceiveTest : public ::testing::Test {
 protected:
  // One database and one server for both tests.
  struct world {
    testing::temp_dir dir{"liaison-client-receive"};
    pg_cluster pg{dir.path() + "/postgres-commands.log"};
    server_process server{
        dir.path(),
        {{"database.url", "\"" + pg.create_app_database("receive") + "\""},
         {"database.owner_url", "\"" + pg.url("receive", "liaison_owner") + "\""}}};
  };
  static inline std::unique_ptr<world> w;
  static void SetUpTestSuite() {
    w = std::make_unique<world>();
    w->server.start();
  }
  static void TearDownTestSuite() { w.reset(); }

  // Sends `n` Pings at once, then polls with `poll` until every Pong arrived
  // (or 10 s passed); returns the nonces answered.
  std::set<std::uint64_t> pongs_polling_with(std::chrono::milliseconds poll, std::uint64_t n) {
    client::native_client conn(testing::identity("AT/desk"),
                               {w->server.native_address(), 10s, "receive-test"});
    for (std::uint64_t i = 1; i <= n; ++i) {
      v1::Frame ping;
      ping.mutable_ping()->set_nonce(i);
      conn.send(ping);
    }
    std::set<std::uint64_t> got;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (got.size() < n && std::chrono::steady_clock::now() < until) {
      auto frame = conn.receive(poll);
      if (frame && frame->has_pong()) got.insert(frame->pong().nonce());
    }
    return got;
  }
};

TEST_F(ClientReceiveTest, PollingWithoutWaitingLosesNoFrame) {
  // receive(0ms) asks "anything there?": what is there must be returned, now or later.
  EXPECT_EQ(pongs_polling_with(0ms, 200).size(), 200u)
      << "Pong frames were read from the socket and dropped";
}

TEST_F(ClientReceiveTest, ShortTimeoutsLoseNoFrame) {
  EXPECT_EQ(pongs_polling_with(1ms, 2000).size(), 2000u)
      << "Pong frames were read from the socket and dropped";
}

}  // namespace
}  // namespace liaison::faults
