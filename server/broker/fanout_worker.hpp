// Runs the hub's live fan-out on a thread of its own, batch after batch in
// commit order, so that the database writer can start its next group commit
// at once instead of encoding deliveries for every consumer first.
#pragma once

#include "broker/hub.hpp"
#include "core/types.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace liaison::broker {

class fanout_worker {
 public:
  // Beyond `max_queued_batches` waiting batches, push() blocks: the writer
  // slows down rather than the server's memory growing without bound.
  explicit fanout_worker(hub& live, std::size_t max_queued_batches = 4096);
  ~fanout_worker();  // stop()
  fanout_worker(const fanout_worker&) = delete;
  fanout_worker& operator=(const fanout_worker&) = delete;

  void start();
  // Fans out what is queued, then joins the thread.
  void stop();
  // Consecutive committed alerts (from the log follower, one call at a time).
  // Thread-safe.
  void push(std::vector<core::stored_alert_ptr> alerts);

 private:
  void run();

  hub& hub_;
  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable room_;
  std::deque<std::vector<core::stored_alert_ptr>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace liaison::broker
