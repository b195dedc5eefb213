#include "store/writer.hpp"
#include "runtime/log.hpp"

#include "core/alert_rules.hpp"
#include "core/error.hpp"
#include "store/detail/batch_sql.hpp"
#include "store/detail/db.hpp"
#include "store/detail/db_worker.hpp"
#include "store/detail/sql_codec.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>
#include <optional>

namespace liaison::store {

using detail::ack_item;
using detail::audit_item;
using detail::batch_input;
using detail::escalation_item;
using detail::presence_item;
using detail::publish_item;
using detail::receipt_item;

namespace {

constexpr auto idle_probe = detail::db_worker::probe_after;

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
void make_storable(core::publish_request& r) {
  for (auto* s : {&r.actor, &r.actor_member, &r.origin, &r.subject, &r.case_reference,
                  &r.signed_bytes.key_id})
    *s = detail::storable_text(*s);
  for (auto* list : {&r.recipients.members, &r.recipients.named})
    for (auto& m : *list) m = detail::storable_text(m);
}

}  // namespace

struct writer::impl {
  impl(config::database_section o, clock_fn n, commit_listener l)
      : options(o),
        now(std::move(n)),
        on_commit(std::move(l)),
        worker(
            std::move(o), "store writer", [this](pqxx::connection& c) { return step(c); },
            detail::db_worker_hooks{
                [this](pqxx::connection& c) { on_connected(c); },
                [this] { on_disconnected(); },
                [this](pqxx::connection& c) { flush_audits(c); },
            }) {}

  const config::database_section options;
  const clock_fn now;
  const commit_listener on_commit;

  mutable std::mutex mutex;
  std::deque<publish_item> publishes;
  std::deque<audit_item> audits;
  std::deque<audit_item> summaries;  // apart from queue_max (audit_summary)
  std::deque<ack_item> acks;
  std::deque<receipt_item> receipts;
  std::deque<escalation_item> escalations;
  std::deque<presence_item> presence;  // apart from queue_max, like summaries
  bool up = false;                     // connected; publishes and acks are queued only while up
  bool stopping = false;
  writer_stats stats;
  detail::db_worker worker;  // last: its thread uses the members above

  std::size_t queued() const {
    return publishes.size() + audits.size() + acks.size() + receipts.size() + escalations.size();
  }
  // Queues a request that fails at once while down or full; `item` is moved
  // only when queued.
  template <class Item, class Done>
  bool admit(std::deque<Item>& queue, Item& item, Done& done);

  detail::db_worker::duration step(pqxx::connection& c);
  void on_connected(pqxx::connection& c);
  void on_disconnected();
  void flush_audits(pqxx::connection& c);
  void execute(pqxx::connection& c, batch_input& in);
  void fail_all(batch_input& in, const core::error& e);
  void drain_on_stop();
};

writer::writer(config::database_section options, clock_fn now, commit_listener on_commit)
    : impl_(std::make_unique<impl>(std::move(options), std::move(now), std::move(on_commit))) {}

writer::~writer() {
  stop();
}

void writer::start() {
  impl_->worker.start();
}

void writer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->worker.stop();
  // Whatever is left (never started, or queued when the thread ended) fails.
  impl_->drain_on_stop();
}

bool writer::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->up;
}

void writer::publish(core::publish_request request, core::publish_handler done) {
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
    if (!impl_->up || impl_->stopping) {
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
  impl_->worker.wake();
}

bool writer::audit_summary(core::audit_event event) {
  constexpr std::size_t max_summaries = 4096;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->summaries.size() >= max_summaries) {
      ++impl_->stats.audit_dropped;
      return false;
    }
    impl_->summaries.push_back({std::move(event), 0});
  }
  impl_->worker.wake();
  return true;
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
  impl_->worker.wake();
  return true;
}

template <class Item, class Done>
bool writer::impl::admit(std::deque<Item>& queue, Item& item, Done& done) {
  std::unique_lock lock(mutex);
  const bool refuse = !up || stopping;
  const bool full = queued() >= options.queue_max;
  if (refuse || full) {
    lock.unlock();
    if (refuse)
      invoke_quietly(done, unavailable());
    else
      invoke_quietly(done, core::make_error(core::errc::resource_exhausted,
                                            "the database queue is full; retry later"));
    return false;
  }
  queue.push_back(std::move(item));
  return true;
}

