// One scenario of the fault-injection harness: a private PostgreSQL cluster,
// a fresh database, liaisond as a process, the load of every desk and
// member, a log of the faults injected, and at the end the checker's report.
// Randomness comes from one seed, logged, so that a run can be replayed.
#pragma once

#include "faults/checker.hpp"
#include "faults/cli_consumer.hpp"
#include "faults/load.hpp"
#include "faults/pg_cluster.hpp"
#include "faults/server_process.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace liaison::faults {

using std::chrono::milliseconds;

// How much of everything: LIAISON_FAULTS_PROFILE=short (the default, for
// deploy/test.sh) or long (deploy/faults.sh --long); LIAISON_FAULTS_SEED
// replays a run.
struct profile {
  std::string name = "short";
  std::uint64_t seed = 0;
  double rate = 80;      // alerts per second, all desks together
  int server_kills = 3;  // kill -9 of liaisond
  int pg_kills = 2;      // kill -9 of PostgreSQL
  int pg_stops = 1;      // PostgreSQL stopped while liaisond runs
  // kill -9 of PostgreSQL in the negative control: each loses about one
  // acknowledged alert, and none about a third of the time (docs/RELIABILITY.md)
  int negative_kills = 10;
  milliseconds gap_min{1500};  // load between two faults: uniform in [gap_min, gap_max]
  milliseconds gap_max{3000};
  milliseconds outage{4000};  // PostgreSQL stopped this long
  milliseconds freeze{6000};  // a consumer frozen this long
  milliseconds drain{30000};  // to finish retries, and again for consumers to catch up

  static profile from_environment();
};

// A fault injected, and when the system was whole again.
struct fault_event {
  std::string kind;
  steady::time_point injected;
  steady::time_point healed;  // the process (liaisond or PostgreSQL) runs again
};

struct harness_options {
  std::vector<std::string> pg_conf;                  // extra postgresql.conf lines
  std::map<std::string, std::string> server_config;  // liaison.toml overrides
  load_options load;                                 // seed and rate are the profile's
};

class harness {
 public:
  harness(std::string scenario, const profile& p, harness_options options = {});
  ~harness();  // keeps the scenario's directory when the test failed or LIAISON_FAULTS_KEEP is set

  pg_cluster& pg() { return *pg_; }
  server_process& server() { return *server_; }
  load& traffic() { return *load_; }
  const std::string& dir() const { return dir_; }
  const std::string& db_url() const { return db_url_; }
  const std::string& db_name() const { return db_name_; }
  std::mt19937_64& rng() { return rng_; }
  const profile& prof() const { return profile_; }

  // Starts liaisond and the load, and returns once `acks` publishes were
  // acknowledged (throws after 60 s).
  void start(std::uint64_t acks = 20);
  // Lets the load run for `d`: the schedule of the faults, not a wait for a
  // condition.
  void run_for(milliseconds d);
  milliseconds random_gap();
  milliseconds random_between(milliseconds lo, milliseconds hi);
  // Records a fault; returns once some publish was acknowledged after
  // `healed` (false after `limit`).
  bool healed(const std::string& kind, steady::time_point injected, steady::time_point healed,
              milliseconds limit = milliseconds(60000));

  // Stops publishing (unresolved alerts are retried for profile.drain), waits
  // until every consumer (the load's and `extra`) has received every stored
  // alert of its member (up to profile.drain), stops the consumers, reads the
  // database and checks. Logs the report.
  report finish(const std::vector<cli_consumer*>& extra = {},
                milliseconds catch_up = milliseconds(0));
  const std::vector<alert_record>& alerts() const { return alerts_; }
  const std::vector<delivery>& deliveries() const { return deliveries_; }
  const std::vector<fault_event>& faults() const { return faults_; }

  // Time from `healed` to the first acknowledgement after it, per fault (ms).
  std::vector<double> recovery_ms() const;
  // The first PublishResult received after `t`.
  std::optional<steady::time_point> first_ack_after(steady::time_point t) const;

  // One line on stdout (and in DIR/harness.log): "faults[SCENARIO] TEXT".
  void log(const std::string& text);

 private:
  std::string scenario_;
  profile profile_;
  std::string dir_;
  std::ofstream log_;
  std::mt19937_64 rng_;
  std::unique_ptr<pg_cluster> pg_;
  std::string db_name_;
  std::string db_url_;
  std::unique_ptr<server_process> server_;
  std::unique_ptr<load> load_;
  std::vector<fault_event> faults_;
  std::vector<alert_record> alerts_;
  std::vector<delivery> deliveries_;
};

// Milliseconds between two steady time points.
double ms_between(steady::time_point from, steady::time_point to);

}  // namespace liaison::faults
