#include "e2e/server_fixture.hpp"

#include "pki/init.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include "support/test_database.hpp"
#include "support/toml_edit.hpp"

#include <mutex>
#include <regex>
#include <stdexcept>

namespace liaison::testing {
namespace {}  // namespace

const std::string& shared_pki_dir() {
  static temp_dir dir("liaison-pki");
  static std::once_flag once;
  std::call_once(once, [] {
    pki::init_options options;
    options.members_file = std::string(LIAISON_SOURCE_DIR) + "/config/members.toml";
    options.out_dir = dir.path() + "/pki";
    pki::init(options);
  });
  static std::string path = dir.path() + "/pki";
  return path;
}

pki::identity identity(const std::string& folder) {
  return pki::load_identity(shared_pki_dir() + "/" + folder);
}

liaisond_process::liaisond_process(const std::string& db_url,
                                   std::map<std::string, std::string> overrides)
    : dir_("liaisond") {
  auto text = read_file(shared_pki_dir() + "/liaison.toml");
  overrides.emplace("database.url", nlohmann::json(db_url).dump());
  // Two roles, as in production: the server serves with the runtime role and
  // migrates as the owner.
  if (auto owner = owner_url_for(db_url); owner != db_url)
    overrides.emplace("database.owner_url", nlohmann::json(owner).dump());
  overrides.emplace("native.listen", "\"127.0.0.1:0\"");
  overrides.emplace("https.listen", "\"127.0.0.1:0\"");
  // Summaries of failed authentications within seconds, not a minute.
  overrides.emplace("audit.failure_summary_interval", "\"1s\"");
  for (const auto& [k, v] : overrides) text = set_toml(text, k, v);
  config_file_ = dir_.path() + "/liaison.toml";
  std::ofstream(config_file_) << text;
  start();
}

liaisond_process::~liaisond_process() {
  if (process_ && process_->running()) stop();
}

void liaisond_process::start() {
  ++starts_;
  auto port_file = dir_.path() + "/ports.json";
  std::filesystem::remove(port_file);
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{LIAISOND_PATH, "--config", config_file_, "--port-file", port_file},
      dir_.path() + "/stdout-" + std::to_string(starts_) + ".log",
      dir_.path() + "/stderr-" + std::to_string(starts_) + ".log");
  bool up = eventually([&] { return std::filesystem::exists(port_file) || !process_->running(); },
                       std::chrono::seconds(60));
  if (!up || !std::filesystem::exists(port_file))
    throw std::runtime_error("liaisond did not start; its log:\n" + log());
  auto ports = nlohmann::json::parse(read_file(port_file));
  native_ = ports.at("native").get<std::string>();
  https_ = ports.value("https", "");
}

std::string liaisond_process::log() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i)
    out += read_file(dir_.path() + "/stderr-" + std::to_string(i) + ".log");
  return out;
}

void liaisond_process::kill9() {
  process_->signal(SIGKILL);
  process_->wait_for(std::chrono::seconds(10));
}

void liaisond_process::restart() {
  if (process_->running()) stop();
  start();
}

int liaisond_process::stop() {
  process_->signal(SIGTERM);
  auto status = process_->wait_for(std::chrono::seconds(20));
  if (!status) {
    process_->signal(SIGKILL);
    status = process_->wait_for(std::chrono::seconds(10));
  }
  return status ? child_process::exit_code(*status) : -1;
}

}  // namespace liaison::testing
