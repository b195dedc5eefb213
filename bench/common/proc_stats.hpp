// What /proc says about a process (Linux): CPU time and resident memory of
// the server under test, and the CPU time of a process tree (PostgreSQL's
// postmaster and its backends).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <optional>

namespace liaison::bench {

struct proc_sample {
  double cpu_seconds = 0;         // utime + stime
  std::uint64_t rss_kb = 0;       // VmRSS
  std::uint64_t peak_rss_kb = 0;  // VmHWM: the peak since the process started
};

// nullopt when the process does not exist (or /proc is unreadable).
std::optional<proc_sample> sample_process(pid_t pid);

// utime + stime of `root` and of every live process below it, plus the
// time of the children `root` has reaped (cutime + cstime): it only grows.
double tree_cpu_seconds(pid_t root);

}  // namespace liaison::bench
