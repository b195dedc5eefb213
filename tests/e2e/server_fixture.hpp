// A real liaisond for end-to-end tests: a development PKI made once per test
// binary, a fresh database per server, the server started as a process with
// its own configuration file, stopped (or killed) at the end.
#pragma once

#include "e2e/process.hpp"
#include "pki/identity.hpp"

#include <map>
#include <memory>
#include <string>

namespace liaison::testing {

// The development PKI of config/members.toml, made on first use and shared
// by every server of the test binary.
const std::string& shared_pki_dir();
pki::identity identity(const std::string& folder);  // e.g. "AT/desk", "partner-HU", "auditor"

class liaisond_process {
 public:
  // `overrides` maps "section.key" to a TOML value, e.g.
  // {"native.max_frame_bytes", "4096"}, applied to the generated liaison.toml.
  liaisond_process(const std::string& db_url, std::map<std::string, std::string> overrides = {});
  ~liaisond_process();  // SIGTERM, then SIGKILL if it does not stop in time

  const std::string& native_address() const { return native_; }
  const std::string& https_address() const { return https_; }
  std::string log() const;  // stderr so far
  pid_t pid() const { return process_->pid(); }
  void kill9();
  // Sends `signo` (e.g. SIGHUP to reload the configuration).
  void signal(int signo) { process_->signal(signo); }
  // Starts it again with the same configuration (after kill9 or stop).
  void restart();
  // SIGTERM and wait; returns the exit code.
  int stop();

 private:
  void start();
  temp_dir dir_;
  std::string config_file_;
  std::string native_;
  std::string https_;
  std::unique_ptr<child_process> process_;
  int starts_ = 0;
};

}  // namespace liaison::testing
