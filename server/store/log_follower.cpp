#include "store/log_follower.hpp"

#include "store/detail/db.hpp"
#include "store/detail/log_queries.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace liaison::store {
namespace {

using namespace std::chrono_literals;

constexpr auto safety_net = 1s;           // read the head at least this often
constexpr long listen_wait_us = 200'000;  // one wait for a notification
constexpr std::uint64_t catch_up_chunk = 1000;

// Remembers the highest seq announced on the liaison_log channel.
class log_listener : public pqxx::notification_receiver {
 public:
  log_listener(pqxx::connection_base& c, std::atomic<std::uint64_t>& announced)
      : pqxx::notification_receiver(c, "liaison_log"), announced_(announced) {}

  void operator()(const std::string& payload, int) override {
    std::uint64_t seq = 0;
    auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), seq);
    if (ec != std::errc{}) return;  // not ours; the safety net still runs
    std::uint64_t seen = announced_.load();
    while (seq > seen && !announced_.compare_exchange_weak(seen, seq)) {
    }
  }

 private:
  std::atomic<std::uint64_t>& announced_;
};

}  // namespace

struct log_follower::impl {
  impl(config::database_section o, std::uint64_t start_after, sink s)
      : options(std::move(o)), on_alerts(std::move(s)), last(start_after) {}

  const config::database_section options;
  const sink on_alerts;

  mutable std::mutex mutex;  // guards `last` and every call of on_alerts
  std::uint64_t last;

  std::atomic<bool> catch_up_requested{false};
  std::atomic<std::uint64_t> announced{0};

  std::mutex stop_mutex;
  std::condition_variable stop_wake;
  bool started = false;
  bool stopping = false;
  std::thread thread;

  // Hands over the alerts with seq > last that continue the delivered
  // sequence; returns false if `alerts` does not reach last + 1 (a gap).
  bool deliver_locked(const std::vector<core::stored_alert_ptr>& alerts);
  void run();
  void catch_up(pqxx::connection& c);
  bool stop_requested() {
    std::lock_guard lock(stop_mutex);
    return stopping;
  }
};

bool log_follower::impl::deliver_locked(const std::vector<core::stored_alert_ptr>& alerts) {
  auto first =
      std::find_if(alerts.begin(), alerts.end(), [&](const auto& a) { return a->seq > last; });
  if (first == alerts.end()) return true;
  if ((*first)->seq != last + 1) return false;
  auto end = first + 1;
  while (end != alerts.end() && (*end)->seq == (*(end - 1))->seq + 1) ++end;
  const bool whole = first == alerts.begin() && end == alerts.end();
  const std::uint64_t new_last = (*(end - 1))->seq;
  try {
    if (whole)
      on_alerts(alerts);
    else
      on_alerts(std::vector<core::stored_alert_ptr>(first, end));
  } catch (const std::exception& e) {
    // Redelivering would hand the same alerts over twice; the sink's bug is logged.
    spdlog::error("log follower: the sink threw: {}", e.what());
  } catch (...) {
    spdlog::error("log follower: the sink threw");
  }
  last = new_last;
  return end == alerts.end();
}

void log_follower::impl::catch_up(pqxx::connection& c) {
  const std::uint64_t head = detail::read_log_head(c);
  for (;;) {
    std::uint64_t from;
    {
      std::lock_guard lock(mutex);
      from = last;
    }
    if (from >= head) return;
    // Read without the mutex (the writer's fast path must not wait for the
    // database); deliver under it, dropping what the fast path delivered.
    auto alerts = detail::read_range(c, from, std::min(head, from + catch_up_chunk));
    std::lock_guard lock(mutex);
    if (!deliver_locked(alerts) || last == from) {
      spdlog::error("log follower: the log has a gap after seq {}; retrying", last);
      return;
    }
  }
}

void log_follower::impl::run() {
  detail::backoff delay(options.reconnect_min, options.reconnect_max);
  std::unique_ptr<detail::session> db;
  std::unique_ptr<log_listener> listener;  // destroyed before db
  auto next_check = std::chrono::steady_clock::now();
  while (!stop_requested()) {
    try {
      if (!db) {
        db = std::make_unique<detail::session>(options.url, "liaisond log follower");
        detail::prepare_log_queries(db->conn());
        listener = std::make_unique<log_listener>(db->conn(), announced);
        delay.reset();
        spdlog::info("log follower: listening for commits");
        next_check = std::chrono::steady_clock::now();  // catch up after (re)connecting
      }
      db->conn().await_notification(0, listen_wait_us);
      if (!db->is_open()) throw pqxx::broken_connection("connection closed");
      std::uint64_t delivered;
      {
        std::lock_guard lock(mutex);
        delivered = last;
      }
      const auto now = std::chrono::steady_clock::now();
      if (catch_up_requested.exchange(false) || announced.load() > delivered || now >= next_check) {
        next_check = now + safety_net;
        catch_up(db->conn());
      }
    } catch (...) {
      auto f = detail::classify_current_exception(db && db->is_open());
      if (f.kind == detail::failure_kind::other && db) {
        spdlog::error("log follower: {}", f.what);
        continue;  // the connection is fine; the safety net retries
      }
      spdlog::warn("log follower: database connection lost or refused: {}", f.what);
      listener.reset();
      db.reset();
      std::unique_lock lock(stop_mutex);
      stop_wake.wait_for(lock, delay.next(), [&] { return stopping; });
    }
  }
  listener.reset();
  db.reset();
}

log_follower::log_follower(config::database_section options, std::uint64_t start_after,
                           sink on_alerts)
    : impl_(std::make_unique<impl>(std::move(options), start_after, std::move(on_alerts))) {}

log_follower::~log_follower() {
  stop();
}

void log_follower::start() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->started || impl_->stopping) return;
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void log_follower::stop() {
  {
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopping = true;
  }
  impl_->stop_wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void log_follower::on_local_commit(const std::vector<core::stored_alert_ptr>& alerts) {
  if (alerts.empty()) return;
  std::lock_guard lock(impl_->mutex);
  // Fast path: the alerts follow the last delivery, so hand them over right
  // here. Otherwise another node committed in between; the follower thread
  // reads the missing range from the database and delivers it in order.
  if (!impl_->deliver_locked(alerts)) impl_->catch_up_requested.store(true);
}

std::uint64_t log_follower::last_delivered() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

}  // namespace liaison::store
