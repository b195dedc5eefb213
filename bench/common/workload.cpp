#include "common/workload.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <stdexcept>

namespace liaison::bench {

void add_workload_options(CLI::App& app, workload_options& o) {
  app.add_option("--publishers", o.publishers,
                 "publisher connections, one per member (default 27)");
  app.add_option("--body", o.body_bytes, "alert body bytes (default 1024)");
  app.add_option("--mix", o.mix, "recipients: single, a group name, or e.g. single:90,WB6:8,ALL:2");
  app.add_option("--mode", o.mode, "closed (window per publisher) or open (fixed rate)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, loop_mode>{
          {"closed", loop_mode::closed}, {"open", loop_mode::open}}));
  app.add_option("--window", o.window,
                 "closed loop: outstanding publishes per publisher (default 32)");
  app.add_option("--rate", o.rate, "open loop: alerts/s over all publishers (default 1000)");
  app.add_option("--warmup", o.warmup_s, "seconds before the measured window (default 2)");
  app.add_option("--duration", o.duration_s, "seconds of the measured window (default 20)");
  app.add_option("--count", o.count, "alerts per publisher instead of a duration (smoke runs)");
  app.add_option("--drain-timeout", o.drain_timeout_s,
                 "seconds to wait for acks and deliveries at the end");
  app.add_option("--json", o.json_file, "also write the result as JSON to this file");
  app.add_option("--label", o.label, "name of this run in the report");
  app.add_option("--server-pid", o.server_pid, "pid of the broker whose CPU and memory to report");
  app.add_option("--pg-pid", o.pg_pid, "pid of PostgreSQL's postmaster (CPU of all its processes)");
  app.add_option("--members", o.members_file, "members.toml (members and groups)");
}

membership load_membership(const std::string& members_file) {
  toml::table t;
  try {
    t = toml::parse_file(members_file);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(members_file + ": " + std::string(e.description()));
  }
  membership m;
  if (auto* members = t["members"].as_array())
    for (auto& node : *members)
      if (auto code = (*node.as_table())["code"].value<std::string>()) m.members.push_back(*code);
  if (auto* groups = t["groups"].as_table())
    for (auto& [name, list] : *groups) {
      auto& out = m.groups[std::string(name.str())];
      if (auto* a = list.as_array())
        for (auto& code : *a)
          if (auto s = code.value<std::string>()) out.push_back(*s);
    }
  if (m.members.size() < 2) throw std::runtime_error(members_file + ": fewer than two members");
  return m;
}

recipient_mix::recipient_mix(const std::string& spec, const membership& m) : m_(m) {
  std::size_t at = 0;
  while (at <= spec.size()) {
    auto comma = spec.find(',', at);
    auto part = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (part.empty()) continue;
    unsigned weight = 1;
    if (auto colon = part.find(':'); colon != std::string::npos) {
      weight = static_cast<unsigned>(std::stoul(part.substr(colon + 1)));
      part = part.substr(0, colon);
    }
    if (part != "single" && !m.groups.contains(part))
      throw std::invalid_argument("--mix: '" + part +
                                  "' is neither 'single' nor a group of members.toml");
    if (weight == 0) continue;
    entries_.push_back({part == "single" ? "" : part, weight});
    total_ += weight;
  }
  if (entries_.empty()) throw std::invalid_argument("--mix: empty");
}

recipient_mix::choice recipient_mix::pick(const std::string& sender, std::size_t publisher,
                                          std::uint64_t k) const {
  // A fixed pseudo-random slot per (publisher, k) picks the entry.
  std::uint64_t h = (k + 1) * 0x9e3779b97f4a7c15ull ^ (publisher + 1) * 0xc2b2ae3d27d4eb4full;
  h ^= h >> 31;
  unsigned slot = static_cast<unsigned>(h % total_);
  const entry* e = &entries_.front();
  for (const auto& candidate : entries_) {
    if (slot < candidate.weight) {
      e = &candidate;
      break;
    }
    slot -= candidate.weight;
  }
  choice c;
  if (e->group.empty()) {
    // Round robin over the other members, starting after the sender.
    const std::size_t n = m_.members.size();
    const std::size_t self = static_cast<std::size_t>(
        std::find(m_.members.begin(), m_.members.end(), sender) - m_.members.begin());
    const std::size_t target = (self + 1 + k % (n - 1)) % n;
    c.to = {m_.members[target]};
    c.members = c.to;
    return c;
  }
  c.to = {e->group};
  for (const auto& code : m_.groups.at(e->group))
    if (code != sender) c.members.push_back(code);
  return c;
}

run_clock run_clock::plan(const workload_options& o, steady::time_point start) {
  run_clock c;
  c.start = start;
  c.count_mode = o.count > 0;
  auto secs = [](double s) {
    return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
  };
  c.measure_from = start + secs(c.count_mode ? 0 : o.warmup_s);
  c.measure_to = c.measure_from + secs(c.count_mode ? 0 : o.duration_s);
  return c;
}

}  // namespace liaison::bench
