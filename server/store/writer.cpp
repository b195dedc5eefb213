#include "store/writer.hpp"

#include "core/alert_rules.hpp"
#include "store/detail/batch_sql.hpp"
#include "store/detail/db.hpp"
#include "store/detail/sql_codec.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace liaison::store {

using detail::ack_item;
using detail::audit_item;
using detail::publish_item;

namespace {

constexpr auto idle_probe = std::chrono::seconds(1);

core::error unavailable() {
  return core::make_error(core::errc::unavailable,
                          "database unavailable; nothing was stored, retry");
}

// A callback that throws must not take the writer thread down with it.
template <class F, class... Args>
void invoke_quietly(const F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    spdlog::error("store writer: a completion handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("store writer: a completion handler threw");
  }
}

// Text columns cannot hold NUL or invalid UTF-8; clean the free-text fields
// here, on the caller's thread, so that a malformed string cannot fail a batch.
void make_storable(publish_request& r) {
  for (auto* s : {&r.actor, &r.actor_member, &r.origin, &r.subject, &r.case_reference,
                  &r.signed_bytes.key_id})
    *s = detail::storable_text(*s);
  for (auto* list : {&r.recipients.members, &r.recipients.named})
    for (auto& m : *list) m = detail::storable_text(m);
}

}  // namespace

struct writer::impl {
  impl(config::database_section o, clock_fn n, commit_listener l, std::atomic<bool>& c)
      : options(std::move(o)), now(std::move(n)), on_commit(std::move(l)), connected(c) {}

  const config::database_section options;
  const clock_fn now;
  const commit_listener on_commit;
  std::atomic<bool>& connected;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<publish_item> publishes;
  std::deque<audit_item> audits;
  std::deque<ack_item> acks;
  bool started = false;
  bool stopping = false;
  writer_stats stats;
  std::thread thread;

  std::unique_ptr<detail::session> db;  // writer thread only

  std::size_t queued() const { return publishes.size() + audits.size() + acks.size(); }

  void run();
  bool reconnect();
  void fail_waiters();
  void execute(std::vector<publish_item>& p, std::vector<audit_item>& a, std::vector<ack_item>& k);
  void drain_on_stop();
};

writer::writer(config::database_section options, clock_fn now, commit_listener on_commit)
    : impl_(std::make_unique<impl>(std::move(options), std::move(now), std::move(on_commit),
                                   connected_)) {}

writer::~writer() {
  stop();
}

void writer::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void writer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Never started, or the thread has finished: fail whatever is left.
  impl_->drain_on_stop();
}

void writer::publish(publish_request request, publish_handler done) {
  // Rejected here rather than by the database, where it would fail the batch.
  if (!core::is_canonical_uuid(request.alert_id) ||
      (!request.in_reply_to.empty() && !core::is_canonical_uuid(request.in_reply_to))) {
    invoke_quietly(done, core::make_error(core::errc::invalid_argument,
                                          "alert id and in_reply_to must be canonical UUIDs"));
    return;
  }
  make_storable(request);
  {
    std::unique_lock lock(impl_->mutex);
    if (!connected_.load() || impl_->stopping) {
      lock.unlock();
      invoke_quietly(done, unavailable());
      return;
    }
    if (impl_->queued() >= impl_->options.queue_max) {
      lock.unlock();
      invoke_quietly(done, core::make_error(core::errc::resource_exhausted,
                                            "the database queue is full; retry later"));
      return;
    }
    impl_->publishes.push_back({std::move(request), std::move(done)});
  }
  impl_->wake.notify_one();
}

bool writer::audit(core::audit_event event) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queued() >= impl_->options.queue_max) {
      ++impl_->stats.audit_dropped;
      return false;
    }
    impl_->audits.push_back({std::move(event), 0});
  }
  impl_->wake.notify_one();
  return true;
}

void writer::ack(consumer_key consumer, std::uint64_t up_to_seq, core::audit_event event,
                 std::function<void(core::result<void>)> done) {
  {
    std::unique_lock lock(impl_->mutex);
    const bool refuse = !connected_.load() || impl_->stopping;
    const bool full = impl_->queued() >= impl_->options.queue_max;
    if (refuse || full) {
      lock.unlock();
      invoke_quietly(done, refuse ? core::result<void>(unavailable())
                                  : core::result<void>(core::make_error(
                                        core::errc::resource_exhausted,
                                        "the database queue is full; retry later")));
      return;
    }
    impl_->acks.push_back({std::move(consumer), up_to_seq, std::move(event), std::move(done)});
  }
  impl_->wake.notify_one();
}

writer_stats writer::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

