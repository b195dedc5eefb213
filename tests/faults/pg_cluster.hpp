// A private PostgreSQL 15 cluster for the fault-injection harness, driven
// through deploy/lib/postgres.sh: made in a fresh directory on a free port,
// stopped, started again and killed -9. Never the shared LIAISON_TEST_DB
// cluster, which other tests use while this one is being killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace liaison::faults {

class pg_cluster {
 public:
  // initdb in a fresh directory (under TMPDIR, or /var/tmp when the cluster's
  // OS user cannot reach TMPDIR), `extra_conf` lines appended to
  // postgresql.conf, then started on a free port from 57001 on. Command output
  // goes to `log_file`. Throws std::runtime_error.
  explicit pg_cluster(std::string log_file, std::vector<std::string> extra_conf = {});
  // Stops the cluster and removes its directory, unless LIAISON_FAULTS_KEEP is set.
  ~pg_cluster();
  pg_cluster(const pg_cluster&) = delete;
  pg_cluster& operator=(const pg_cluster&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // A libpq URI for `database` as `user` over 127.0.0.1 (trust authentication).
  std::string url(const std::string& database, const std::string& user = "postgres") const;

  // A new database owned by the role `liaison_owner`; returns its URI as the
  // runtime role `liaison` (liaisond migrates as the owner: url(name,
  // "liaison_owner")).
  std::string create_app_database(const std::string& name);
  // Runs `sql` as the superuser in `database`.
  void exec(const std::string& database, const std::string& sql);

  // Starts the cluster (crash recovery included) and returns once it accepts
  // connections. Throws when it does not within 120 s.
  void start();
  // pg_ctl stop -m fast.
  void stop_fast();

  enum class kill_scope {
    postmaster,     // SIGKILL to the postmaster alone; its children end by themselves
    every_process,  // all of them stopped, then SIGKILL to each: nothing in shared memory survives
  };
  // Kills the running cluster and returns once none of its processes is left
  // (stragglers after 20 s get SIGKILL too, and the log says so). Returns the
  // number of processes the cluster had. Throws when it is not running.
  std::size_t kill9(kill_scope scope);

  // The postmaster's pid from postmaster.pid, or -1.
  pid_t postmaster_pid() const;

 private:
  // Runs a function of deploy/lib/postgres.sh; its stdout in `out` when given.
  int script(const std::vector<std::string>& args, std::string* out = nullptr,
             std::chrono::seconds limit = std::chrono::seconds(150)) const;

  std::string log_file_;
  std::string dir_;
  int port_ = 0;
};

// The postmaster and its children (PostgreSQL's children each lead a process
// group of their own, so the postmaster's group is not the cluster).
std::vector<pid_t> cluster_processes(pid_t postmaster);

}  // namespace liaison::faults
