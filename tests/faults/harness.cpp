#include "faults/harness.hpp"

#include "config/server_config.hpp"
#include "e2e/process.hpp"
#include "e2e/server_fixture.hpp"
#include "faults/db_view.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace liaison::faults {

using namespace std::chrono_literals;

double ms_between(steady::time_point from, steady::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

profile profile::from_environment() {
  profile p;
  const char* name = std::getenv("LIAISON_FAULTS_PROFILE");
  if (name && std::string(name) == "long") {
    p.name = "long";
    p.rate = 150;
    p.server_kills = 12;
    p.pg_kills = 6;
    p.pg_stops = 3;
    p.negative_kills = 20;
    p.gap_min = 3s;
    p.gap_max = 8s;
    p.outage = 10s;
    p.freeze = 30s;
    p.drain = 60s;
  } else if (name && *name && std::string(name) != "short") {
    throw std::invalid_argument("LIAISON_FAULTS_PROFILE must be short or long, not " +
                                std::string(name));
  }
  const char* seed = std::getenv("LIAISON_FAULTS_SEED");
  p.seed = (seed && *seed) ? std::stoull(seed) : std::random_device{}();
  return p;
}

harness::harness(std::string scenario, const profile& p, harness_options options)
    : scenario_(std::move(scenario)), profile_(p) {
  // One stream per scenario, derived from the run's seed.
  rng_.seed(profile_.seed ^ std::hash<std::string>{}(scenario_));
  dir_ = testing::make_kept_dir("liaison-faults-" + scenario_);
  log_.open(dir_ + "/harness.log");
  log("profile " + profile_.name + ", seed " + std::to_string(profile_.seed) +
      " (replay with LIAISON_FAULTS_SEED=" + std::to_string(profile_.seed) + "), files in " + dir_);

  pg_ = std::make_unique<pg_cluster>(dir_ + "/postgres-commands.log", options.pg_conf);
  db_name_ = "faults";
  db_url_ = pg_->create_app_database(db_name_);
  log("PostgreSQL in " + pg_->dir() + " on port " + std::to_string(pg_->port()));

  auto overrides = options.server_config;
  overrides.emplace("database.url", "\"" + db_url_ + "\"");
  overrides.emplace("database.owner_url", "\"" + pg_->url(db_name_, "liaison_owner") + "\"");
  overrides.emplace("database.reconnect_min", "\"50ms\"");
  overrides.emplace("database.reconnect_max", "\"1s\"");
  server_ = std::make_unique<server_process>(dir_, overrides);

  auto load_options = options.load;
  load_options.seed = rng_();
  load_options.rate = profile_.rate;
  auto registry = config::load_registry({std::string(LIAISON_SOURCE_DIR) + "/config/members.toml",
                                         testing::shared_pki_dir() + "/keys"});
  load_ = std::make_unique<load>(load_options, std::move(registry),
                                 [s = server_.get()] { return s->native_address(); });
}

harness::~harness() {
  load_.reset();
  server_.reset();
  pg_.reset();
  const bool keep = std::getenv("LIAISON_FAULTS_KEEP") || ::testing::Test::HasFailure() ||
                    std::uncaught_exceptions() > 0;
  if (keep) {
    std::cout << "faults[" << scenario_ << "] kept " << dir_ << "\n";
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void harness::log(const std::string& text) {
  std::cout << "faults[" << scenario_ << "] " << text << std::endl;
  log_ << text << std::endl;
}

void harness::start(std::uint64_t acks) {
  server_->start();
  log("liaisond (pid " + std::to_string(server_->pid()) + ") on " + server_->native_address());
  load_->start();
  if (!testing::eventually([&] { return load_->acknowledgements() >= acks; }, 60s))
    throw std::runtime_error("the load got no acknowledgements within 60 s; liaisond's log:\n" +
                             server_->log());
}

void harness::run_for(milliseconds d) {
  std::this_thread::sleep_for(d);
}

milliseconds harness::random_between(milliseconds lo, milliseconds hi) {
  std::uniform_int_distribution<long> pick(lo.count(), hi.count());
  return milliseconds(pick(rng_));
}

milliseconds harness::random_gap() {
  return random_between(profile_.gap_min, profile_.gap_max);
}

bool harness::healed(const std::string& kind, steady::time_point injected,
                     steady::time_point healed_at, milliseconds limit) {
  faults_.push_back({kind, injected, healed_at});
  bool ok = load_->wait_for_ack_after(healed_at, limit);
  log(kind + " #" + std::to_string(faults_.size()) + ": healed after " +
      std::to_string(static_cast<long>(ms_between(injected, healed_at))) + " ms" +
      (ok ? "" : "; NO acknowledgement within " + std::to_string(limit.count()) + " ms"));
  return ok;
}

std::optional<steady::time_point> harness::first_ack_after(steady::time_point t) const {
  std::optional<steady::time_point> best;
  for (const auto& a : alerts_)
    for (const auto& at : a.attempts)
      if (at.result == answer::acknowledged && at.answered >= t && (!best || at.answered < *best))
        best = at.answered;
  return best;
}

std::vector<double> harness::recovery_ms() const {
  std::vector<double> out;
  for (const auto& f : faults_) {
    auto first = first_ack_after(f.healed);
    out.push_back(first ? ms_between(f.healed, *first) : -1);
  }
  return out;
}

report harness::finish(const std::vector<cli_consumer*>& extra, milliseconds catch_up) {
  if (catch_up.count() == 0) catch_up = profile_.drain;
  load_->stop_publishing(profile_.drain);
  auto db = read_database(db_url_);
  // Keys of the stored alerts, by recipient member.
  std::map<std::string, std::vector<std::string>> want;
  for (const auto& row : db.alerts)
    for (const auto& m : row.recipients) want[m].push_back(row.origin + "/" + row.alert_id);
  auto caught_up = [&] {
    for (const auto& m : load_->members())
      if (!load_->received_all(m, want[m])) return false;
    for (auto* c : extra)
      if (!c->received_all(want[c->member()])) return false;
    return true;
  };
  auto started = steady::now();
  bool all = testing::eventually(caught_up, catch_up);
  log(std::string("consumers ") + (all ? "caught up" : "did NOT catch up") + " in " +
      std::to_string(static_cast<long>(ms_between(started, steady::now()))) + " ms");
  load_->stop_consuming();

  alerts_ = load_->alerts();
  deliveries_ = load_->deliveries();
  auto required = load_->required();
  for (auto* c : extra) {
    const auto& got = c->deliveries();
    deliveries_.insert(deliveries_.end(), got.begin(), got.end());
    required.push_back({c->label(), c->member()});
  }
  auto r = check(alerts_, deliveries_, required, db);
  for (const auto& e : r.examples) log("  problem: " + e);
  std::string recoveries;
  for (double ms : recovery_ms())
    recoveries += (recoveries.empty() ? "" : ", ") + std::to_string(static_cast<long>(ms));
  if (!recoveries.empty())
    log("recovery after each fault (ms from healed to the first acknowledgement): " + recoveries);
  return r;
}

}  // namespace liaison::faults
