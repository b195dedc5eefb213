// liaison_bench: drives a running liaisond through the real native protocol
// with N publishers (one per member, each signing every alert with its own
// key) and one durable consumer per member, closed or open loop, and reports
// throughput, latency, the server's CPU and memory and PostgreSQL's rows/s.
// See docs/BENCHMARKS.md; bench/run.sh starts everything it needs.
#include "common/report.hpp"
#include "common/workload.hpp"
#include "liaison/consumer.hpp"
#include "liaison/db_rows.hpp"
#include "liaison/publisher.hpp"
#include "pki/identity.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

namespace {

using namespace liaison::bench;
namespace asio = boost::asio;

struct liaison_options {
  std::string server;
  std::string pki_dir;
  std::size_t threads = 2;
  std::size_t ack_every = 256;
  std::string consumer_prefix = "bench";
  std::string db_url;
  std::size_t websocket_consumers = 0;
};

int run(const workload_options& o, const liaison_options& lo) {
  const membership members = load_membership(o.members_file);
  const recipient_mix mix(o.mix, members);
  if (o.publishers == 0 || o.publishers > members.members.size())
    throw std::runtime_error("--publishers must be 1.." + std::to_string(members.members.size()));

  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (std::size_t i = 0; i < std::max<std::size_t>(lo.threads, 1); ++i)
    ios.push_back(std::make_unique<asio::io_context>(1));
  std::size_t next_io = 0;
  auto io = [&]() -> asio::io_context& { return *ios[next_io++ % ios.size()]; };
  auto identity_of = [&](const std::string& code) {
    return liaison::pki::load_identity(lo.pki_dir + "/" + code + "/desk");
  };

  run_clock clock;  // set just before the start; publishers and consumers keep a reference

  // Consumers first, so that they see every alert.
  std::vector<std::unique_ptr<consumer>> consumers;
  const std::string run_tag =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
  for (const auto& code : members.members) {
    auto id = identity_of(code);
    consumers.push_back(
        std::make_unique<consumer>(std::make_unique<frame_link>(io(), id, lo.server), code,
                                   lo.consumer_prefix + "-" + run_tag, lo.ack_every, clock));
  }
  // HOOK (WebSocket consumers): the lead is building the wss://HOST:8443/v1/stream
  // gateway. When it exists, add a websocket_consumer beside `consumer` here
  // (same counters and latency), subscribing per member on the stream.
  if (lo.websocket_consumers > 0)
    std::fprintf(stderr,
                 "liaison_bench: --websocket-consumers skipped: the WebSocket stream is not "
                 "available yet\n");

  std::vector<std::unique_ptr<publisher>> publishers;
  for (std::size_t i = 0; i < o.publishers; ++i) {
    auto id = identity_of(members.members[i]);
    publishers.push_back(std::make_unique<publisher>(
        std::make_unique<frame_link>(io(), id, lo.server), id, i, o, mix, clock));
  }

  std::optional<db_rows> rows;
  if (!lo.db_url.empty()) rows.emplace(lo.db_url);

  clock = run_clock::plan(o, steady::now() + std::chrono::milliseconds(50));
  server_monitor monitor(o.server_pid, o.pg_pid, clock.start);
  for (auto& c : consumers) c->start();
  for (auto& p : publishers) p->start();
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& c : ios) {
    guards.emplace_back(c->get_executor());
    threads.emplace_back([&ctx = *c] { ctx.run(); });
  }

  auto total = [&](auto member) {
    std::uint64_t n = 0;
    for (auto& p : publishers) n += (p->counters().*member).load();
    return n;
  };
  auto delivered = [&] {
    std::uint64_t n = 0;
    for (auto& c : consumers) n += c->delivered();
    return n;
  };
  auto all_answered = [&] { return total(&publisher_counters::outstanding) == 0; };
  auto first_error = [&]() -> std::string {
    for (auto& p : publishers)
      if (auto e = p->first_error(); !e.empty()) return e;
    for (auto& c : consumers)
      if (auto e = c->first_error(); !e.empty()) return e;
    return {};
  };

