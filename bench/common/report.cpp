#include "common/report.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>

namespace liaison::bench {
namespace {

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

nlohmann::json latency_json(const histogram& h) {
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return {{"count", h.count()},
          {"mean_us", h.mean() / 1000.0},
          {"p50_us", us(h.quantile(0.5))},
          {"p90_us", us(h.quantile(0.9))},
          {"p99_us", us(h.quantile(0.99))},
          {"p999_us", us(h.quantile(0.999))},
          {"max_us", us(h.max())}};
}

std::string mode_name(loop_mode m) {
  return m == loop_mode::closed ? "closed" : "open";
}

}  // namespace

bool run_result::complete() const {
  bool all_acked = options.count == 0 || acked == published;
  return failed == 0 && all_acked && delivered >= expected_deliveries;
}

server_monitor::server_monitor(int server_pid, int pg_pid, steady::time_point start)
    : server_pid_(server_pid), pg_pid_(pg_pid), start_(start) {
  if (server_pid_ > 0) thread_ = std::thread([this] { loop(); });
}

server_monitor::~server_monitor() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void server_monitor::loop() {
  while (!stop_) {
    if (auto s = sample_process(server_pid_)) {
      std::lock_guard lock(mutex_);
      const double t = std::chrono::duration<double>(steady::now() - start_).count();
      trace_.emplace_back(t, s->rss_kb);
      peak_kb_ = std::max(peak_kb_, s->peak_rss_kb);
    }
    for (int i = 0; i < 10 && !stop_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void server_monitor::window_start() {
  if (auto me = sample_process(getpid())) self_start_ = me->cpu_seconds;
  if (server_pid_ <= 0) return;
  auto s = sample_process(server_pid_);
  double pg = pg_pid_ > 0 ? tree_cpu_seconds(pg_pid_) : 0;
  std::lock_guard lock(mutex_);
  if (s) at_start_ = *s;
  pg_start_ = pg;
}

void server_monitor::window_end() {
  if (auto me = sample_process(getpid())) self_end_ = me->cpu_seconds;
  if (server_pid_ <= 0) return;
  auto s = sample_process(server_pid_);
  double pg = pg_pid_ > 0 ? tree_cpu_seconds(pg_pid_) : 0;
  std::lock_guard lock(mutex_);
  if (s) {
    at_end_ = *s;
    peak_kb_ = std::max(peak_kb_, s->peak_rss_kb);
  }
  pg_end_ = pg;
}

void server_monitor::fill(run_result& r) const {
  std::lock_guard lock(mutex_);
  r.loadgen_cpu_seconds = self_end_ - self_start_;
  if (server_pid_ <= 0) return;
  r.server_cpu_seconds = at_end_.cpu_seconds - at_start_.cpu_seconds;
  r.server_rss_start_kb = at_start_.rss_kb;
  r.server_rss_end_kb = at_end_.rss_kb;
  r.server_peak_rss_kb = peak_kb_;
  r.server_rss_trace = trace_;
  r.pg_cpu_seconds = pg_end_ - pg_start_;
}

void print_table(const run_result& r) {
  const auto& o = r.options;
  std::printf("\n== %s%s%s: %s loop, %zu publishers, %zu consumers, body %zu B, mix %s, %s ==\n",
              r.system.c_str(), o.label.empty() ? "" : " / ", o.label.c_str(),
              mode_name(o.mode).c_str(), o.publishers, r.consumers, o.body_bytes, o.mix.c_str(),
              o.mode == loop_mode::closed
                  ? ("window " + std::to_string(o.window)).c_str()
                  : ("rate " + std::to_string(static_cast<long>(o.rate)) + "/s").c_str());
  std::printf("  measured window          %10.2f s\n", r.window_seconds);
  std::printf("  published / acked        %10llu / %llu (failed %llu)\n",
              (unsigned long long)r.published, (unsigned long long)r.acked,
              (unsigned long long)r.failed);
  std::printf("  delivered / expected     %10llu / %llu\n", (unsigned long long)r.delivered,
              (unsigned long long)r.expected_deliveries);
  std::printf("  acked alerts/s           %10.0f\n",
              per_second(r.acked_in_window, r.window_seconds));
  std::printf("  delivered alerts/s       %10.0f\n",
              per_second(r.delivered_in_window, r.window_seconds));
  auto row = [](const char* name, const histogram& h) {
    auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    std::printf("  %-24s p50 %8.3f  p90 %8.3f  p99 %8.3f  p99.9 %8.3f  max %8.3f ms (n=%llu)\n",
                name, ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)),
                ms(h.quantile(0.999)), ms(h.max()), (unsigned long long)h.count());
  };
  row("publish->ack", r.ack_latency);
  row("publish->deliver", r.deliver_latency);
  if (r.server_cpu_seconds > 0 && r.acked_in_window > 0) {
    std::printf(
        "  server CPU               %10.3f s per 1,000 alerts (%.1f us/alert, %.2f cores)\n",
        r.server_cpu_seconds * 1000.0 / static_cast<double>(r.acked_in_window),
        r.server_cpu_seconds * 1e6 / static_cast<double>(r.acked_in_window),
        r.server_cpu_seconds / r.window_seconds);
    std::printf("  server RSS               start %llu kB, end %llu kB, peak %llu kB\n",
                (unsigned long long)r.server_rss_start_kb, (unsigned long long)r.server_rss_end_kb,
                (unsigned long long)r.server_peak_rss_kb);
  }
  if (r.pg_cpu_seconds > 0)
    std::printf(
        "  PostgreSQL CPU           %10.2f cores (%.1f us/alert)\n",
        r.pg_cpu_seconds / r.window_seconds,
        r.acked_in_window ? r.pg_cpu_seconds * 1e6 / static_cast<double>(r.acked_in_window) : 0.0);
  if (r.loadgen_cpu_seconds > 0)
    std::printf("  load generator CPU       %10.2f cores (%.1f us/alert)\n",
                r.loadgen_cpu_seconds / r.window_seconds,
                r.acked_in_window
                    ? r.loadgen_cpu_seconds * 1e6 / static_cast<double>(r.acked_in_window)
                    : 0.0);
  if (r.db_rows > 0)
    std::printf("  PostgreSQL rows/s        %10.0f (%s)\n", per_second(r.db_rows, r.window_seconds),
                r.db_rows_detail.c_str());
  for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
  std::printf("  result                   %s\n", r.complete() ? "complete" : "INCOMPLETE");
  std::fflush(stdout);
}

void write_json(const run_result& r, const std::string& file) {
  const auto& o = r.options;
  nlohmann::json j = {
      {"system", r.system},
      {"label", o.label},
      {"mode", mode_name(o.mode)},
      {"publishers", o.publishers},
      {"consumers", r.consumers},
      {"body_bytes", o.body_bytes},
      {"mix", o.mix},
      {"window", o.window},
      {"rate", o.rate},
      {"warmup_s", o.warmup_s},
      {"duration_s", o.duration_s},
      {"count_per_publisher", o.count},
      {"window_seconds", r.window_seconds},
      {"published", r.published},
      {"acked", r.acked},
      {"failed", r.failed},
      {"delivered", r.delivered},
      {"expected_deliveries", r.expected_deliveries},
      {"acked_per_s", per_second(r.acked_in_window, r.window_seconds)},
      {"delivered_per_s", per_second(r.delivered_in_window, r.window_seconds)},
      {"ack_latency", latency_json(r.ack_latency)},
      {"deliver_latency", latency_json(r.deliver_latency)},
      {"server_cpu_seconds", r.server_cpu_seconds},
      {"server_cpu_s_per_1000",
       r.acked_in_window ? r.server_cpu_seconds * 1000.0 / static_cast<double>(r.acked_in_window)
                         : 0.0},
      {"server_rss_start_kb", r.server_rss_start_kb},
      {"server_rss_end_kb", r.server_rss_end_kb},
      {"server_peak_rss_kb", r.server_peak_rss_kb},
      {"server_rss_trace", r.server_rss_trace},
      {"pg_cpu_seconds", r.pg_cpu_seconds},
      {"loadgen_cpu_seconds", r.loadgen_cpu_seconds},
      {"db_rows", r.db_rows},
      {"db_rows_per_s", per_second(r.db_rows, r.window_seconds)},
      {"db_rows_detail", r.db_rows_detail},
      {"notes", r.notes},
      {"complete", r.complete()},
  };
  std::ofstream(file) << j.dump(2) << "\n";
}

void sleep_until(steady::time_point t) {
  std::this_thread::sleep_until(t);
}

}  // namespace liaison::bench
