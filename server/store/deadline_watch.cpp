#include "store/deadline_watch.hpp"

#include "store/detail/db_worker.hpp"
#include "store/detail/rapid_queries.hpp"

#include <atomic>

namespace liaison::store {
namespace {
constexpr std::size_t max_due = 500;
}

struct deadline_watch::impl {
  impl(config::database_section o, core::duration i, clock_fn n, due_fn d, presence_fn p)
      : interval(std::chrono::duration_cast<detail::db_worker::duration>(i)),
        now(std::move(n)),
        on_due(std::move(d)),
        on_presence(std::move(p)),
        worker(
            std::move(o), "deadline watch", [this](pqxx::connection& c) { return step(c); },
            detail::db_worker_hooks{
                [](pqxx::connection& c) { detail::prepare_rapid_queries(c); }, {}, {}}) {}

  const detail::db_worker::duration interval;
  const clock_fn now;
  const due_fn on_due;
  const presence_fn on_presence;
  std::atomic<bool> settling{false};  // escalations handed over and not settled yet
  detail::db_worker worker;

  detail::db_worker::duration step(pqxx::connection& c) {
    on_presence(detail::read_member_presence(c));
    if (settling.load()) return interval;
    auto due = detail::read_due_deadlines(c, now(), max_due);
    if (due.empty()) return interval;
    const bool more = due.size() == max_due;
    settling = true;
    on_due(std::move(due), [this] {
      settling = false;
      worker.wake();
    });
    return more ? detail::db_worker::duration::zero() : interval;
  }
};

deadline_watch::deadline_watch(config::database_section options, core::duration interval,
                               clock_fn now, due_fn on_due, presence_fn on_presence)
    : impl_(std::make_unique<impl>(std::move(options), interval, std::move(now), std::move(on_due),
                                   std::move(on_presence))) {}

deadline_watch::~deadline_watch() {
  stop();
}

void deadline_watch::start() {
  impl_->worker.start();
}

void deadline_watch::stop() {
  impl_->worker.stop();
}

}  // namespace liaison::store
