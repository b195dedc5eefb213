#include "faults/server_process.hpp"

#include "e2e/server_fixture.hpp"
#include "support/toml_edit.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace liaison::faults {

using namespace std::chrono_literals;

server_process::server_process(std::string dir, std::map<std::string, std::string> overrides)
    : dir_(std::move(dir)) {
  auto text = testing::read_file(testing::shared_pki_dir() + "/liaison.toml");
  overrides.emplace("native.listen", "\"127.0.0.1:0\"");
  overrides.emplace("https.listen", "\"127.0.0.1:0\"");
  for (const auto& [k, v] : overrides) text = testing::set_toml(text, k, v);
  config_file_ = dir_ + "/liaison.toml";
  std::ofstream(config_file_) << text;
}

server_process::~server_process() {
  if (process_ && process_->running()) kill9();
}

void server_process::start() {
  ++starts_;
  auto port_file = dir_ + "/ports.json";
  std::filesystem::remove(port_file);
  process_ = std::make_unique<testing::child_process>(
      std::vector<std::string>{LIAISOND_PATH, "--config", config_file_, "--port-file", port_file},
      dir_ + "/liaisond-" + std::to_string(starts_) + ".log",
      dir_ + "/liaisond-" + std::to_string(starts_) + ".err");
  bool up = testing::eventually(
      [&] { return std::filesystem::exists(port_file) || !process_->running(); }, 90s);
  if (!up || !std::filesystem::exists(port_file)) {
    auto text = log();
    throw std::runtime_error("liaisond did not start; the end of its log:\n" +
                             text.substr(text.size() > 4000 ? text.size() - 4000 : 0));
  }
  auto ports = nlohmann::json::parse(testing::read_file(port_file));
  std::lock_guard lock(mutex_);
  native_ = ports.at("native").get<std::string>();
  https_.reset();
  if (ports.contains("https")) https_ = ports.at("https").get<std::string>();
}

void server_process::kill9() {
  process_->signal(SIGKILL);
  process_->wait_for(10s);
}

int server_process::stop() {
  process_->signal(SIGTERM);
  auto status = process_->wait_for(20s);
  if (!status) {
    process_->signal(SIGKILL);
    status = process_->wait_for(10s);
  }
  return status ? testing::child_process::exit_code(*status) : -1;
}

bool server_process::running() {
  return process_ && process_->running();
}

pid_t server_process::pid() const {
  return process_ ? process_->pid() : -1;
}

std::string server_process::native_address() const {
  std::lock_guard lock(mutex_);
  return native_;
}

std::optional<std::string> server_process::https_address() const {
  std::lock_guard lock(mutex_);
  return https_;
}

long server_process::rss_kib() const {
  std::istringstream status(testing::read_file("/proc/" + std::to_string(pid()) + "/status"));
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return 0;
}

std::string server_process::log() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i)
    for (const char* ext : {".log", ".err"})
      out += testing::read_file(dir_ + "/liaisond-" + std::to_string(i) + ext);
  return out;
}

}  // namespace liaison::faults
