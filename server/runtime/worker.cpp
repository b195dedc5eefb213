#include "runtime/worker.hpp"

#include <spdlog/spdlog.h>

namespace liaison::runtime {

worker::worker(std::string name) : name_(std::move(name)) {}

worker::~worker() {
  stop();
}

void worker::start(step_fn step, std::function<void()> on_exit) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread(
      [this, step = std::move(step), on_exit = std::move(on_exit)] { run(step, on_exit); });
}

void worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  signal_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void worker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  signal_.notify_all();
}

bool worker::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool worker::rest(duration d) {
  std::unique_lock lock(mutex_);
  auto ready = [this] { return stopping_ || woken_; };
  if (d == forever())
    signal_.wait(lock, ready);
  else if (d > duration::zero())
    signal_.wait_for(lock, d, ready);
  const bool woken = woken_;
  woken_ = false;
  return woken;
}

void worker::pause(duration d) {
  std::unique_lock lock(mutex_);
  signal_.wait_for(lock, d, [this] { return stopping_; });
}

void worker::run(const step_fn& step, const std::function<void()>& on_exit) {
  while (!stopping()) {
    duration next{};
    try {
      next = step();
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", name_, e.what());
      next = std::chrono::seconds(1);
    } catch (...) {
      spdlog::error("{}: unknown exception", name_);
      next = std::chrono::seconds(1);
    }
    rest(next);
  }
  if (on_exit) on_exit();
}

}  // namespace liaison::runtime
