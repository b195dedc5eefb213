#include "faults/cli_consumer.hpp"

#include "e2e/server_fixture.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <unordered_set>

namespace liaison::faults {

using namespace std::chrono_literals;

cli_consumer::cli_consumer(std::string dir, std::string member, std::string name, bool no_ack)
    : dir_(std::move(dir)), member_(std::move(member)), name_(std::move(name)), no_ack_(no_ack) {}

cli_consumer::~cli_consumer() {
  if (process_ && process_->running()) {
    resume();
    stop();
  }
}

void cli_consumer::start(const std::string& server) {
  if (process_ && process_->running()) stop();
  ++runs_;
  offsets_.push_back(0);
  std::vector<std::string> argv = {
      LIAISON_CLI_PATH, "subscribe",
      "--id",           testing::shared_pki_dir() + "/" + member_ + "/desk",
      "--server",       server,
      "--consumer",     name_};
  if (no_ack_) argv.push_back("--no-ack");
  auto base = dir_ + "/" + name_ + "-" + std::to_string(runs_);
  process_ = std::make_unique<testing::child_process>(argv, base + ".jsonl", base + ".err");
}

void cli_consumer::stop() {
  if (!process_) return;
  process_->signal(SIGCONT);
  process_->signal(SIGTERM);
  if (!process_->wait_for(10s)) {
    process_->signal(SIGKILL);
    process_->wait_for(10s);
  }
}

void cli_consumer::freeze() {
  process_->signal(SIGSTOP);
}
void cli_consumer::resume() {
  process_->signal(SIGCONT);
}
pid_t cli_consumer::pid() const {
  return process_ ? process_->pid() : -1;
}

const std::vector<delivery>& cli_consumer::deliveries() {
  for (int run = 1; run <= runs_; ++run) {
    auto& offset = offsets_[static_cast<std::size_t>(run - 1)];
    std::ifstream in(dir_ + "/" + name_ + "-" + std::to_string(run) + ".jsonl", std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string line;
    // Only complete lines: the CLI may be writing the next one.
    while (std::getline(in, line) && !in.eof()) {
      offset += line.size() + 1;
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("id")) continue;
      got_.push_back({label(), 0, j.at("seq").get<std::uint64_t>(), j.at("id").get<std::string>(),
                      j.at("origin").get<std::string>(), steady::now()});
    }
  }
  return got_;
}

bool cli_consumer::received_all(const std::vector<std::string>& keys) {
  std::unordered_set<std::string> seen;
  for (const auto& d : deliveries()) seen.insert(d.origin + "/" + d.alert_id);
  return std::all_of(keys.begin(), keys.end(), [&](const auto& k) { return seen.contains(k); });
}

std::string cli_consumer::log() const {
  std::string out;
  for (int run = 1; run <= runs_; ++run)
    out += testing::read_file(dir_ + "/" + name_ + "-" + std::to_string(run) + ".err");
  return out;
}

}  // namespace liaison::faults
