// liaisond as a process for the fault-injection harness: its configuration
// (the development PKI's liaison.toml with overrides), the addresses from its
// port file, kill -9 and restart, and its resident memory. The addresses may
// change at each start; clients read them through native_address().
#pragma once

#include "e2e/process.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace liaison::faults {

class server_process {
 public:
  // Writes DIR/liaison.toml: the shared PKI's configuration with `overrides`
  // ("section.key" -> TOML value) and both listeners on 127.0.0.1:0. Does not
  // start the server.
  server_process(std::string dir, std::map<std::string, std::string> overrides);
  ~server_process();  // SIGKILL if still running
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // Starts liaisond and returns once its port file appeared (it listens).
  // Throws std::runtime_error, with the end of its log, when it exits or takes
  // longer than 90 s (it waits up to 60 s for the database at start-up).
  void start();
  void kill9();
  // SIGTERM, then SIGKILL after 20 s; returns the exit code.
  int stop();
  bool running();

  pid_t pid() const;
  // HOST:PORT of the native listener of the current run. Thread-safe.
  std::string native_address() const;
  // HOST:PORT of the HTTPS listener when the port file names one. Thread-safe.
  std::optional<std::string> https_address() const;
  // VmRSS of the running server in KiB (0 when it cannot be read).
  long rss_kib() const;
  // stdout (spdlog) and stderr of every run so far.
  std::string log() const;
  const std::string& config_file() const { return config_file_; }

 private:
  std::string dir_;
  std::string config_file_;
  std::unique_ptr<testing::child_process> process_;
  int starts_ = 0;
  mutable std::mutex mutex_;
  std::string native_;
  std::optional<std::string> https_;
};

}  // namespace liaison::faults
