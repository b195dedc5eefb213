#include "faults/pg_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace liaison::faults {
namespace {

using namespace std::chrono_literals;

const std::string postgres_sh = std::string(LIAISON_SOURCE_DIR) + "/deploy/lib/postgres.sh";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `argv` with stdout to `out_file` (truncated) and stderr appended to
// `log_file`; returns its exit code, or -1 when it outlives `limit` (then it
// is killed).
int run(const std::vector<std::string>& argv, const std::string& out_file,
        const std::string& log_file, std::chrono::seconds limit) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(10ms);
  }
}

// Collects the exit status of `pid` if it is an ended child of this process.
void reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, WNOHANG);
}

bool alive(pid_t pid) {
  auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

}  // namespace

std::vector<pid_t> cluster_processes(pid_t postmaster) {
  std::vector<pid_t> out;
  if (!alive(postmaster)) return out;
  out.push_back(postmaster);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = slurp("/proc/" + name + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == postmaster && state != 'Z') out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

pg_cluster::pg_cluster(std::string log_file, std::vector<std::string> extra_conf)
    : log_file_(std::move(log_file)) {
  // pg_ctl leaves the postmaster an orphan. As a subreaper this process
  // adopts it (and, after a kill -9, its children) and reaps them at once, as
  // systemd would; otherwise a killed postmaster can stay a zombie for a while
  // (PID 1 of a container may reap late), and pg_ctl takes it for running.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp && *tmp) ? tmp : "/tmp";
  for (const auto& parent : {base, std::string("/var/tmp")}) {
    std::string pattern = parent + "/liaison-faults-pg.XXXXXX";
    if (!mkdtemp(pattern.data())) continue;
    if (script({"liaison_pg_check_dir", pattern}) == 0) {
      dir_ = pattern;
      break;
    }
    std::filesystem::remove(pattern);
  }
  if (dir_.empty())
    throw std::runtime_error("no directory for a PostgreSQL cluster; see " + log_file_);
  std::string out;
  if (script({"liaison_pg_free_port", "57001"}, &out) != 0)
    throw std::runtime_error("no free port; see " + log_file_);
  port_ = std::stoi(out);
  if (script({"liaison_pg_create", dir_, std::to_string(port_)}) != 0)
    throw std::runtime_error("initdb failed in " + dir_ + "; see " + log_file_);
  if (!extra_conf.empty()) {
    // As root the file belongs to `postgres`; appending keeps its owner.
    std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
    conf << "\n# --- fault-injection harness ---\n";
    for (const auto& line : extra_conf) conf << line << "\n";
    if (!conf) throw std::runtime_error("cannot extend " + dir_ + "/data/postgresql.conf");
  }
  // Another run may take the port between the check and the start.
  for (int attempt = 0;; ++attempt) {
    if (script({"liaison_pg_start", dir_, std::to_string(port_)}) == 0) break;
    if (attempt == 4)
      throw std::runtime_error("PostgreSQL did not start in " + dir_ + "; see " + log_file_);
    if (script({"liaison_pg_free_port", std::to_string(port_ + 1)}, &out) == 0)
      port_ = std::stoi(out);
  }
  // The two roles of a deployment: the owner (migrations) and the runtime
  // role liaisond serves with.
  for (const char* role : {"liaison", "liaison_owner"})
    exec("postgres",
         std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") + role +
             "') THEN CREATE ROLE " + role + " LOGIN NOSUPERUSER; END IF; END $$");
}

pg_cluster::~pg_cluster() {
  if (dir_.empty()) return;
  pid_t postmaster = postmaster_pid();
  try {
    if (std::getenv("LIAISON_FAULTS_KEEP")) {
      script({"liaison_pg_stop", dir_});
      std::cerr << "faults: kept the PostgreSQL cluster in " << dir_ << "\n";
    } else {
      script({"liaison_pg_destroy", dir_});
    }
  } catch (const std::exception& e) {
    std::cerr << "faults: cannot remove the cluster in " << dir_ << ": " << e.what() << "\n";
  }
  if (postmaster > 0) reap(postmaster);
}

int pg_cluster::script(const std::vector<std::string>& args, std::string* out,
                       std::chrono::seconds limit) const {
  std::vector<std::string> argv = {"/bin/bash", "-c", "source \"$0\" && \"$@\"", postgres_sh};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out_file = log_file_ + ".out";
  int code = run(argv, out_file, log_file_, limit);
  if (out) {
    *out = slurp(out_file);
    while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  }
  return code;
}

std::string pg_cluster::url(const std::string& database, const std::string& user) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void pg_cluster::exec(const std::string& database, const std::string& sql) {
  pqxx::connection c(url(database));
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string pg_cluster::create_app_database(const std::string& name) {
  exec("postgres", "CREATE DATABASE " + name + " OWNER liaison_owner");
  return url(name, "liaison");
}

void pg_cluster::start() {
  if (script({"liaison_pg_start", dir_, std::to_string(port_)}) != 0)
    throw std::runtime_error("PostgreSQL did not start again in " + dir_ + "; see " + log_file_);
}

void pg_cluster::stop_fast() {
  pid_t postmaster = postmaster_pid();
  if (script({"liaison_pg_stop", dir_}) != 0)
    throw std::runtime_error("pg_ctl stop failed; see " + log_file_);
  if (postmaster > 0) reap(postmaster);
}

pid_t pg_cluster::postmaster_pid() const {
  std::istringstream in(slurp(dir_ + "/data/postmaster.pid"));
  long pid = -1;
  in >> pid;
  return pid > 0 && alive(static_cast<pid_t>(pid)) ? static_cast<pid_t>(pid) : -1;
}

std::size_t pg_cluster::kill9(kill_scope scope) {
  pid_t postmaster = postmaster_pid();
  if (postmaster <= 0)
    throw std::runtime_error("kill -9: the cluster in " + dir_ + " is not running");
  auto members = cluster_processes(postmaster);
  if (scope == kill_scope::every_process) {
    // Stopped first, so that none of them reacts to another's death (the
    // postmaster would otherwise start its crash handling): the state of the
    // moment, shared memory included, is what dies.
    for (pid_t p : members) ::kill(p, SIGSTOP);
    for (pid_t p : members) ::kill(p, SIGKILL);
  } else {
    ::kill(postmaster, SIGKILL);
  }
  auto until = std::chrono::steady_clock::now() + 20s;
  auto left = [&] {
    std::vector<pid_t> out;
    for (pid_t p : members) {
      reap(p);
      if (alive(p)) out.push_back(p);
    }
    return out;
  };
  while (!left().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  auto stragglers = left();
  if (!stragglers.empty()) {
    std::ofstream(log_file_, std::ios::app)
        << "faults: " << stragglers.size()
        << " PostgreSQL processes outlived their postmaster by 20 s; killed\n";
    for (pid_t p : stragglers) ::kill(p, SIGKILL);
    until = std::chrono::steady_clock::now() + 10s;
    while (!left().empty() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(20ms);
  }
  return members.size();
}

}  // namespace liaison::faults
