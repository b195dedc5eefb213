// Private to store/: one thread with one connection that runs a step of
// work again and again: at once while the step reports more to do, else
// after `interval` or when woken. Reconnects with back-off; a failed step is
// logged and retried after `interval`.
#pragma once

#include "config/server_config.hpp"

#include <pqxx/pqxx>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace liaison::store::detail {

class background_loop {
 public:
  // Returns true when there is more to do right away. May throw the
  // database's exceptions. Runs on the loop's thread only.
  using step_fn = std::function<bool(pqxx::connection&)>;

  background_loop(config::database_section database, std::string name, core::duration interval,
                  step_fn step);
  ~background_loop();  // stop()
  background_loop(const background_loop&) = delete;
  background_loop& operator=(const background_loop&) = delete;

  void start();
  // Lets the step in progress finish, then joins the thread.
  void stop();
  // Runs the next step now instead of after the interval. Thread-safe.
  void wake();

 private:
  void run();
  const config::database_section database_;
  const std::string name_;
  const core::duration interval_;
  const step_fn step_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace liaison::store::detail
