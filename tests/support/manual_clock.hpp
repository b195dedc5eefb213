// Time that a test sets: a wall clock (core::time_point, for audit rows and
// alert timestamps) and a steady clock (for deadlines), both advanced only
// by the test. Thread-safe.
#pragma once

#include "core/types.hpp"

#include <atomic>
#include <chrono>
#include <functional>

namespace liaison::testing {

class manual_clock {
 public:
  using steady_time = std::chrono::steady_clock::time_point;

  // Starts at 2024-05-01 12:00:00.123456 UTC; the steady clock at an
  // arbitrary point far from zero.
  core::time_point now() const { return core::time_point{core::duration{wall_us_.load()}}; }
  steady_time steady() const { return steady_time{std::chrono::microseconds{steady_us_.load()}}; }
  void advance(core::duration d) {
    wall_us_ += d.count();
    steady_us_ += d.count();
  }
  std::function<core::time_point()> fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<std::int64_t> wall_us_{1'714'564'800'123'456};
  std::atomic<std::int64_t> steady_us_{1'000'000'000'000};
};

}  // namespace liaison::testing
