// The connection budgets: strangers handshaking are counted apart from
// authenticated principals, per source address, and a stale one makes room
// for a newcomer. Pure: no sockets, time passed in.
#include "net/session_registry.hpp"

#include <gtest/gtest.h>

namespace liaison::net {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

registry_limits small() {
  registry_limits l;
  l.max_authenticated = 2;
  l.max_per_principal = 1;
  l.max_pending = 4;
  l.max_pending_per_address = 2;
  l.evict_after = 1s;
  return l;
}

TEST(SessionRegistryTest, OneAddressCannotTakeMoreThanItsShareOfPendingSlots) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  int stopped = 0;
  auto stop = [&] { ++stopped; };
  // Two silent sockets from a stranger fill its share...
  ASSERT_TRUE(r.open("198.51.100.9", stop, t0));
  ASSERT_TRUE(r.open("198.51.100.9", stop, t0));
  // ...a third, at the same moment, is refused without touching the others.
  EXPECT_FALSE(r.open("198.51.100.9", stop, t0));
  EXPECT_EQ(stopped, 0);
  // Another address still has room.
  EXPECT_TRUE(r.open("192.0.2.1", stop, t0));
  EXPECT_EQ(r.pending(), 3u);
}

TEST(SessionRegistryTest, ANewcomerReplacesTheOldestStalePendingConnection) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  std::vector<int> stopped;
  auto first = r.open(
      "198.51.100.9", [&] { stopped.push_back(1); }, t0);
  auto second = r.open(
      "198.51.100.9", [&] { stopped.push_back(2); }, t0 + 500ms);
  ASSERT_TRUE(first && second);
  // After a second the first is stale: a newcomer from that address takes its slot.
  auto third = r.open(
      "198.51.100.9", [&] { stopped.push_back(3); }, t0 + 1s);
  ASSERT_TRUE(third);
  EXPECT_EQ(stopped, std::vector<int>{1});
  EXPECT_EQ(r.pending(), 2u);
  // The replaced one is gone: it can no longer authenticate.
  EXPECT_EQ(r.authenticate(*first, "AT.desk"), session_registry::admission::gone);
  r.close(*first);  // its late close changes nothing
  EXPECT_EQ(r.pending(), 2u);
}

TEST(SessionRegistryTest, AFullPendingBudgetReplacesAStaleOneFromAnyAddress) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  int stopped = 0;
  for (const char* a : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"})
    ASSERT_TRUE(r.open(
        a, [&] { ++stopped; }, t0));
  EXPECT_FALSE(r.open(
      "192.0.2.1", [] {}, t0 + 100ms))
      << "nothing stale yet";
  EXPECT_TRUE(r.open(
      "192.0.2.1", [] {}, t0 + 2s));
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(r.pending(), 4u);
}

TEST(SessionRegistryTest, AuthenticatedConnectionsHaveTheirOwnBudget) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  auto at = r.open(
      "192.0.2.1", [] {}, t0);
  auto hu = r.open(
      "192.0.2.2", [] {}, t0);
  ASSERT_EQ(r.authenticate(*at, "AT.desk", "0a"), session_registry::admission::ok);
  ASSERT_EQ(r.authenticate(*hu, "HU.desk"), session_registry::admission::ok);
  EXPECT_EQ(r.authenticated(), 2u);
  EXPECT_EQ(r.pending(), 0u);
  // Strangers fill the pending budget; the authenticated two are untouched.
  for (const char* a : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"})
    ASSERT_TRUE(r.open(
        a, [] {}, t0));
  EXPECT_EQ(r.count(), 6u);
  // A third authenticated connection finds the authenticated budget full...
  auto rs = r.open(
      "192.0.2.3", [] {}, t0 + 5s);  // replaces a stale stranger
  ASSERT_TRUE(rs);
  EXPECT_EQ(r.authenticate(*rs, "RS.desk"), session_registry::admission::full);
  // ...and a principal over its own limit is told so.
  r.close(*hu);
  auto at2 = r.open(
      "192.0.2.4", [] {}, t0 + 5s);
  ASSERT_TRUE(at2);
  EXPECT_EQ(r.authenticate(*at2, "AT.desk"), session_registry::admission::principal_full);
  EXPECT_EQ(r.authenticate(*rs, "RS.desk"), session_registry::admission::ok);
  EXPECT_EQ(r.count("AT.desk"), 1u);
}

TEST(SessionRegistryTest, RevokedSerialsAndPrincipalsAreStopped) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  int at_stopped = 0, hu_stopped = 0;
  auto at = r.open(
      "192.0.2.1", [&] { ++at_stopped; }, t0);
  auto hu = r.open(
      "192.0.2.2", [&] { ++hu_stopped; }, t0);
  r.authenticate(*at, "AT.desk", "0a");
  r.authenticate(*hu, "HU.desk", "0b");
  EXPECT_EQ(r.stop_serials({"0b"}), std::vector<std::string>{"HU.desk"});
  EXPECT_EQ(hu_stopped, 1);
  r.stop_principal("AT.desk");
  EXPECT_EQ(at_stopped, 1);
}

TEST(SessionRegistryTest, TheOperatorsViewListsAuthenticatedConnectionsOnly) {
  session_registry r(small());
  const auto t0 = clock::time_point{} + 1h;
  auto a = r.open(
      "192.0.2.1", [] {}, t0);
  auto b = r.open(
      "192.0.2.2", [] {}, t0 + 5s);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(r.authenticated_connections().empty());  // both still handshaking
  ASSERT_EQ(r.authenticate(*b, "AT.desk", "0A1B"), session_registry::admission::ok);
  auto listed = r.authenticated_connections();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, *b);
  EXPECT_EQ(listed[0].address, "192.0.2.2");
  EXPECT_EQ(listed[0].principal, "AT.desk");
  EXPECT_EQ(listed[0].certificate_serial, "0A1B");
  EXPECT_EQ(listed[0].opened, t0 + 5s);
  r.close(*b);
  EXPECT_TRUE(r.authenticated_connections().empty());
}

}  // namespace
}  // namespace liaison::net
