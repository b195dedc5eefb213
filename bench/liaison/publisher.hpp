// A desk that publishes: builds each alert, signs it with the member's
// signing key and sends it on its own connection, keeping `window`
// publishes outstanding (closed loop) or sending at scheduled times (open
// loop; latency counts from the scheduled time, so a stall shows).
// Runs on one io_context thread; the counters may be read from any thread.
#pragma once

#include "common/histogram.hpp"
#include "common/workload.hpp"
#include "crypto/ed25519.hpp"
#include "liaison/frame_link.hpp"
#include "liaison/v1/alert.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace liaison::bench {

struct publisher_counters {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> acked_in_window{0};
  std::atomic<std::uint64_t> expected_deliveries{0};  // recipients of the acked alerts
  std::atomic<std::uint64_t> outstanding{0};
};

class publisher {
 public:
  publisher(std::unique_ptr<frame_link> link, const pki::identity& id, std::size_t index,
            const workload_options& options, const recipient_mix& mix, const run_clock& clock);

  void start();
  // Stops sending new alerts (the outstanding ones still complete).
  void stop_sending();
  void close() { link_->close(); }
  boost::asio::any_io_executor executor() { return link_->executor(); }

  const publisher_counters& counters() const { return counters_; }
  const histogram& ack_latency() const { return ack_latency_; }
  std::string first_error() const;

 private:
  void send_one(steady::time_point scheduled);
  void on_frame(const liaison::v1::Frame& f);
  void schedule_next();
  bool may_send(steady::time_point t) const;

  struct in_flight {
    steady::time_point start;
    std::uint32_t recipients;
  };

  std::unique_ptr<frame_link> link_;
  const std::string member_;
  const std::string key_id_;
  const crypto::ed25519_private_key key_;
  const std::size_t index_;
  const workload_options& options_;
  const recipient_mix& mix_;
  const run_clock& clock_;
  boost::asio::steady_timer timer_;
  steady::duration interval_{};
  steady::time_point next_at_{};
  std::uint64_t k_ = 0;
  bool stopped_ = false;
  std::string body_;
  liaison::v1::Alert alert_;
  liaison::v1::Frame frame_;
  std::unordered_map<std::uint64_t, in_flight> pending_;
  histogram ack_latency_;
  publisher_counters counters_;
  void note_error(const std::string& why);
  mutable std::mutex error_mutex_;
  std::string error_;  // the first error
};

}  // namespace liaison::bench
