#include "store/detail/query_pool.hpp"

#include "store/detail/db.hpp"
#include "store/detail/db_worker.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>

#include <deque>
#include <mutex>

namespace liaison::store::detail {
namespace {

constexpr auto idle_probe = db_worker::probe_after;

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
  explicit impl(query_pool_options o) : options(std::move(o)) {
    const std::size_t n = std::max<std::size_t>(options.threads, 1);
    up.assign(n, false);
    for (std::size_t i = 0; i < n; ++i)
      workers.push_back(std::make_unique<db_worker>(
          options.database, options.name, [this](pqxx::connection& c) { return step(c); },
          db_worker_hooks{[this, i](pqxx::connection& c) { on_connected(i, c); },
                          [this, i] { on_disconnected(i); },
                          {}}));
  }

  struct job {
    run_fn run;
    fail_fn fail;
  };

  const query_pool_options options;
  mutable std::mutex mutex;
  std::deque<job> jobs;
  std::vector<bool> up;  // per worker: connected
  // No worker is connected and one has failed to: queued reads fail at once
  // rather than wait. False while the first connections are being opened.
  bool down = false;
  bool stopping = false;
  std::vector<std::unique_ptr<db_worker>> workers;  // last: their threads use the members above

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

  void on_connected(std::size_t i, pqxx::connection& c) {
    {
      pqxx::nontransaction tx(c);
      // A reader cannot write through here, whatever a bug or an injected
      // statement asks.
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(options.statement_timeout).count();
      tx.exec_params(
          "SELECT set_config('default_transaction_read_only', $1, false), "
          "set_config('statement_timeout', $2, false)",
          options.read_only ? "on" : "off", std::to_string(ms));
    }
    if (options.prepare) options.prepare(c);
    std::lock_guard lock(mutex);
    up[i] = true;
    down = false;
  }

  void on_disconnected(std::size_t i) {
    std::unique_lock lock(mutex);
    up[i] = false;
    if (std::find(up.begin(), up.end(), true) != up.end()) return;
    down = true;
    fail_all(lock);
  }

  db_worker::duration step(pqxx::connection& c) {
    job j;
    {
      std::lock_guard lock(mutex);
      if (jobs.empty()) return idle_probe;
      j = std::move(jobs.front());
      jobs.pop_front();
    }
    std::function<void()> completion;
    try {
      completion = j.run(c);
    } catch (...) {
      auto f = classify_current_exception(c.is_open());
      auto e = query_error(f);
      call_quietly([&] { j.fail(e); });
      if (f.kind != failure_kind::other) throw;  // the worker reconnects
      spdlog::error("{}: query failed: {}", options.name, f.what);
      return db_worker::duration::zero();
    }
    call_quietly(completion);
    return db_worker::duration::zero();
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
  for (auto& w : impl_->workers) w->start();
}

std::size_t query_pool::connected() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<std::size_t>(std::count(impl_->up.begin(), impl_->up.end(), true));
}

std::size_t query_pool::queued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->jobs.size();
}

void query_pool::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  for (auto& w : impl_->workers) w->stop();
  std::unique_lock lock(impl_->mutex);
  impl_->fail_all(lock);
}

void query_pool::enqueue(run_fn run, fail_fn fail) {
  std::optional<core::error> refused;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->down)
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
  // Every worker looks; the first free one takes it.
  for (auto& w : impl_->workers) w->wake();
}

}  // namespace liaison::store::detail