void writer::ack(core::consumer_key consumer, std::optional<core::priority> lane,
                 std::uint64_t up_to_seq, core::audit_event event,
                 std::function<void(core::result<void>)> done) {
  ack_item item{std::move(consumer), lane, up_to_seq, std::move(event), {}};
  item.done = done;
  if (impl_->admit(impl_->acks, item, done)) impl_->worker.wake();
}

void writer::record_receipt(core::receipt_request request,
                            std::function<void(core::result<core::receipt_outcome>)> done) {
  for (auto* t : {&request.actor, &request.actor_member, &request.decoded.member,
                  &request.decoded.origin, &request.signed_bytes.key_id})
    *t = detail::storable_text(*t);
  receipt_item item{std::move(request), done};
  if (impl_->admit(impl_->receipts, item, done)) impl_->worker.wake();
}

void writer::escalate(escalation_request request, std::function<void(core::result<bool>)> done) {
  escalation_item item{std::move(request), done};
  if (impl_->admit(impl_->escalations, item, done)) impl_->worker.wake();
}

void writer::update_presence(
    presence_update update,
    std::function<void(core::result<std::vector<core::member_presence>>)> done) {
  {
    std::unique_lock lock(impl_->mutex);
    if (!impl_->up || impl_->stopping) {
      lock.unlock();
      invoke_quietly(done, unavailable());
      return;
    }
    impl_->presence.push_back({std::move(update), std::move(done)});
  }
  impl_->worker.wake();
}

writer_stats writer::stats() const {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->stats;
  s.queued = impl_->queued();
  return s;
}

void writer::impl::on_connected(pqxx::connection& c) {
  detail::prepare_batch_statements(c);
  std::lock_guard lock(mutex);
  up = true;
}

// Down: publishes and acks fail at once (and those queued now), so that no
// client waits for a database that is not there; audit events wait for it.
void writer::impl::on_disconnected() {
  batch_input failed;
  {
    std::lock_guard lock(mutex);
    up = false;
    failed.publishes.assign(std::make_move_iterator(publishes.begin()),
                            std::make_move_iterator(publishes.end()));
    failed.acks.assign(std::make_move_iterator(acks.begin()), std::make_move_iterator(acks.end()));
    failed.receipts.assign(std::make_move_iterator(receipts.begin()),
                           std::make_move_iterator(receipts.end()));
    failed.escalations.assign(std::make_move_iterator(escalations.begin()),
                              std::make_move_iterator(escalations.end()));
    failed.presence.assign(std::make_move_iterator(presence.begin()),
                           std::make_move_iterator(presence.end()));
    publishes.clear();
    acks.clear();
    receipts.clear();
    escalations.clear();
    presence.clear();
  }
  fail_all(failed, unavailable());
}

void writer::impl::fail_all(batch_input& in, const core::error& e) {
  for (auto& item : in.publishes) invoke_quietly(item.done, e);
  for (auto& item : in.acks) invoke_quietly(item.done, core::result<void>(e));
  for (auto& item : in.receipts) invoke_quietly(item.done, core::result<core::receipt_outcome>(e));
  for (auto& item : in.escalations) invoke_quietly(item.done, core::result<bool>(e));
  for (auto& item : in.presence)
    invoke_quietly(item.done, core::result<std::vector<core::member_presence>>(e));
}

namespace {
template <class T>
void take_all(std::deque<T>& from, std::vector<T>& to) {
  std::move(from.begin(), from.end(), std::back_inserter(to));
  from.clear();
}
}  // namespace

detail::db_worker::duration writer::impl::step(pqxx::connection& c) {
  batch_input in;
  {
    std::lock_guard lock(mutex);
    if (queued() == 0 && summaries.empty() && presence.empty()) return idle_probe;
    // Up to batch_max publishes, and every other pending item.
    const std::size_t n = std::min(publishes.size(), std::max<std::size_t>(options.batch_max, 1));
    for (std::size_t i = 0; i < n; ++i) {
      in.publishes.push_back(std::move(publishes.front()));
      publishes.pop_front();
    }
    take_all(audits, in.audits);
    take_all(summaries, in.audits);
    take_all(acks, in.acks);
    take_all(receipts, in.receipts);
    take_all(escalations, in.escalations);
    take_all(presence, in.presence);
  }
  execute(c, in);
  return detail::db_worker::duration::zero();
}

