// The part of a peer run that does not depend on the broker: one thread per
// publisher sending in closed or open loop through a `send` function, the
// measured window, the drain, and the result. The drivers supply connect,
// send and the broker's callbacks.
#pragma once

#include "common/report.hpp"
#include "peers/peer_window.hpp"

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace liaison::bench {

struct peer_run {
  const workload_options& options;
  std::vector<std::unique_ptr<peer_publisher_state>> publishers;
  std::vector<std::unique_ptr<peer_consumer_state>> consumers;
  run_clock clock;

  peer_run(const workload_options& o, std::size_t consumer_count) : options(o) {
    for (std::size_t i = 0; i < o.publishers; ++i)
      publishers.push_back(std::make_unique<peer_publisher_state>());
    for (std::size_t i = 0; i < consumer_count; ++i)
      consumers.push_back(std::make_unique<peer_consumer_state>());
  }

  template <class F>
  std::uint64_t sum_publishers(F f) {
    std::uint64_t n = 0;
    for (auto& p : publishers) {
      std::lock_guard lock(p->mutex);
      n += f(*p);
    }
    return n;
  }
  std::uint64_t delivered() {
    std::uint64_t n = 0;
    for (auto& c : consumers) {
      std::lock_guard lock(c->mutex);
      n += c->delivered;
    }
    return n;
  }

  // Runs the publishers: send(publisher, k, published_at) publishes the k-th
  // alert of a publisher (and calls on_sent); answers arrive through the
  // driver's callbacks (on_answer). Returns the filled result.
  run_result run(const std::string& system,
                 std::function<void(std::size_t, std::uint64_t, steady::time_point)> send) {
    const auto& o = options;
    clock = run_clock::plan(o, steady::now() + std::chrono::milliseconds(50));
    server_monitor monitor(o.server_pid, 0, clock.start);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < publishers.size(); ++i) {
      threads.emplace_back([&, i] {
        auto& p = *publishers[i];
        const double period = static_cast<double>(o.publishers) / o.rate;
        const auto interval =
            std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(period));
        auto next = clock.start + interval * static_cast<long>(i) / static_cast<long>(o.publishers);
        sleep_until(clock.start);
        for (std::uint64_t k = 0; !stop; ++k) {
          if (o.count > 0 && k >= o.count) break;
          steady::time_point at;
          if (o.mode == loop_mode::closed) {
            p.wait_for_room(o.window);
            at = steady::now();
          } else {
            sleep_until(next);
            at = next;
            next += interval;
          }
          if (!clock.sending(at) || stop) break;
          send(i, k, at);
        }
      });
    }
    const auto sent = [&] { return sum_publishers([](auto& p) { return p.sent; }); };
    const auto outstanding = [&] { return sum_publishers([](auto& p) { return p.outstanding; }); };
    const auto expected = [&] { return sum_publishers([](auto& p) { return p.expected; }); };
    steady::time_point window_end;
    if (clock.count_mode) {
      monitor.window_start();
      const auto give_up = steady::now() + std::chrono::duration<double>(o.drain_timeout_s + 60);
      while (steady::now() < give_up &&
             (sent() < o.count * o.publishers || outstanding() > 0 || delivered() < expected()))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      window_end = steady::now();
      monitor.window_end();
    } else {
      sleep_until(clock.measure_from);
      monitor.window_start();
      sleep_until(clock.measure_to);
      window_end = steady::now();
      monitor.window_end();
    }
    stop = true;
    for (auto& p : publishers) p->room.notify_all();
    for (auto& t : threads) t.join();
    const auto drain_until = steady::now() + std::chrono::duration<double>(o.drain_timeout_s);
    while (steady::now() < drain_until && (outstanding() > 0 || delivered() < expected()))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));

    run_result r;
    r.system = system;
    r.options = o;
    r.consumers = consumers.size();
    r.window_seconds = std::chrono::duration<double>(window_end - clock.measure_from).count();
    for (auto& p : publishers) {
      std::lock_guard lock(p->mutex);
      r.published += p->sent;
      r.acked += p->acked;
      r.failed += p->failed;
      r.acked_in_window += p->acked_in_window;
      r.expected_deliveries += p->expected;
      r.ack_latency.merge(p->ack_latency);
      if (!p->error.empty() && r.notes.empty()) r.notes.push_back("first error: " + p->error);
    }
    for (auto& c : consumers) {
      std::lock_guard lock(c->mutex);
      r.delivered += c->delivered;
      r.delivered_in_window += c->in_window;
      r.deliver_latency.merge(c->latency);
    }
    monitor.fill(r);
    return r;
  }
};

}  // namespace liaison::bench
