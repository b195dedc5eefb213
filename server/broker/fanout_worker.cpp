#include "broker/fanout_worker.hpp"

namespace liaison::broker {

fanout_worker::fanout_worker(hub& live, std::size_t max_queued_batches)
    : hub_(live), max_queued_(max_queued_batches) {}

fanout_worker::~fanout_worker() {
  stop();
}

void fanout_worker::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void fanout_worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void fanout_worker::push(std::vector<core::stored_alert_ptr> alerts) {
  if (alerts.empty()) return;
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] { return queue_.size() < max_queued_ || stopping_; });
  if (stopping_) return;
  queue_.push_back(std::move(alerts));
  lock.unlock();
  work_.notify_one();
}

void fanout_worker::run() {
  for (;;) {
    std::vector<core::stored_alert_ptr> batch;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    room_.notify_one();
    hub_.fan_out(batch);
  }
}

}  // namespace liaison::broker
