#include "store/detail/db_worker.hpp"
#include "runtime/log.hpp"

#include "store/detail/db.hpp"

#include <spdlog/spdlog.h>

namespace liaison::store::detail {

db_worker::db_worker(config::database_section database, std::string name, step_fn step,
                     db_worker_hooks hooks)
    : database_(std::move(database)),
      name_(std::move(name)),
      step_(std::move(step)),
      hooks_(std::move(hooks)),
      thread_(name_),
      delay_(database_.reconnect_min, database_.reconnect_max) {}

db_worker::~db_worker() {
  stop();
}

void db_worker::start() {
  thread_.start([this] { return loop_step(); },
                [this] {
                  if (!db_) return;
                  if (hooks_.last_words) {
                    try {
                      hooks_.last_words(db_->conn());
                    } catch (...) {
                      spdlog::error("{}: {}", name_, classify_current_exception(true).what);
                    }
                  }
                  drop("stopping");
                });
}

void db_worker::stop() {
  thread_.stop();
}

void db_worker::drop(const std::string& why) {
  connected_.store(false);
  if (hooks_.disconnected) hooks_.disconnected();
  db_.reset();
  if (why != "stopping")
    runtime::log_event(runtime::log_level::warn, "database.lost")
        .with("worker", name_)
        .with("error", why)
        .say(name_ + ": database connection lost or refused: " + why);
}

db_worker::duration db_worker::loop_step() {
  auto backoff = [this] {
    thread_.pause(delay_.next());
    return duration::zero();
  };
  if (!db_) {
    try {
      db_ = std::make_unique<session>(database_.url, "liaisond " + name_);
      if (hooks_.connected) hooks_.connected(db_->conn());
    } catch (...) {
      drop(classify_current_exception(false).what);
      return backoff();
    }
    delay_.reset();
    connected_.store(true);
    runtime::log_event(runtime::log_level::info, "database.connected")
        .with("worker", name_)
        .say(name_ + ": connected to the database");
  }
  duration rest{};
  try {
    rest = step_(db_->conn());
  } catch (...) {
    auto f = classify_current_exception(db_->is_open());
    if (f.kind == failure_kind::other) {
      spdlog::error("{}: {}", name_, f.what);
      return retry_after;
    }
    drop(f.what);
    return backoff();
  }
  if (rest < probe_after) return rest;
  // Idle: notice a connection the server has closed now, so that connected()
  // tells the truth before the next piece of work finds out.
  if (!thread_.rest(rest) && !thread_.stopping() && !db_->probe()) {
    drop("closed while idle");
    return backoff();
  }
  return duration::zero();
}

}  // namespace liaison::store::detail