  // The measured window.
  steady::time_point window_end;
  db_rows::counts rows_start{}, rows_end{};
  if (clock.count_mode) {
    monitor.window_start();
    if (rows) rows_start = rows->read();
    const std::uint64_t want = o.count * o.publishers;
    const auto give_up = steady::now() + std::chrono::duration<double>(o.drain_timeout_s + 60);
    while (steady::now() < give_up && first_error().empty() &&
           (total(&publisher_counters::sent) < want || !all_answered() ||
            delivered() < total(&publisher_counters::expected_deliveries)))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    window_end = steady::now();
    monitor.window_end();
    if (rows) rows_end = rows->read();
  } else {
    sleep_until(clock.measure_from);
    monitor.window_start();
    if (rows) rows_start = rows->read();
    sleep_until(clock.measure_to);
    window_end = steady::now();
    monitor.window_end();
    if (rows) rows_end = rows->read();
  }
  for (auto& p : publishers) p->stop_sending();

  // Drain: every publish answered and every expected delivery received.
  const auto drain_until = steady::now() + std::chrono::duration<double>(o.drain_timeout_s);
  while (steady::now() < drain_until &&
         (!all_answered() || delivered() < total(&publisher_counters::expected_deliveries)))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // A last round of acks for the consumers' cursors, then close.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  for (auto& c : consumers) c->close();
  for (auto& p : publishers) asio::post(p->executor(), [pp = p.get()] { pp->close(); });
  guards.clear();
  for (auto& c : ios) c->stop();
  for (auto& t : threads) t.join();

  run_result r;
  r.system = "liaison";
  r.options = o;
  r.consumers = consumers.size();
  r.window_seconds = std::chrono::duration<double>(window_end - clock.measure_from).count();
  r.published = total(&publisher_counters::sent);
  r.acked = total(&publisher_counters::acked);
  r.failed = total(&publisher_counters::failed);
  r.acked_in_window = total(&publisher_counters::acked_in_window);
  r.expected_deliveries = total(&publisher_counters::expected_deliveries);
  std::uint64_t out_of_order = 0;
  for (auto& p : publishers) r.ack_latency.merge(p->ack_latency());
  for (auto& c : consumers) {
    r.delivered += c->delivered();
    r.delivered_in_window += c->delivered_in_window();
    r.deliver_latency.merge(c->deliver_latency());
    out_of_order += c->out_of_order();
  }
  monitor.fill(r);
  if (rows) {
    r.db_rows = rows_end.total() - rows_start.total();
    r.db_rows_detail = db_rows::describe(rows_start, rows_end);
    const auto alerts = rows_end.alerts - rows_start.alerts;
    if (const auto batches = rows->publish_batches(rows_start.alerts, rows_end.alerts); batches > 0)
      r.db_rows_detail += "; " + std::to_string(batches) + " group commits, " +
                          std::to_string(alerts / batches) + " alerts each on average";
  }
  if (out_of_order > 0)
    r.notes.push_back(std::to_string(out_of_order) + " deliveries out of seq order");
  if (auto e = first_error(); !e.empty()) r.notes.push_back("first error: " + e);
  print_table(r);
  if (!o.json_file.empty()) write_json(r, o.json_file);
  return r.complete() && out_of_order == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"liaison_bench: load generator for liaisond (native protocol)"};
  workload_options o;
  liaison_options lo;
  add_workload_options(app, o);
  app.add_option("--server", lo.server, "liaisond native address HOST:PORT")->required();
  app.add_option("--pki", lo.pki_dir, "folder made by `liaison pki init` (DIR/<CODE>/desk)")
      ->required();
  app.add_option("--threads", lo.threads, "load generator threads (default 2)");
  app.add_option("--ack-every", lo.ack_every,
                 "consumers acknowledge after this many deliveries (default 256)");
  app.add_option("--consumer-prefix", lo.consumer_prefix, "durable consumer names: PREFIX-<run>");
  app.add_option("--db", lo.db_url, "PostgreSQL URL of liaisond's database, to report rows/s");
  app.add_option("--websocket-consumers", lo.websocket_consumers,
                 "WebSocket consumers (not available yet)");
  CLI11_PARSE(app, argc, argv);
  if (o.label.empty()) o.label = o.mode == loop_mode::closed ? "closed loop" : "open loop";
  try {
    return run(o, lo);
  } catch (const std::exception& e) {
    std::cerr << "liaison_bench: " << e.what() << "\n";
    return 2;
  }
}
