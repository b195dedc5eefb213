// Shared by the peer drivers (NATS, Mosquitto), whose client libraries call
// back on their own threads: a publisher's window of outstanding publishes
// (closed loop) with its counters, and the 8-byte publish timestamp that
// leads every peer payload so that consumers can measure publish->deliver.
#pragma once

#include "common/histogram.hpp"
#include "common/workload.hpp"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>

namespace liaison::bench {

// The payload: the publish time (steady ns) followed by filler up to `bytes`.
inline std::string peer_payload(std::size_t bytes, steady::time_point t) {
  std::string p(std::max<std::size_t>(bytes, 8), 'x');
  const std::uint64_t ns = ns_since_epoch(t);
  std::memcpy(p.data(), &ns, 8);
  return p;
}

inline steady::time_point peer_publish_time(const void* data, std::size_t size) {
  std::uint64_t ns = 0;
  if (size >= 8) std::memcpy(&ns, data, 8);
  return steady::time_point{
      std::chrono::duration_cast<steady::duration>(std::chrono::nanoseconds(ns))};
}

// One publisher's book-keeping; every member is guarded by `mutex`.
struct peer_publisher_state {
  std::mutex mutex;
  std::condition_variable room;
  std::size_t outstanding = 0;
  std::uint64_t sent = 0, acked = 0, failed = 0, acked_in_window = 0, expected = 0;
  histogram ack_latency;
  std::string error;

  // Blocks while `window` publishes are outstanding (0: never blocks).
  void wait_for_room(std::size_t window) {
    std::unique_lock lock(mutex);
    room.wait(lock, [&] { return window == 0 || outstanding < window; });
  }
  void on_sent() {
    std::lock_guard lock(mutex);
    ++sent;
    ++outstanding;
  }
  void on_answer(const run_clock& clock, steady::time_point published, bool ok,
                 const std::string& why = {}) {
    const auto now = steady::now();
    {
      std::lock_guard lock(mutex);
      --outstanding;
      if (ok) {
        ++acked;
        ++expected;
        if (clock.in_window(published)) ack_latency.record(elapsed_ns(published, now));
        if (clock.in_window(now)) ++acked_in_window;
      } else {
        ++failed;
        if (error.empty()) error = why;
      }
    }
    room.notify_one();
  }
};

// One consumer's book-keeping; every member is guarded by `mutex`.
struct peer_consumer_state {
  std::mutex mutex;
  std::uint64_t delivered = 0, in_window = 0;
  histogram latency;

  void on_delivery(const run_clock& clock, steady::time_point published) {
    const auto now = steady::now();
    std::lock_guard lock(mutex);
    ++delivered;
    if (clock.in_window(now)) ++in_window;
    if (clock.in_window(published)) latency.record(elapsed_ns(published, now));
  }
};

}  // namespace liaison::bench
