// The result of one benchmark run, the same for Liaison and the peers:
// counts, rates over the measured window, latency histograms, and what /proc
// says about the broker (and PostgreSQL). Printed as a table and as JSON
// (bench/compare.py puts several side by side).
#pragma once

#include "common/histogram.hpp"
#include "common/proc_stats.hpp"
#include "common/workload.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace liaison::bench {

struct run_result {
  std::string system;  // "liaison", "nats-jetstream", "mosquitto"
  workload_options options;
  std::size_t consumers = 0;
  double window_seconds = 0;
  // Totals over the whole run (warm-up and drain included).
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
  std::uint64_t failed = 0;  // publishes answered with an error
  std::uint64_t delivered = 0;
  std::uint64_t expected_deliveries = 0;  // recipients of the acked alerts
  // Inside the measured window.
  std::uint64_t acked_in_window = 0;
  std::uint64_t delivered_in_window = 0;
  histogram ack_latency;      // publish (scheduled time in open loop) -> acknowledgement, ns
  histogram deliver_latency;  // publish -> delivery to the recipient's consumer, ns
  // The broker, over the measured window (0 when not measured).
  double server_cpu_seconds = 0;
  std::uint64_t server_rss_start_kb = 0;
  std::uint64_t server_rss_end_kb = 0;
  std::uint64_t server_peak_rss_kb = 0;
  std::vector<std::pair<double, std::uint64_t>> server_rss_trace;  // (seconds since start, kB)
  double pg_cpu_seconds = 0;
  double loadgen_cpu_seconds = 0;  // this process (publishers and consumers), same window
  // PostgreSQL rows written in the window (Liaison): alerts, recipients, audit.
  std::uint64_t db_rows = 0;
  std::string db_rows_detail;
  std::vector<std::string> notes;

  // Every acknowledged alert reached all its recipients, nothing failed and
  // (count mode) every alert was acknowledged.
  bool complete() const;
};

// Samples the broker (and PostgreSQL) from its own thread once a second and
// at the window's edges. Its CPU/RSS figures land in a run_result.
class server_monitor {
 public:
  server_monitor(int server_pid, int pg_pid, steady::time_point start);
  ~server_monitor();
  void window_start();
  void window_end();
  void fill(run_result& r) const;

 private:
  void loop();
  int server_pid_;
  int pg_pid_;
  steady::time_point start_;
  mutable std::mutex mutex_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  proc_sample at_start_{}, at_end_{};
  double pg_start_ = 0, pg_end_ = 0;
  double self_start_ = 0, self_end_ = 0;
  std::uint64_t peak_kb_ = 0;
  std::vector<std::pair<double, std::uint64_t>> trace_;
};

void print_table(const run_result& r);
void write_json(const run_result& r, const std::string& file);

// Sleeps until `t` (returns at once if it has passed).
void sleep_until(steady::time_point t);

}  // namespace liaison::bench
