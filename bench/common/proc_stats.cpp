#include "common/proc_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace liaison::bench {
namespace {

struct stat_fields {
  pid_t ppid = 0;
  double cpu_seconds = 0;
  double reaped_children_cpu_seconds = 0;  // cutime + cstime
};

// /proc/PID/stat: "pid (comm) state ppid ... utime stime ..."; comm may hold
// spaces and parentheses, so parsing starts after the last ')'.
std::optional<stat_fields> read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string field; rest >> field;) f.push_back(field);
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16,
  // cstime 17.
  if (f.size() < 15) return std::nullopt;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  stat_fields out;
  out.ppid = static_cast<pid_t>(std::stol(f[1]));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.reaped_children_cpu_seconds = (std::stod(f[13]) + std::stod(f[14])) / ticks;
  return out;
}

std::uint64_t status_kb(const std::string& status, const std::string& key) {
  auto at = status.find("\n" + key + ":");
  if (at == std::string::npos) return 0;
  return std::stoull(status.substr(at + key.size() + 2));
}

}  // namespace

std::optional<proc_sample> sample_process(pid_t pid) {
  auto stat = read_stat(pid);
  if (!stat) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string status =
      "\n" + std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  proc_sample s;
  s.cpu_seconds = stat->cpu_seconds;
  s.rss_kb = status_kb(status, "VmRSS");
  s.peak_rss_kb = status_kb(status, "VmHWM");
  return s;
}

double tree_cpu_seconds(pid_t root) {
  std::map<pid_t, stat_fields> all;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      try {
        if (auto s = read_stat(static_cast<pid_t>(pid))) all[static_cast<pid_t>(pid)] = *s;
      } catch (...) {
        // The process ended while being read.
      }
    }
    closedir(d);
  }
  double total = 0;
  for (const auto& [pid, s] : all) {
    for (pid_t p = pid; p > 1;) {
      if (p == root) {
        total += s.cpu_seconds;
        // A backend that ended took its CPU time along; the root's
        // reaped-children time keeps it, so the total never goes down.
        if (pid == root) total += s.reaped_children_cpu_seconds;
        break;
      }
      auto it = all.find(p);
      if (it == all.end()) break;
      p = it->second.ppid;
    }
  }
  return total;
}

}  // namespace liaison::bench
