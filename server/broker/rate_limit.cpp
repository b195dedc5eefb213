#include "broker/rate_limit.hpp"

#include <algorithm>
#include <cassert>

namespace liaison::broker {

rate_limiter::rate_limiter(rate_limit limit) : limit_(limit) {
  assert(limit_.per_second == 0 || (limit_.burst >= 1 && limit_.burst <= (std::uint64_t{1} << 40)));
}

void rate_limiter::refill(bucket& b, clock::time_point now) const {
  if (now <= b.updated) {
    // A clock that went back: refill from here on, never for time twice.
    b.updated = now;
    return;
  }
  const std::uint64_t capacity = limit_.burst * unit;
  const auto elapsed = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - b.updated).count());
  const std::uint64_t missing = capacity - b.level;
  // Compared as time, so that elapsed * per_second cannot overflow.
  if (elapsed >= (missing + limit_.per_second - 1) / limit_.per_second) {
    b.level = capacity;
    b.updated = now;
    return;
  }
  b.level += elapsed * limit_.per_second;
  // Advance by whole microseconds only: the remainder counts next time.
  b.updated += std::chrono::microseconds(elapsed);
}

rate_decision rate_limiter::try_take(std::string_view key, clock::time_point now) {
  if (limit_.per_second == 0) return {};
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end())
    it = buckets_.emplace(std::string(key), bucket{limit_.burst * unit, now}).first;
  auto& b = it->second;
  refill(b, now);
  if (b.level >= unit) {
    b.level -= unit;
    return {};
  }
  ++refused_;
  const std::uint64_t missing = unit - b.level;
  const auto wait = (missing + limit_.per_second - 1) / limit_.per_second;
  return {false, std::chrono::microseconds(static_cast<std::int64_t>(wait))};
}

std::uint64_t rate_limiter::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

core::error publish_rate_exceeded(std::string_view member, const rate_limit& limit,
                                  std::chrono::microseconds retry_after) {
  const auto ms = std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
  return core::make_error(core::errc::resource_exhausted,
                          "member " + std::string(member.substr(0, 16)) +
                              " is over its publish rate of " + std::to_string(limit.per_second) +
                              " per second (burst " + std::to_string(limit.burst) +
                              "); nothing was stored, retry in " + std::to_string(ms) + " ms");
}

}  // namespace liaison::broker
