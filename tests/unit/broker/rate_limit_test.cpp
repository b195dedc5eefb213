#include "broker/rate_limit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace liaison::broker {
namespace {

using namespace std::chrono_literals;
using steady = rate_limiter::clock;

// A fake clock: tests move it by hand and never sleep.
const steady::time_point t0 = steady::time_point{} + 1000h;

// How many takes of `key` succeed at `now` before the first refusal.
int takes_until_refused(rate_limiter& limiter, const std::string& key, steady::time_point now) {
  int n = 0;
  while (limiter.try_take(key, now).allowed) ++n;
  return n;
}

TEST(RateLimitTest, AFullBucketAllowsTheBurstThenRefuses) {
  rate_limiter limiter({5, 5});
  EXPECT_EQ(takes_until_refused(limiter, "AT", t0), 5);
  auto refused = limiter.try_take("AT", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 200ms);  // one token at 5 per second
  EXPECT_EQ(limiter.refused(), 2u);
}

TEST(RateLimitTest, TokensComeBackAtTheRate) {
  rate_limiter limiter({10, 3});
  ASSERT_EQ(takes_until_refused(limiter, "AT", t0), 3);
  // One token per 100 ms: not yet after 99 ms, then exactly one.
  auto early = limiter.try_take("AT", t0 + 99ms);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after, 1ms);
  EXPECT_TRUE(limiter.try_take("AT", t0 + 100ms).allowed);
  EXPECT_FALSE(limiter.try_take("AT", t0 + 100ms).allowed);
  // Half a second later: five tokens earned, but the bucket holds three.
  EXPECT_EQ(takes_until_refused(limiter, "AT", t0 + 600ms), 3);
  // A long quiet spell refills it to the burst, no more.
  EXPECT_EQ(takes_until_refused(limiter, "AT", t0 + 100h), 3);
}

TEST(RateLimitTest, SustainedRateIsTheConfiguredOne) {
  // Taking as fast as allowed for ten seconds, in 1 ms steps: burst + 10 s x rate.
  rate_limiter limiter({250, 20});
  int taken = 0;
  for (auto t = t0; t <= t0 + 10s; t += 1ms) taken += takes_until_refused(limiter, "AT", t);
  EXPECT_EQ(taken, 20 + 2500);
}

TEST(RateLimitTest, FractionsOfAMicrosecondAreNotLost) {
  // Asked every 700.3 us for 10 s and a little: 3 per second make 30 tokens.
  // Dropping the 0.3 us of each step would leave 29.
  rate_limiter limiter({3, 100});
  ASSERT_EQ(takes_until_refused(limiter, "AT", t0), 100);
  int taken = 0;
  for (auto t = t0; t <= t0 + 10s + 1ms; t += 700us + 300ns)
    taken += takes_until_refused(limiter, "AT", t);
  EXPECT_EQ(taken, 30);
}

TEST(RateLimitTest, MembersHaveSeparateBuckets) {
  rate_limiter limiter({1, 2});
  ASSERT_EQ(takes_until_refused(limiter, "AT", t0), 2);
  // AT is out of tokens; HU is not touched by it.
  EXPECT_EQ(takes_until_refused(limiter, "HU", t0), 2);
  EXPECT_FALSE(limiter.try_take("AT", t0).allowed);
  EXPECT_TRUE(limiter.try_take("RS", t0).allowed);
}

TEST(RateLimitTest, ZeroRateIsOff) {
  rate_limiter limiter({0, 1});
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(limiter.try_take("AT", t0).allowed);
  EXPECT_EQ(limiter.refused(), 0u);
}

TEST(RateLimitTest, AClockGoingBackRefillsNothing) {
  rate_limiter limiter({1, 1});
  ASSERT_TRUE(limiter.try_take("AT", t0).allowed);
  EXPECT_FALSE(limiter.try_take("AT", t0 - 1h).allowed);
  // Time counts again from the earlier reading, once.
  EXPECT_FALSE(limiter.try_take("AT", t0 - 1h + 999ms).allowed);
  EXPECT_TRUE(limiter.try_take("AT", t0 - 1h + 1s).allowed);
}

TEST(RateLimitTest, LargeLimitsDoNotOverflow) {
  rate_limiter limiter({1'000'000, 1'000'000'000});
  EXPECT_TRUE(limiter.try_take("AT", t0).allowed);
  EXPECT_TRUE(limiter.try_take("AT", t0 + 24h * 365 * 100).allowed);
  rate_limiter slow({1, std::uint64_t{1} << 40});
  EXPECT_TRUE(slow.try_take("AT", t0 + 24h * 365 * 100).allowed);
}

TEST(RateLimitTest, ConcurrentTakesNeverExceedTheBucket) {
  rate_limiter limiter({1, 1000});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j)
        if (limiter.try_take("AT", t0).allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
  EXPECT_EQ(limiter.refused(), 3000u);
}

TEST(RateLimitTest, TheRefusalNamesMemberRateBurstAndRetry) {
  auto e = publish_rate_exceeded("AT", {5, 10}, 200ms);
  EXPECT_EQ(e.code, core::errc::resource_exhausted);
  EXPECT_EQ(e.message,
            "member AT is over its publish rate of 5 per second (burst 10); nothing was stored, "
            "retry in 200 ms");
  // Rounded up to a whole millisecond, at least one.
  EXPECT_NE(publish_rate_exceeded("AT", {5, 10}, 1us).message.find("retry in 1 ms"),
            std::string::npos);
  EXPECT_NE(publish_rate_exceeded("AT", {3, 1}, 333'334us).message.find("retry in 334 ms"),
            std::string::npos);
}

}  // namespace
}  // namespace liaison::broker
