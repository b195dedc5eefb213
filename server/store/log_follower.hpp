// Follows the ordered log and hands every committed alert to a sink exactly
// once, in seq order, with no gap: local commits arrive directly from the
// writer; commits of other liaisond nodes sharing the database arrive through
// LISTEN/NOTIFY and are read from the log. One thread, one connection.
#pragma once

#include "config/server_config.hpp"
#include "store/records.hpp"

#include <functional>
#include <memory>

namespace liaison::store {

class log_follower {
 public:
  // Called with consecutive alerts: the first has seq last_delivered + 1.
  // Runs on the follower thread, or for local commits that directly follow
  // the last delivery on the writer thread (inside on_local_commit); always
  // under the follower's mutex, so calls never overlap. Must not block.
  using sink = std::function<void(const std::vector<core::stored_alert_ptr>&)>;

  // Starts following after `start_after` (normally the log head at start-up).
  log_follower(config::database_section options, std::uint64_t start_after, sink on_alerts);
  ~log_follower();  // stop()
  log_follower(const log_follower&) = delete;
  log_follower& operator=(const log_follower&) = delete;

  void start();
  void stop();

  // From the writer's commit listener: alerts this node just committed.
  // Thread-safe; never blocks.
  void on_local_commit(const std::vector<core::stored_alert_ptr>& alerts);

  // Highest seq handed to the sink so far.
  std::uint64_t last_delivered() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
