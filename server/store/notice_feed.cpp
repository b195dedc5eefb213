#include "store/notice_feed.hpp"

#include "store/detail/db_worker.hpp"
#include "store/detail/rapid_queries.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>

namespace liaison::store {
namespace {

using namespace std::chrono_literals;

constexpr auto safety_net = 1s;
constexpr long listen_wait_us = 200'000;
constexpr std::size_t page = 500;

class notice_listener : public pqxx::notification_receiver {
 public:
  notice_listener(pqxx::connection_base& c, std::atomic<std::uint64_t>& announced)
      : pqxx::notification_receiver(c, "liaison_notice"), announced_(announced) {}

  void operator()(const std::string& payload, int) override {
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), id);
    if (ec != std::errc{}) return;
    std::uint64_t seen = announced_.load();
    while (id > seen && !announced_.compare_exchange_weak(seen, id)) {
    }
  }

 private:
  std::atomic<std::uint64_t>& announced_;
};

}  // namespace

struct notice_feed::impl {
  impl(config::database_section o, sink s)
      : on_notices(std::move(s)),
        worker(
            std::move(o), "notice feed", [this](pqxx::connection& c) { return step(c); },
            detail::db_worker_hooks{[this](pqxx::connection& c) { on_connected(c); },
                                    [this] { listener.reset(); },
                                    {}}) {}

  const sink on_notices;
  std::atomic<std::uint64_t> announced{0};
  std::atomic<std::uint64_t> delivered{0};
  bool started = false;  // the worker's thread only
  std::unique_ptr<notice_listener> listener;
  std::chrono::steady_clock::time_point next_check{};
  detail::db_worker worker;

  void on_connected(pqxx::connection& c) {
    detail::prepare_rapid_queries(c);
    listener = std::make_unique<notice_listener>(c, announced);
    if (!started) {
      // Notices committed before this node started are history, not news.
      delivered = detail::read_last_notice_id(c);
      started = true;
    }
    next_check = {};
  }

  detail::db_worker::duration step(pqxx::connection& c) {
    c.await_notification(0, listen_wait_us);
    if (!c.is_open()) throw pqxx::broken_connection("connection closed");
    const auto now = std::chrono::steady_clock::now();
    if (announced.load() <= delivered.load() && now < next_check)
      return detail::db_worker::duration::zero();
    next_check = now + safety_net;
    for (;;) {
      auto notices = detail::read_notices_after(c, delivered.load(), page);
      if (notices.empty()) break;
      std::vector<core::notice_ptr> batch;
      batch.reserve(notices.size());
      for (auto& n : notices) batch.push_back(std::make_shared<const core::notice>(std::move(n)));
      try {
        on_notices(batch);
      } catch (const std::exception& e) {
        spdlog::error("notice feed: the sink threw: {}", e.what());
      }
      delivered = batch.back()->id;
      if (batch.size() < page) break;
    }
    return detail::db_worker::duration::zero();
  }
};

notice_feed::notice_feed(config::database_section options, sink on_notices)
    : impl_(std::make_unique<impl>(std::move(options), std::move(on_notices))) {}

notice_feed::~notice_feed() {
  stop();
}

void notice_feed::start() {
  impl_->worker.start();
}

void notice_feed::stop() {
  impl_->worker.stop();
}

std::uint64_t notice_feed::last_delivered() const {
  return impl_->delivered.load();
}

}  // namespace liaison::store
