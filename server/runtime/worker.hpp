// The one worker-thread primitive of liaisond: a named thread that runs a
// step again and again until stopped, resting between steps. Every
// background part (the database writer, the log follower and its fan-out,
// the read pools, the tree signer, the history indexer) is a worker with its
// own step. No Asio: io_context threads are elsewhere and never block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace liaison::runtime {

class worker {
 public:
  using duration = std::chrono::microseconds;
  // How long to rest before the next step: zero for "again at once",
  // forever() for "until woken".
  static constexpr duration forever() { return duration::max(); }
  // One step of work. Runs on the worker's thread only. An exception is
  // logged with the worker's name and the worker rests for one second.
  using step_fn = std::function<duration()>;

  explicit worker(std::string name);
  ~worker();  // stop()
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Starts the thread. Call once; a stopped worker does not start again.
  // `on_exit` runs on the thread after the last step.
  void start(step_fn step, std::function<void()> on_exit = {});
  // Lets the step in progress finish, then joins the thread. Idempotent.
  void stop();
  // Ends the current rest early (or the next one, if the step is running):
  // a wake-up is never lost. Thread-safe.
  void wake();

  // For use inside a step. rest(): waits up to `d`, returns early when woken
  // or stopping, and returns true if it was woken. pause(): waits up to `d`
  // unless stopping (wake() does not cut it short: a back-off after a lost
  // connection). Both return at once when the worker is stopping.
  bool rest(duration d);
  void pause(duration d);
  bool stopping() const;

  const std::string& name() const { return name_; }

 private:
  void run(const step_fn& step, const std::function<void()>& on_exit);

  const std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable signal_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace liaison::runtime
