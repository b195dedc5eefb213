// A member's durable consumer on the native protocol: subscribes (only new
// alerts), counts every delivery, measures publish->deliver latency from the
// publish time the publisher wrote into the alert, and acknowledges
// cumulatively every `ack_every` deliveries and at least every 100 ms.
// Runs on one io_context thread; the counters may be read from any thread.
#pragma once

#include "common/histogram.hpp"
#include "common/workload.hpp"
#include "liaison/frame_link.hpp"
#include "liaison/v1/alert.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace liaison::bench {

class consumer {
 public:
  // Subscribes (blocking) as consumer `name`; throws std::runtime_error if refused.
  consumer(std::unique_ptr<frame_link> link, std::string member, std::string name,
           std::size_t ack_every, const run_clock& clock);

  void start();
  void close();

  std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  std::uint64_t delivered_in_window() const { return in_window_.load(std::memory_order_relaxed); }
  const histogram& deliver_latency() const { return latency_; }
  std::string first_error() const;
  // Delivered seqs that did not increase (duplicates or reordering).
  std::uint64_t out_of_order() const { return out_of_order_.load(); }

 private:
  void on_frame(const liaison::v1::Frame& f);
  void send_ack();
  void arm_ack_timer();
  void note_error(const std::string& why);

  std::unique_ptr<frame_link> link_;
  const std::string member_;
  const std::string name_;
  const std::size_t ack_every_;
  const run_clock& clock_;
  boost::asio::steady_timer ack_timer_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t acked_seq_ = 0;
  std::size_t unacked_ = 0;
  bool closed_ = false;
  liaison::v1::Alert alert_;
  histogram latency_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> in_window_{0};
  std::atomic<std::uint64_t> out_of_order_{0};
  mutable std::mutex error_mutex_;
  std::string error_;
};

}  // namespace liaison::bench
