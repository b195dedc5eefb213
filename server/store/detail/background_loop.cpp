#include "store/detail/background_loop.hpp"

#include "store/detail/db.hpp"

#include <spdlog/spdlog.h>

namespace liaison::store::detail {

background_loop::background_loop(config::database_section database, std::string name,
                                 core::duration interval, step_fn step)
    : database_(std::move(database)),
      name_(std::move(name)),
      interval_(interval),
      step_(std::move(step)) {}

background_loop::~background_loop() {
  stop();
}

void background_loop::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void background_loop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void background_loop::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void background_loop::run() {
  std::unique_ptr<session> db;
  backoff delay(database_.reconnect_min, database_.reconnect_max);
  core::duration pause{};
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, pause, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    if (!db) {
      try {
        db = std::make_unique<session>(database_.url, "liaisond " + name_);
        delay.reset();
      } catch (...) {
        spdlog::warn("{}: cannot connect to the database: {}", name_,
                     classify_current_exception(false).what);
        pause = delay.next();
        continue;
      }
    }
    try {
      pause = step_(db->conn()) ? core::duration{} : interval_;
    } catch (...) {
      auto f = classify_current_exception(db->is_open());
      if (f.kind == failure_kind::other) {
        spdlog::error("{}: {}", name_, f.what);
        pause = interval_;
      } else {
        spdlog::warn("{}: database connection lost: {}", name_, f.what);
        db.reset();
        pause = delay.next();
      }
    }
  }
}

}  // namespace liaison::store::detail
