#include "store/detail/query_pool.hpp"

#include "store/detail/db.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace liaison::store::detail {
namespace {

constexpr auto idle_probe = std::chrono::seconds(1);

core::error unavailable() {
  return core::make_error(core::errc::unavailable, "database unavailable, retry");
}

template <class F>
void call_quietly(const std::string& name, const F& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("{}: a completion handler threw: {}", name, e.what());
  } catch (...) {
    spdlog::error("{}: a completion handler threw", name);
  }
}

}  // namespace

struct query_pool::impl {
  explicit impl(query_pool_options o) : options(std::move(o)) {}

  struct job {
    run_fn run;
    fail_fn fail;
  };

  const query_pool_options options;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<job> jobs;
  std::size_t connected = 0;
  bool started = false;
  bool stopping = false;
  std::vector<std::thread> threads;

  std::unique_ptr<session> connect() {
    auto s = std::make_unique<session>(options.database.url, "liaisond " + options.name);
    {
      pqxx::nontransaction tx(s->conn());
      // A reader cannot write through here, whatever a bug or an injected
      // statement asks.
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(options.statement_timeout).count();
      tx.exec_params(
          "SELECT set_config('default_transaction_read_only', $1, false), "
          "set_config('statement_timeout', $2, false)",
          options.read_only ? "on" : "off", std::to_string(ms));
    }
    if (options.prepare) options.prepare(s->conn());
    return s;
  }

  template <class F>
  void call_quietly(const F& f) const {
    detail::call_quietly(options.name, f);
  }

  void fail_all(std::unique_lock<std::mutex>& lock) {
    std::deque<job> failed;
    failed.swap(jobs);
    lock.unlock();
    for (auto& j : failed) call_quietly([&] { j.fail(unavailable()); });
    lock.lock();
  }

  void worker() {
    std::unique_ptr<session> db;
    backoff delay(options.database.reconnect_min, options.database.reconnect_max);
    for (;;) {
      if (!db) {
        try {
          db = connect();
          delay.reset();
          std::lock_guard lock(mutex);
          ++connected;
        } catch (...) {
          auto f = classify_current_exception(false);
          spdlog::warn("{}: cannot connect to the database: {}", options.name, f.what);
          const auto deadline = std::chrono::steady_clock::now() + delay.next();
          std::unique_lock lock(mutex);
          for (;;) {
            if (stopping) return;
            // No thread can serve: answer at once rather than let reads wait.
            if (connected == 0 && !jobs.empty()) fail_all(lock);
            if (wake.wait_until(lock, deadline) == std::cv_status::timeout) break;
          }
          continue;
        }
      }
      job j;
      {
        std::unique_lock lock(mutex);
        if (!wake.wait_for(lock, idle_probe, [&] { return stopping || !jobs.empty(); })) {
          // Idle: drop a connection the server has closed before a read
          // needs it.
          lock.unlock();
          if (!db->probe()) {
            spdlog::warn("{}: database connection lost while idle", options.name);
            db.reset();
            std::lock_guard relock(mutex);
            --connected;
          }
          continue;
        }
        if (stopping) {
          --connected;
          return;
        }
        j = std::move(jobs.front());
        jobs.pop_front();
      }
      std::function<void()> completion;
      try {
        completion = j.run(db->conn());
      } catch (...) {
        auto f = classify_current_exception(db->is_open());
        if (f.kind == failure_kind::other) {
          spdlog::error("{}: query failed: {}", options.name, f.what);
        } else {
          spdlog::error("{}: database connection lost: {}", options.name, f.what);
          db.reset();
          std::lock_guard lock(mutex);
          --connected;
        }
        completion = [&j, e = query_error(f)] { j.fail(e); };
      }
      call_quietly(completion);
    }
  }

  // A statement cancelled by statement_timeout is the caller's to narrow.
  core::error query_error(const failure& f) const {
    if (f.kind == failure_kind::other && !options.timeout_message.empty() &&
        f.what.find("statement timeout") != std::string::npos)
      return core::make_error(core::errc::resource_exhausted, options.timeout_message);
    return to_error(f);
  }
};

query_pool::query_pool(query_pool_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

query_pool::~query_pool() {
  stop();
}

void query_pool::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  for (std::size_t i = 0; i < std::max<std::size_t>(impl_->options.threads, 1); ++i)
    impl_->threads.emplace_back([this] { impl_->worker(); });
}

void query_pool::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  std::unique_lock lock(impl_->mutex);
  impl_->fail_all(lock);
}

void query_pool::enqueue(run_fn run, fail_fn fail) {
  std::optional<core::error> refused;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping)
      refused = unavailable();
    else if (impl_->jobs.size() >= impl_->options.queue_max)
      refused = core::make_error(core::errc::resource_exhausted,
                                 "too many " + impl_->options.name + " are waiting; retry later");
    else
      impl_->jobs.push_back({std::move(run), std::move(fail)});
  }
  if (refused) {
    impl_->call_quietly([&] { fail(*refused); });
    return;
  }
  impl_->wake.notify_one();
}

}  // namespace liaison::store::detail
