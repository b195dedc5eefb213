// The publish rate of each member: one token bucket per member, refilled at a
// sustained rate up to a burst, so that a desk over its rate is refused
// cheaply and never slows the others. No I/O and no clock: the caller passes
// `now`, so tests drive it with a fake clock.
#pragma once

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace liaison::broker {

struct rate_limit {
  std::uint64_t per_second = 0;  // tokens added per second; 0 turns the limit off
  std::uint64_t burst = 1;       // bucket size: takes accepted back to back when full
};

struct rate_decision {
  bool allowed = true;
  std::chrono::microseconds retry_after{0};  // when refused: until a token is back
};

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // With `limit.per_second` not 0, `limit.burst` must be at least 1 (at most
  // 2^40, as configuration allows).
  explicit rate_limiter(rate_limit limit);

  // Takes one token from `key`'s bucket; a new key starts with a full one.
  // Refused when the bucket holds less than a token: then nothing is taken
  // and `retry_after` says when one will be there. Always allowed when the
  // limit is off. Time that goes backwards refills nothing. Thread-safe (a
  // short lock, no I/O). Keeps one bucket per distinct key, so keys must come
  // from a bounded set (registered members).
  rate_decision try_take(std::string_view key, clock::time_point now);

  // Refusals so far, all keys together (for metrics). Thread-safe.
  std::uint64_t refused() const;

  const rate_limit& limit() const { return limit_; }

 private:
  // Tokens are counted in millionths so that refilling is integer arithmetic:
  // `per_second` millionths per elapsed microsecond.
  static constexpr std::uint64_t unit = 1'000'000;
  struct bucket {
    std::uint64_t level;  // millionths of a token
    clock::time_point updated;
  };
  void refill(bucket& b, clock::time_point now) const;

  rate_limit limit_;
  mutable std::mutex mutex_;
  std::map<std::string, bucket, std::less<>> buckets_;
  std::uint64_t refused_ = 0;
};

// RESOURCE_EXHAUSTED for a publish of `member` over `limit`: names the member,
// the configured rate and burst, and when to retry (rounded up to a whole
// millisecond).
core::error publish_rate_exceeded(std::string_view member, const rate_limit& limit,
                                  std::chrono::microseconds retry_after);

}  // namespace liaison::broker
