// Strangers' failed authentications: counted per port, address and outcome,
// written as one summary row per key and window, bounded in keys.
#include "audit/failure_tally.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace liaison::audit {
namespace {

using namespace std::chrono_literals;
const core::time_point t0{std::chrono::microseconds{1'714'564'800'000'000}};

TEST(FailureTallyTest, AThousandFailuresOfOneAddressAreOneRow) {
  failure_tally tally(60s);
  for (int i = 0; i < 1000; ++i)
    tally.record("native", "198.51.100.9", auth_failure::handshake_timeout,
                 "TLS handshake timed out", t0 + std::chrono::milliseconds(i));
  // Nothing before the window ends.
  EXPECT_TRUE(tally.take_due(t0 + 59s).empty());
  auto rows = tally.take_due(t0 + 60s);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, core::audit_action::authentication_failures);
  EXPECT_EQ(rows[0].actor, "tls:198.51.100.9");
  EXPECT_EQ(rows[0].subject, "198.51.100.9");
  EXPECT_EQ(rows[0].outcome, "DEADLINE_EXCEEDED");
  auto detail = nlohmann::json::parse(rows[0].detail);
  EXPECT_EQ(detail["count"], 1000);
  EXPECT_EQ(detail["port"], "native");
  EXPECT_EQ(detail["reasons"]["TLS handshake timed out"], 1000);
  // Taken once: the next window starts empty.
  EXPECT_TRUE(tally.take_due(t0 + 200s).empty());
  EXPECT_EQ(tally.totals()[static_cast<std::size_t>(auth_failure::handshake_timeout)], 1000u);
}

TEST(FailureTallyTest, KeysAreSeparatePerPortAddressAndOutcome) {
  failure_tally tally(60s);
  tally.record("native", "198.51.100.9", auth_failure::tls, "certificate has expired", t0);
  tally.record("native", "198.51.100.9", auth_failure::unregistered, "not registered", t0);
  tally.record("https", "198.51.100.9", auth_failure::tls, "certificate has expired", t0);
  tally.record("native", "192.0.2.1", auth_failure::capacity, "no free slot", t0);
  auto rows = tally.take_due(t0 + 60s);
  // tls and unregistered share an outcome (UNAUTHENTICATED): one row, two reasons.
  ASSERT_EQ(rows.size(), 3u);
  auto native_stranger = nlohmann::json::parse(rows[2].detail);
  EXPECT_EQ(native_stranger["count"], 2);
  EXPECT_EQ(native_stranger["reasons"].size(), 2u);
}

TEST(FailureTallyTest, BeyondMaxKeysAddressesAreCountedAsOther) {
  failure_tally tally(60s, 2);
  for (int i = 0; i < 50; ++i)
    tally.record("native", "198.51.100." + std::to_string(i), auth_failure::tls, "x", t0);
  auto rows = tally.take_due(t0 + 60s);
  ASSERT_EQ(rows.size(), 3u);  // two addresses, and "other"
  std::uint64_t total = 0;
  for (const auto& r : rows) total += nlohmann::json::parse(r.detail)["count"].get<std::uint64_t>();
  EXPECT_EQ(total, 50u);
  EXPECT_EQ(rows.back().subject, "other");
}

TEST(FailureTallyTest, FlushAllWritesOpenWindowsAtShutdown) {
  failure_tally tally(60s);
  tally.record("https", "192.0.2.1", auth_failure::unregistered, "no certificate", t0);
  EXPECT_EQ(tally.take_due(t0 + 1s, /*flush_all=*/true).size(), 1u);
}

}  // namespace
}  // namespace liaison::audit
