// The load of the fault-injection harness: one publisher per desk, which
// pipelines up to `window` alerts and retries each with the same signed bytes
// after an error, a timeout or a lost connection; and one durable consumer
// per member, which acknowledges each delivery as it reads it and
// resubscribes after any loss. Everything the clients see is recorded.
#pragma once

#include "core/registry.hpp"
#include "faults/history.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace liaison::faults {

struct load_options {
  std::uint64_t seed = 1;
  double rate = 100;       // new alerts per second, all desks together
  std::size_t window = 4;  // unresolved alerts per desk (in flight or waiting to be retried)
  std::chrono::milliseconds request_timeout{5000};  // one publish attempt
  std::chrono::milliseconds connect_timeout{3000};
  std::size_t body_bytes = 120;
  // When set, half the alerts of the other desks go to this member too, with
  // bodies of heavy_body_bytes (to fill a frozen consumer's queue).
  std::string heavy_member;
  std::size_t heavy_body_bytes = 16 * 1024;
  std::string consumer_name = "faults";
  // This share of the alerts is FLASH with a read deadline of
  // read_within_seconds (the consumers never send READ: each escalates).
  double flash_share = 0;
  std::uint32_t read_within_seconds = 0;
};

class load {
 public:
  using address_fn = std::function<std::string()>;  // HOST:PORT of liaisond now

  load(load_options options, core::registry_data registry, address_fn address);
  ~load();  // stops what still runs
  load(const load&) = delete;
  load& operator=(const load&) = delete;

  void start();
  // No new alerts from now on; unresolved ones are retried until `drain`
  // passes (their last attempt then counts as timed out). Returns when every
  // publisher has stopped.
  void stop_publishing(std::chrono::milliseconds drain);
  void stop_consuming();

  // PublishResults received so far. Thread-safe.
  std::uint64_t acknowledgements() const { return acks_.load(); }
  // Waits until some PublishResult arrives after `t`; false after `limit`.
  bool wait_for_ack_after(steady::time_point t, std::chrono::milliseconds limit);
  // True when the member's consumer has received every alert in
  // `keys` ("ORIGIN/id"). Thread-safe.
  bool received_all(const std::string& member, const std::vector<std::string>& keys) const;

  // After stop_publishing() and stop_consuming():
  std::vector<alert_record> alerts() const;
  std::vector<delivery> deliveries() const;
  std::vector<required_consumer> required() const;
  const std::vector<std::string>& members() const { return codes_; }

 private:
  struct desk;
  struct reader;
  void publish_loop(desk& d);
  void consume_loop(reader& r);
  // Sleeps until `until` or until stop_ changes; false when stopping.
  bool pause_until(steady::time_point until, const std::atomic<bool>& flag);

  load_options options_;
  core::registry_data registry_;
  address_fn address_;
  std::vector<std::string> codes_;
  std::vector<std::unique_ptr<desk>> desks_;
  std::vector<std::unique_ptr<reader>> readers_;
  std::atomic<bool> stop_publishing_{false};
  std::atomic<bool> stop_consuming_{false};
  steady::time_point drain_until_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> acks_{0};
  std::mutex acks_mutex_;
  std::condition_variable ack_arrived_;
  steady::time_point last_ack_;
};

// The members an alert to `to` reaches: a group reaches its members except
// the sender; a member named explicitly is reached, even the sender. Sorted.
std::vector<std::string> expand_recipients(const core::registry_data& registry,
                                           const std::string& origin,
                                           const std::vector<std::string>& to);

}  // namespace liaison::faults
