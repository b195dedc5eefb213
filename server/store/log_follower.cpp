#include "store/log_follower.hpp"

#include "runtime/worker.hpp"
#include "store/detail/db.hpp"
#include "store/detail/db_worker.hpp"
#include "store/detail/log_queries.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>

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

using batch = std::vector<core::stored_alert_ptr>;

}  // namespace

struct log_follower::impl {
  impl(config::database_section o, std::uint64_t start_after, sink s, std::size_t max)
      : on_alerts(std::move(s)),
        max_pending(std::max<std::size_t>(max, 1)),
        queued_through(start_after),
        delivered(start_after),
        reader(
            std::move(o), "log follower", [this](pqxx::connection& c) { return read_step(c); },
            detail::db_worker_hooks{[this](pqxx::connection& c) { on_connected(c); },
                                    [this] { listener.reset(); },
                                    {}}),
        delivery("live fan-out") {}

  const sink on_alerts;
  const std::size_t max_pending;

  mutable std::mutex mutex;
  std::condition_variable room;  // pending fell below half of max_pending, or stopping
  std::deque<batch> pending;
  std::size_t pending_count = 0;
  std::uint64_t queued_through;  // highest seq queued for (or handed to) the sink
  std::uint64_t delivered;       // highest seq handed to the sink
  bool behind = false;           // commits were let go: read them from the log
  bool stopping = false;
  std::uint64_t let_go = 0;

  std::atomic<std::uint64_t> announced{0};
  std::unique_ptr<log_listener> listener;  // the reader thread's; released before its connection
  std::chrono::steady_clock::time_point next_check{};

  detail::db_worker reader;  // LISTEN and reads from the log
  runtime::worker delivery;  // calls the sink

  // Queues the consecutive alerts of `alerts` that follow queued_through;
  // false when they do not (a gap: someone else committed in between).
  bool queue_locked(const batch& alerts);
  void on_connected(pqxx::connection& c);
  detail::db_worker::duration read_step(pqxx::connection& c);
  void catch_up(pqxx::connection& c);
  runtime::worker::duration deliver_step();
};

bool log_follower::impl::queue_locked(const batch& alerts) {
  auto first = std::find_if(alerts.begin(), alerts.end(),
                            [&](const auto& a) { return a->seq > queued_through; });
  if (first == alerts.end()) return true;
  if ((*first)->seq != queued_through + 1) return false;
  auto end = first + 1;
  while (end != alerts.end() && (*end)->seq == (*(end - 1))->seq + 1) ++end;
  const auto n = static_cast<std::size_t>(end - first);
  if (first == alerts.begin() && end == alerts.end())
    pending.push_back(alerts);
  else
    pending.emplace_back(first, end);
  pending_count += n;
  queued_through = (*(end - 1))->seq;
  return end == alerts.end();
}

void log_follower::impl::on_connected(pqxx::connection& c) {
  detail::prepare_log_queries(c);
  listener = std::make_unique<log_listener>(c, announced);
  next_check = {};  // catch up after (re)connecting
  spdlog::info("log follower: listening for commits");
}

detail::db_worker::duration log_follower::impl::read_step(pqxx::connection& c) {
  c.await_notification(0, listen_wait_us);
  if (!c.is_open()) throw pqxx::broken_connection("connection closed");
  bool needed;
  {
    std::lock_guard lock(mutex);
    needed = behind || announced.load() > queued_through;
  }
  const auto now = std::chrono::steady_clock::now();
  if (needed || now >= next_check) {
    next_check = now + safety_net;
    catch_up(c);
  }
  return detail::db_worker::duration::zero();
}

// Reads (queued_through, head] from the log in chunks, each queued once the
// sink has room for it.
void log_follower::impl::catch_up(pqxx::connection& c) {
  for (;;) {
    const std::uint64_t head = detail::read_log_head(c);
    std::uint64_t from;
    {
      std::unique_lock lock(mutex);
      room.wait(lock, [&] { return stopping || pending_count <= max_pending / 2; });
      if (stopping) return;
      if (queued_through >= head) {
        behind = false;
        return;
      }
      from = queued_through;
    }
    // Read without the mutex (the writer's fast path must not wait for the
    // database); queue under it, dropping what the fast path queued meanwhile.
    auto alerts = detail::read_range(c, from, std::min(head, from + catch_up_chunk));
    std::lock_guard lock(mutex);
    if (!queue_locked(alerts) || queued_through == from) {
      spdlog::error("log follower: the log has a gap after seq {}; retrying", queued_through);
      return;
    }
    delivery.wake();
  }
}

runtime::worker::duration log_follower::impl::deliver_step() {
  batch next;
  {
    std::lock_guard lock(mutex);
    if (pending.empty()) return runtime::worker::forever();
    next = std::move(pending.front());
    pending.pop_front();
    pending_count -= next.size();
  }
  room.notify_all();
  try {
    on_alerts(next);
  } catch (const std::exception& e) {
    // Handing the same alerts over again would deliver them twice; the sink's
    // bug is logged.
    spdlog::error("log follower: the sink threw: {}", e.what());
  }
  std::lock_guard lock(mutex);
  delivered = next.back()->seq;
  return runtime::worker::duration::zero();
}

log_follower::log_follower(config::database_section options, std::uint64_t start_after,
                           sink on_alerts, std::size_t max_pending)
    : impl_(std::make_unique<impl>(std::move(options), start_after, std::move(on_alerts),
                                   max_pending)) {}

log_follower::~log_follower() {
  stop();
}

void log_follower::start() {
  impl_->delivery.start([this] { return impl_->deliver_step(); });
  impl_->reader.start();
}

void log_follower::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->room.notify_all();
  impl_->reader.stop();
  impl_->delivery.stop();
}

void log_follower::on_local_commit(const std::vector<core::stored_alert_ptr>& alerts) {
  if (alerts.empty()) return;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->behind) return;  // the reader reads these from the log
    if (impl_->pending_count + alerts.size() > impl_->max_pending) {
      // The rule: let go rather than wait or grow. The commit's NOTIFY (or the
      // safety net) makes the reader fetch it once the sink has room.
      impl_->behind = true;
      ++impl_->let_go;
      return;
    }
    // A gap means another node committed in between: the reader reads the
    // missing range (announced by its NOTIFY) and what follows, in order.
    if (!impl_->queue_locked(alerts)) impl_->behind = true;
  }
  impl_->delivery.wake();
}

std::uint64_t log_follower::last_delivered() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->delivered;
}

log_follower::stats log_follower::statistics() const {
  std::lock_guard lock(impl_->mutex);
  return {impl_->delivered, impl_->pending_count, impl_->let_go};
}

}  // namespace liaison::store
