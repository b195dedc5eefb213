#include "net/session_driver.hpp"
#include "runtime/log.hpp"

#include "net/with_timeout.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>

namespace liaison::net {

namespace asio = boost::asio;
using asio::awaitable;
using steady = std::chrono::steady_clock;

session_driver::session_driver(asio::any_io_executor strand, broker::exchange_port& exchange)
    : strand_(strand),
      port_(exchange, strand),
      wake_(strand, steady::time_point::max()),
      signal_(strand, steady::time_point::max()),
      watchdog_(strand) {}

std::shared_ptr<session_driver> session_driver::make(asio::any_io_executor strand,
                                                     broker::exchange_port& exchange,
                                                     session_setup setup) {
  std::shared_ptr<session_driver> d(new session_driver(strand, exchange));
  d->transport_ = setup.format == protocol::wire_format::native ? "native" : "websocket";
  d->opened_ = now();
  std::weak_ptr<session_driver> weak = d;
  // The outbox is filled from any thread (the live fan-out, the notice
  // feed): the wake-up is posted to the strand, and the driver is locked
  // only there, so that its last reference is never dropped on another
  // thread while the strand tears the connection down.
  auto out =
      std::make_shared<session::outbox>(setup.outbox_max_bytes, setup.format, [weak, strand] {
        asio::post(strand, [weak] {
          if (auto self = weak.lock()) self->wake_.cancel();
        });
      });
  d->machine_ = std::make_shared<session::machine>(
      d->port_, std::move(setup.who), std::move(setup.peer), setup.limits, setup.profile,
      std::move(setup.server_name), std::move(out),
      [weak] {
        if (auto self = weak.lock()) self->notify();
      },
      now());
  return d;
}

session::steady_time session_driver::now() {
  return steady::now();
}

void session_driver::notify() {
  signal_.cancel();
  watchdog_.cancel();
}

void session_driver::stop() {
  if (ended_) return;
  ended_ = true;
  if (stop_io_) stop_io_();
  machine_->on_end();
  // One line per connection that got as far as its principal: who, from
  // where, how long, and why it ended when a rule ended it.
  const auto& who = machine_->who();
  const auto& closing = machine_->closing();
  const auto seconds = std::chrono::duration<double>(now() - opened_).count();
  runtime::log_event(runtime::log_level::info, "session.closed")
      .with("transport", transport_)
      .with("peer", machine_->peer())
      .with("principal", who.id)
      .with("member", who.member)
      .with("duration_s", seconds)
      .with("reason", closing ? session::to_string(closing->reason) : std::string_view("ended"))
      .with("error_code", closing ? core::to_string(closing->error.code) : std::string_view("ok"))
      .say(transport_ + " session of " + who.id + " from " + machine_->peer() + " ended after " +
           std::to_string(static_cast<long long>(seconds)) + " s" +
           (closing ? ": " + closing->error.message : std::string()));
  wake_.cancel();
  notify();
}

awaitable<void> session_driver::guarded(awaitable<void> loop) {
  try {
    co_await std::move(loop);
  } catch (const std::exception& e) {
    runtime::log_event(runtime::log_level::error, "connection.error")
        .with("peer", machine_->peer())
        .with("error", e.what())
        .say("connection " + machine_->peer() + ": " + e.what());
  }
  stop();
}

awaitable<void> session_driver::run(awaitable<void> read, awaitable<void> write,
                                    std::function<void()> stop_io) {
  stop_io_ = std::move(stop_io);
  auto self = shared_from_this();
  using namespace asio::experimental::awaitable_operators;
  co_await (guarded(std::move(read)) || guarded(std::move(write)) || guarded(watchdog()));
  stop();
}

awaitable<bool> session_driver::may_read() {
  // Closing: the reader stays here until the writer has written the last
  // frame and ended the connection (stop() wakes it with ended_ set).
  while (!ended_ && !machine_->reading()) {
    signal_.expires_at(steady::time_point::max());
    co_await signal_.async_wait(use_nothrow);
  }
  co_return !ended_;
}

awaitable<std::vector<session::outgoing>> session_driver::next_batch(std::size_t max_bytes) {
  for (;;) {
    auto batch = machine_->out()->take(max_bytes);
    if (!batch.empty()) co_return batch;
    if (ended_ || machine_->out()->closed()) co_return batch;
    wake_.expires_at(steady::time_point::max());
    co_await wake_.async_wait(use_nothrow);
  }
}

awaitable<void> session_driver::watchdog() {
  while (!ended_) {
    watchdog_.expires_at(machine_->arm());
    co_await watchdog_.async_wait(use_nothrow);
    if (ended_) co_return;
    // Woken early (a sooner deadline, a decision): tick anyway; it is cheap
    // and does nothing before a deadline.
    machine_->on_tick(now());
  }
}

}  // namespace liaison::net
