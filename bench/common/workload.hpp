// The workload every driver runs (Liaison and the peers alike): how many
// publishers and consumers, the body size, the recipient mix, closed or open
// loop, and the phases of a run (warm-up, measured window, drain). Also the
// members and groups of members.toml, which decide who publishes and who
// receives.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace liaison::bench {

using steady = std::chrono::steady_clock;

enum class loop_mode { closed, open };

struct workload_options {
  std::size_t publishers = 27;    // one connection per member, in members.toml order
  std::size_t body_bytes = 1024;  // Alert.body (the peers: the message payload)
  std::string mix = "single";     // see recipient_mix
  loop_mode mode = loop_mode::closed;
  std::size_t window = 32;  // closed loop: outstanding publishes per publisher
  double rate = 1000;       // open loop: alerts/s over all publishers
  double warmup_s = 2;
  double duration_s = 20;
  std::uint64_t count = 0;      // > 0: this many alerts per publisher, no time limit (smoke)
  double drain_timeout_s = 60;  // after sending stops, wait this long for acks and deliveries
  std::string json_file;        // write the result here too
  std::string label;            // names the run in reports
  int server_pid = 0;           // the broker process whose CPU and memory are reported
  int pg_pid = 0;               // PostgreSQL's postmaster (Liaison only)
  std::string members_file = "config/members.toml";
};

// Adds the common options to a CLI11 app.
void add_workload_options(CLI::App& app, workload_options& o);

struct membership {
  std::vector<std::string> members;                        // codes, in file order
  std::map<std::string, std::vector<std::string>> groups;  // name -> codes
};
// Reads [[members]] and [groups] of members.toml. Throws std::runtime_error.
membership load_membership(const std::string& members_file);

// The recipients of each alert, from a spec such as "single" (one other
// member, round robin), "ALL", "WB6" (a group name), or a weighted mix
// "single:90,WB6:8,ALL:2". Deterministic: the k-th alert of publisher p
// always gets the same recipients.
class recipient_mix {
 public:
  struct choice {
    std::vector<std::string> to;       // as written in the alert: a member code or a group name
    std::vector<std::string> members;  // expanded, without the sender
  };
  // Throws std::invalid_argument for an unknown group or a malformed spec.
  recipient_mix(const std::string& spec, const membership& m);
  choice pick(const std::string& sender, std::size_t publisher, std::uint64_t k) const;
  bool single_only() const { return entries_.size() == 1 && entries_[0].group.empty(); }

 private:
  struct entry {
    std::string group;  // empty: a single member
    unsigned weight;
  };
  const membership& m_;
  std::vector<entry> entries_;
  unsigned total_ = 0;
};

// The phases of a run, fixed before it starts. In count mode the window has
// no end: everything counts.
struct run_clock {
  steady::time_point start;
  steady::time_point measure_from;
  steady::time_point measure_to;
  bool count_mode = false;

  static run_clock plan(const workload_options& o, steady::time_point start);
  bool in_window(steady::time_point t) const {
    return count_mode || (t >= measure_from && t < measure_to);
  }
  bool sending(steady::time_point t) const { return count_mode || t < measure_to; }
};

inline std::uint64_t ns_since_epoch(steady::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

inline std::uint64_t elapsed_ns(steady::time_point from, steady::time_point to) {
  return to <= from ? 0
                    : static_cast<std::uint64_t>(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

}  // namespace liaison::bench
