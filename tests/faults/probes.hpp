// Probes of a running liaisond during a fault: a Ping on a connection opened
// before the fault (is an io_context thread blocked?) and GET /readyz on the
// HTTPS listener (does it report the database outage?), sampled on a thread
// of their own.
#pragma once

#include "faults/history.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace liaison::faults {

struct ping_sample {
  steady::time_point sent;
  std::optional<std::chrono::microseconds> rtt;  // nullopt: no Pong within the timeout
};

struct ready_sample {
  steady::time_point at;
  int status = 0;  // HTTP status, 0 when there was no answer
};

class prober {
 public:
  using address_fn = std::function<std::string()>;
  using https_fn = std::function<std::optional<std::string>()>;

  // Pings every `interval` as `principal_folder` (e.g. "auditor"), and asks
  // /readyz when `https` names an address.
  prober(address_fn native, https_fn https, std::string principal_folder,
         std::chrono::milliseconds interval);
  ~prober();
  // Connects (throws client::client_error when it cannot), then samples on a
  // thread until stop().
  void start();
  void stop();
  std::vector<ping_sample> pings() const;
  std::vector<ready_sample> readiness() const;

 private:
  void run();
  address_fn native_;
  https_fn https_;
  std::string folder_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<ping_sample> pings_;
  std::vector<ready_sample> ready_;
  struct connection;
  std::unique_ptr<connection> conn_;
  std::thread thread_;
};

// GET `path` over HTTPS without a client certificate, verifying the server
// against `ca_file`; the status code, or 0 when there is no answer within
// `timeout`.
int https_get_status(const std::string& address, const std::string& ca_file,
                     const std::string& path, std::chrono::milliseconds timeout);

}  // namespace liaison::faults
