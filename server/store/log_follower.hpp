// The live feed of the ordered log: hands every committed alert to one sink
// exactly once, in seq order, with no gap, on a delivery thread of its own.
// Commits of this node come straight from the writer (on_local_commit);
// commits of other liaisond nodes sharing the database arrive through
// LISTEN/NOTIFY and are read from the log, as is whatever the feed had to
// let go (below).
//
// Back-pressure, the one rule: the writer never waits for the sink. At most
// `max_pending` committed alerts wait in memory for the sink; a commit that
// would exceed it is let go and read back from the database once the sink
// has drained half of them. Live delivery is then late, never lost, and
// memory stays bounded.
#pragma once

#include "config/server_config.hpp"
#include "core/records.hpp"

#include <functional>
#include <memory>

namespace liaison::store {

class log_follower {
 public:
  // Called with consecutive alerts: the first has seq last_delivered() + 1.
  // Runs on the follower's delivery thread, one call at a time. It may take
  // as long as it needs: only live delivery waits for it.
  using sink = std::function<void(const std::vector<core::stored_alert_ptr>&)>;

  struct stats {
    std::uint64_t delivered = 0;  // highest seq handed to the sink
    std::uint64_t pending = 0;    // alerts waiting for the sink
    std::uint64_t let_go = 0;     // commits read back from the database instead
  };

  // Starts following after `start_after` (normally the log head at start-up).
  log_follower(config::database_section options, std::uint64_t start_after, sink on_alerts,
               std::size_t max_pending = 65536);
  ~log_follower();  // stop()
  log_follower(const log_follower&) = delete;
  log_follower& operator=(const log_follower&) = delete;

  void start();
  // Stops both threads; alerts still pending are not delivered.
  void stop();

  // From the writer's commit listener: alerts this node just committed, in
  // seq order. Thread-safe; never blocks, never waits for the sink.
  void on_local_commit(const std::vector<core::stored_alert_ptr>& alerts);

  std::uint64_t last_delivered() const;
  stats statistics() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
