// A durable consumer in a process of its own: `liaison subscribe`, which
// prints one JSON line per delivery and acknowledges it (or not, with
// --no-ack), and reconnects by itself. Being a process, it can be frozen
// with SIGSTOP while the server keeps sending to it.
#pragma once

#include "e2e/process.hpp"
#include "faults/history.hpp"

#include <memory>
#include <string>
#include <vector>

namespace liaison::faults {

class cli_consumer {
 public:
  // `member`'s desk identity, consumer `name`; output files under `dir`.
  cli_consumer(std::string dir, std::string member, std::string name, bool no_ack);
  ~cli_consumer();  // SIGCONT, then stops it

  // Starts a new run of the CLI against `server` (HOST:PORT).
  void start(const std::string& server);
  // SIGTERM to the current run, and waits for it.
  void stop();
  void freeze();  // SIGSTOP
  void resume();  // SIGCONT
  pid_t pid() const;

  // Label in deliveries: "MEMBER/name".
  std::string label() const { return member_ + "/" + name_; }
  const std::string& member() const { return member_; }
  // Every delivery the runs have printed so far, in order (connection 0:
  // the CLI reconnects by itself, unseen). Reads new output since the last call.
  const std::vector<delivery>& deliveries();
  // True when every key ("ORIGIN/id") has been printed.
  bool received_all(const std::vector<std::string>& keys);
  // stderr of every run.
  std::string log() const;

 private:
  std::string dir_, member_, name_;
  bool no_ack_;
  int runs_ = 0;
  std::unique_ptr<testing::child_process> process_;
  std::vector<delivery> got_;
  std::vector<std::size_t> offsets_;  // bytes parsed per run
};

}  // namespace liaison::faults