void writer::impl::run() {
  std::vector<publish_item> batch_publishes;
  std::vector<audit_item> batch_audits;
  std::vector<ack_item> batch_acks;
  for (;;) {
    if (!db && !reconnect()) break;
    {
      std::unique_lock lock(mutex);
      if (!wake.wait_for(lock, idle_probe, [&] { return stopping || queued() > 0; })) {
        // Idle: notice a connection the server has closed now, so that
        // connected() tells the truth before the next publish finds out.
        lock.unlock();
        if (!db->probe()) {
          spdlog::error("store writer: database connection lost while idle");
          connected.store(false);
          db.reset();
        }
        continue;
      }
      if (stopping) break;
      // Up to batch_max publishes, and every pending audit event and ack.
      const std::size_t n = std::min(publishes.size(), std::max<std::size_t>(options.batch_max, 1));
      for (std::size_t i = 0; i < n; ++i) {
        batch_publishes.push_back(std::move(publishes.front()));
        publishes.pop_front();
      }
      std::move(audits.begin(), audits.end(), std::back_inserter(batch_audits));
      audits.clear();
      std::move(acks.begin(), acks.end(), std::back_inserter(batch_acks));
      acks.clear();
    }
    execute(batch_publishes, batch_audits, batch_acks);
    batch_publishes.clear();
    batch_audits.clear();
    batch_acks.clear();
  }
  // Flush the audit events still queued (the last words of a stopping
  // server), best effort; publishes and acks are failed by drain_on_stop.
  if (db) {
    std::vector<publish_item> none;
    std::vector<ack_item> no_acks;
    {
      std::lock_guard lock(mutex);
      std::move(audits.begin(), audits.end(), std::back_inserter(batch_audits));
      audits.clear();
    }
    if (!batch_audits.empty()) {
      try {
        detail::write_batch(db->conn(), none, batch_audits, no_acks, now);
      } catch (...) {
        auto f = detail::classify_current_exception(db->is_open());
        spdlog::error("store writer: {} audit events lost at shutdown: {}", batch_audits.size(),
                      f.what);
      }
    }
  }
  db.reset();
  connected.store(false);
}

// Connects, retrying with back-off; meanwhile fails queued publishes and acks
// promptly (audit events wait). Returns false when stopping.
bool writer::impl::reconnect() {
  detail::backoff delay(options.reconnect_min, options.reconnect_max);
  for (;;) {
    fail_waiters();
    try {
      auto session = std::make_unique<detail::session>(options.url, "liaisond store writer");
      detail::prepare_batch_statements(session->conn());
      db = std::move(session);
      connected.store(true);
      spdlog::info("store writer: connected to the database");
      return true;
    } catch (...) {
      auto f = detail::classify_current_exception(false);
      spdlog::warn("store writer: cannot connect to the database: {}", f.what);
    }
    const auto deadline = std::chrono::steady_clock::now() + delay.next();
    std::unique_lock lock(mutex);
    while (!stopping && std::chrono::steady_clock::now() < deadline) {
      wake.wait_until(lock, deadline,
                      [&] { return stopping || !publishes.empty() || !acks.empty(); });
      if (!publishes.empty() || !acks.empty()) {
        lock.unlock();
        fail_waiters();
        lock.lock();
      }
    }
    if (stopping) return false;
  }
}

void writer::impl::fail_waiters() {
  std::deque<publish_item> p;
  std::deque<ack_item> k;
  {
    std::lock_guard lock(mutex);
    p.swap(publishes);
    k.swap(acks);
  }
  for (auto& item : p) invoke_quietly(item.done, unavailable());
  for (auto& item : k) invoke_quietly(item.done, core::result<void>(unavailable()));
}

void writer::impl::execute(std::vector<publish_item>& p, std::vector<audit_item>& a,
                           std::vector<ack_item>& k) {
  std::optional<detail::batch_outcome> outcome;
  std::optional<detail::failure> failure;
  try {
    outcome = detail::write_batch(db->conn(), p, a, k, now);
  } catch (...) {
    failure = detail::classify_current_exception(db->is_open());
  }

  if (outcome) {
    {
      std::lock_guard lock(mutex);
      ++stats.batches;
      stats.alerts_committed += outcome->created.size();
      stats.audit_rows += outcome->audit_rows;
    }
    // Committed: now, and only now, the waiters learn their outcome.
    for (std::size_t i = 0; i < p.size(); ++i)
      invoke_quietly(p[i].done, std::move(outcome->publishes[i]));
    for (std::size_t i = 0; i < k.size(); ++i)
      invoke_quietly(k[i].done, std::move(outcome->acks[i]));
    if (!outcome->created.empty()) invoke_quietly(on_commit, outcome->created);
    return;
  }

  const core::error error = detail::to_error(*failure);
  const bool lost = failure->kind != detail::failure_kind::other;
  {
    std::lock_guard lock(mutex);
    ++stats.failed_batches;
    // Audit events go back to the front, in order: after a lost connection
    // always (they wait for the database), after another failure once.
    std::size_t dropped = 0;
    for (auto it = a.rbegin(); it != a.rend(); ++it) {
      if (!lost && ++it->attempts > 1) {
        spdlog::error("store writer: audit event dropped after two failed batches: {} {} {}",
                      it->event.action, it->event.actor, it->event.subject);
        ++dropped;
        continue;
      }
      audits.push_front(std::move(*it));
    }
    stats.audit_dropped += dropped;
  }
  if (lost) {
    spdlog::error("store writer: database connection lost ({} publishes, {} acks failed): {}",
                  p.size(), k.size(), failure->what);
    connected.store(false);
    db.reset();
  } else {
    spdlog::error("store writer: batch failed ({} publishes, {} acks): {}", p.size(), k.size(),
                  failure->what);
  }
  for (auto& item : p) invoke_quietly(item.done, error);
  for (auto& item : k) invoke_quietly(item.done, core::result<void>(error));
}

void writer::impl::drain_on_stop() {
  std::deque<publish_item> p;
  std::deque<ack_item> k;
  {
    std::lock_guard lock(mutex);
    stopping = true;
    p.swap(publishes);
    k.swap(acks);
    if (!audits.empty()) {
      spdlog::error("store writer: stopped with {} audit events not written", audits.size());
      stats.audit_dropped += audits.size();
      audits.clear();
    }
  }
  connected.store(false);
  for (auto& item : p) invoke_quietly(item.done, unavailable());
  for (auto& item : k) invoke_quietly(item.done, core::result<void>(unavailable()));
}

}  // namespace liaison::store
