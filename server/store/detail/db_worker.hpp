// Private to store/: a runtime::worker that owns one database connection. It
// connects (and reconnects with back-off after a loss), runs the step with
// the connection, and probes an idle connection so that a server-side close
// is noticed before the next piece of work needs it. The writer, the log
// follower, the read pools, the tree signer and the history indexer are each
// one of these with their own step.
#pragma once

#include "config/server_config.hpp"
#include "runtime/worker.hpp"
#include "store/detail/db.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace liaison::store::detail {

struct db_worker_hooks {
  // After each successful connect, before the first step: prepare
  // statements, LISTEN. May throw the database's exceptions: the connection
  // is then dropped and opened again after the back-off.
  std::function<void(pqxx::connection&)> connected;
  // The worker is down: a connect failed, or a connection was lost. Runs
  // before the lost connection is destroyed (release what refers to it).
  std::function<void()> disconnected;
  // On the worker's thread when it stops, with its connection if it has one
  // (a last flush).
  std::function<void(pqxx::connection&)> last_words;
};

class db_worker {
 public:
  using duration = runtime::worker::duration;
  // Returns the rest before the next step (runtime::worker::forever() for
  // "until woken"). May throw the database's exceptions: a failed statement
  // is logged and the step runs again after `retry_after`; a lost connection
  // is dropped and opened again with back-off.
  using step_fn = std::function<duration(pqxx::connection&)>;

  db_worker(config::database_section database, std::string name, step_fn step,
            db_worker_hooks hooks = {});
  ~db_worker();  // stop()
  db_worker(const db_worker&) = delete;
  db_worker& operator=(const db_worker&) = delete;

  void start();
  void stop();
  // Ends the current rest early. Thread-safe.
  void wake() { thread_.wake(); }
  // True while the worker holds a working connection. Thread-safe.
  bool connected() const { return connected_.load(); }
  // For steps that wait inside (rest, pause, stopping).
  runtime::worker& thread() { return thread_; }

  // A rest at least this long that ends without a wake-up is followed by a
  // probe of the connection.
  static constexpr duration probe_after = std::chrono::seconds(1);
  static constexpr duration retry_after = std::chrono::seconds(1);

 private:
  duration loop_step();
  void drop(const std::string& why);

  const config::database_section database_;
  const std::string name_;
  const step_fn step_;
  const db_worker_hooks hooks_;
  runtime::worker thread_;
  std::unique_ptr<session> db_;  // the worker's thread only
  std::atomic<bool> connected_{false};
  backoff delay_;
};

}  // namespace liaison::store::detail