// The last words of a stopping server: the audit events still queued, best
// effort; publishes and acks are failed by drain_on_stop.
void writer::impl::flush_audits(pqxx::connection& c) {
  std::vector<audit_item> batch;
  {
    std::lock_guard lock(mutex);
    std::move(audits.begin(), audits.end(), std::back_inserter(batch));
    audits.clear();
    std::move(summaries.begin(), summaries.end(), std::back_inserter(batch));
    summaries.clear();
  }
  if (batch.empty()) return;
  batch_input in;
  in.audits = std::move(batch);
  try {
    detail::write_batch(c, in, now);
  } catch (...) {
    auto f = detail::classify_current_exception(true);
    spdlog::error("store writer: {} audit events lost at shutdown: {}", in.audits.size(), f.what);
  }
}

void writer::impl::execute(pqxx::connection& c, batch_input& in) {
  std::optional<detail::batch_outcome> outcome;
  std::optional<detail::failure> failure;
  try {
    outcome = detail::write_batch(c, in, now);
  } catch (...) {
    failure = detail::classify_current_exception(c.is_open());
  }

  if (outcome) {
    {
      std::lock_guard lock(mutex);
      ++stats.batches;
      const std::uint64_t requests = in.publishes.size() + in.acks.size() + in.receipts.size() +
                                     in.escalations.size() + in.presence.size() + in.audits.size();
      const auto& bounds = writer_stats::batch_size_bounds;
      const auto bucket = static_cast<std::size_t>(
          std::lower_bound(bounds.begin(), bounds.end(), requests) - bounds.begin());
      ++stats.batch_sizes[bucket];
      stats.batch_requests += requests;
      stats.alerts_committed += outcome->created.size();
      stats.audit_rows += outcome->audit_rows;
      stats.receipts += in.receipts.size();
      stats.notices += outcome->notices;
    }
    // Committed: now, and only now, the waiters learn their outcome.
    for (std::size_t i = 0; i < in.publishes.size(); ++i)
      invoke_quietly(in.publishes[i].done, std::move(outcome->publishes[i]));
    for (std::size_t i = 0; i < in.acks.size(); ++i)
      invoke_quietly(in.acks[i].done, std::move(outcome->acks[i]));
    auto& rapid = outcome->rapid;
    for (std::size_t i = 0; i < in.receipts.size(); ++i)
      invoke_quietly(in.receipts[i].done, std::move(rapid.receipts[i]));
    for (std::size_t i = 0; i < in.escalations.size(); ++i)
      invoke_quietly(in.escalations[i].done, std::move(rapid.escalations[i]));
    for (std::size_t i = 0; i < in.presence.size(); ++i)
      invoke_quietly(in.presence[i].done, std::move(rapid.presence[i]));
    if (!outcome->created.empty()) invoke_quietly(on_commit, outcome->created);
    return;
  }

  const core::error error = detail::to_error(*failure);
  const bool lost = failure->kind != detail::failure_kind::other;
  auto& a = in.audits;
  {
    std::lock_guard lock(mutex);
    ++stats.failed_batches;
    // Down before anyone hears of the failure: connected() must not say
    // otherwise to a caller reacting to its UNAVAILABLE.
    if (lost) up = false;
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
  runtime::log_event(runtime::log_level::error,
                     lost ? "store.connection_lost" : "store.batch_failed")
      .with("publishes", std::uint64_t{in.publishes.size()})
      .with("acks", std::uint64_t{in.acks.size()})
      .with("receipts", std::uint64_t{in.receipts.size()})
      .with("error_code", std::string(core::to_string(error.code)))
      .with("error", failure->what)
      .say(std::string(lost ? "store writer: database connection lost, the batch failed: "
                            : "store writer: batch failed: ") +
           failure->what);
  fail_all(in, error);
  // The worker drops the connection and reconnects with back-off.
  if (lost) throw pqxx::broken_connection(failure->what);
}

void writer::impl::drain_on_stop() {
  batch_input failed;
  {
    std::lock_guard lock(mutex);
    stopping = true;
    up = false;
    take_all(publishes, failed.publishes);
    take_all(acks, failed.acks);
    take_all(receipts, failed.receipts);
    take_all(escalations, failed.escalations);
    take_all(presence, failed.presence);
    if (!audits.empty()) {
      spdlog::error("store writer: stopped with {} audit events not written", audits.size());
      stats.audit_dropped += audits.size();
      audits.clear();
    }
  }
  fail_all(failed, unavailable());
}

}  // namespace liaison::store
