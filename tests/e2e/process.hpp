// Child processes for end-to-end tests: spawn with arguments, output to a
// file, wait with a deadline, signal, kill. No shell involved.
#pragma once

#include "support/temp_dir.hpp"

#include <sys/types.h>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace liaison::testing {

class child_process {
 public:
  // Starts `argv[0]` with `argv`; stdout goes to `stdout_file`, stderr to
  // `stderr_file` (both truncated). Throws std::runtime_error on failure.
  child_process(std::vector<std::string> argv, std::string stdout_file, std::string stderr_file);
  ~child_process();  // kills (SIGKILL) and reaps if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // The exit status (as from waitpid) once the process has ended, waiting up
  // to `limit`; nullopt if it is still running then.
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  bool running();
  // Exit code for a normal exit, 128+signal for a signal.
  static int exit_code(int status);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A program run to its end: exit code (-1 when it did not finish within the
// limit, then killed), stdout and stderr.
struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs `argv` with its output in numbered files under `dir`; a test failure
// is recorded when it does not finish within `limit`.
run_result run_to_end(std::vector<std::string> argv, const std::string& dir,
                      std::chrono::milliseconds limit = std::chrono::seconds(60));

// Polls `condition` until it holds or `limit` passes; returns its last value.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    struct timespec ts {
      0, 20'000'000
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace liaison::testing
