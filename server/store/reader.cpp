#include "store/reader.hpp"

#include "store/detail/db.hpp"
#include "store/detail/log_queries.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace liaison::store {
namespace {

constexpr auto idle_probe = std::chrono::seconds(1);

core::error unavailable() {
  return core::make_error(core::errc::unavailable, "database unavailable, retry");
}

// A queued read: `run` performs it on a pool thread's connection (throwing
// the database's exceptions) and returns the completion to call afterwards,
// outside the exception handler; `fail` completes it with an error instead.
struct job {
  std::function<std::function<void()>(pqxx::connection&)> run;
  std::function<void(core::error)> fail;
};

template <class R>
job make_job(std::function<R(pqxx::connection&)> query, std::function<void(R)> done) {
  job j;
  j.run = [query = std::move(query), done](pqxx::connection& c) -> std::function<void()> {
    auto value = std::make_shared<R>(query(c));
    return [done, value] { done(std::move(*value)); };
  };
  j.fail = [done](core::error e) { done(R(std::move(e))); };
  return j;
}

void call_quietly(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("store reader: a completion handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("store reader: a completion handler threw");
  }
}

}  // namespace

struct reader::impl {
  explicit impl(config::database_section o) : options(std::move(o)) {}

  const config::database_section options;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<job> jobs;
  std::size_t connected_threads = 0;  // guarded by mutex
  bool started = false;
  bool stopping = false;
  std::vector<std::thread> threads;

  void submit(job j) {
    bool accepted = false;
    {
      std::lock_guard lock(mutex);
      if (!stopping) {
        jobs.push_back(std::move(j));
        accepted = true;
      }
    }
    if (accepted)
      wake.notify_one();
    else
      call_quietly([&] { j.fail(unavailable()); });
  }

  void fail_all(std::unique_lock<std::mutex>& lock) {
    std::deque<job> failed;
    failed.swap(jobs);
    lock.unlock();
    for (auto& j : failed) call_quietly([&] { j.fail(unavailable()); });
    lock.lock();
  }

  void worker();
};

void reader::impl::worker() {
  std::unique_ptr<detail::session> db;
  detail::backoff delay(options.reconnect_min, options.reconnect_max);
  for (;;) {
    if (!db) {
      try {
        auto s = std::make_unique<detail::session>(options.url, "liaisond store reader");
        detail::prepare_log_queries(s->conn());
        db = std::move(s);
        delay.reset();
        std::lock_guard lock(mutex);
        ++connected_threads;
      } catch (...) {
        auto f = detail::classify_current_exception(false);
        spdlog::warn("store reader: cannot connect to the database: {}", f.what);
        // Back off; meanwhile, if no thread of the pool can serve, fail the
        // queued reads at once rather than let them wait for the database.
        const auto deadline = std::chrono::steady_clock::now() + delay.next();
        std::unique_lock lock(mutex);
        for (;;) {
          if (stopping) return;
          if (connected_threads == 0 && !jobs.empty()) fail_all(lock);
          if (wake.wait_until(lock, deadline) == std::cv_status::timeout) break;
        }
        continue;
      }
    }

    job j;
    {
      std::unique_lock lock(mutex);
      if (!wake.wait_for(lock, idle_probe, [&] { return stopping || !jobs.empty(); })) {
        // Idle: drop a connection the server has closed before a read needs it.
        lock.unlock();
        if (!db->probe()) {
          spdlog::warn("store reader: database connection lost while idle");
          db.reset();
          std::lock_guard relock(mutex);
          --connected_threads;
        }
        continue;
      }
      if (stopping) {
        --connected_threads;
        return;
      }
      j = std::move(jobs.front());
      jobs.pop_front();
    }

    std::function<void()> completion;
    try {
      completion = j.run(db->conn());
    } catch (...) {
      auto f = detail::classify_current_exception(db->is_open());
      if (f.kind == detail::failure_kind::other) {
        spdlog::error("store reader: query failed: {}", f.what);
      } else {
        spdlog::error("store reader: database connection lost: {}", f.what);
        db.reset();
        std::lock_guard lock(mutex);
        --connected_threads;
      }
      completion = [&j, e = detail::to_error(f)] { j.fail(e); };
    }
    call_quietly(completion);
  }
}

reader::reader(config::database_section options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

reader::~reader() {
  stop();
}

void reader::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  const std::size_t n = std::max<std::size_t>(impl_->options.reader_threads, 1);
  for (std::size_t i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->worker(); });
}

void reader::stop() {
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

void reader::fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                           std::function<void(core::result<backlog_page>)> done) {
  impl_->submit(make_job<core::result<backlog_page>>(
      [member = std::move(member), after_seq, limit](pqxx::connection& c) {
        return core::result<backlog_page>(detail::read_backlog(c, member, after_seq, limit));
      },
      std::move(done)));
}

void reader::fetch_range(
    std::uint64_t after_seq, std::uint64_t up_to,
    std::function<void(core::result<std::vector<core::stored_alert_ptr>>)> done) {
  using R = core::result<std::vector<core::stored_alert_ptr>>;
  impl_->submit(make_job<R>(
      [after_seq, up_to](pqxx::connection& c) {
        return R(detail::read_range(c, after_seq, up_to));
      },
      std::move(done)));
}

void reader::open_consumer(consumer_key consumer, std::string member,
                           std::function<void(core::result<consumer_state>)> done) {
  impl_->submit(make_job<core::result<consumer_state>>(
      [consumer = std::move(consumer), member = std::move(member)](pqxx::connection& c) {
        return detail::open_consumer(c, consumer, member);
      },
      std::move(done)));
}

std::uint64_t reader::log_head_blocking() {
  try {
    detail::session s(impl_->options.url, "liaisond store reader (start-up)");
    detail::prepare_log_queries(s.conn());
    return detail::read_log_head(s.conn());
  } catch (...) {
    auto f = detail::classify_current_exception(true);
    throw std::runtime_error("cannot read the log head from the database: " + f.what);
  }
}

}  // namespace liaison::store
